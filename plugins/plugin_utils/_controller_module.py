# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This plugin_utils file is private to the wpcom.jetpack collection. Its API may change
# in any release without notice; do not import it from other collections.

"""Run one of the collection's modules inside its action plugin, on the controller.

The modules only talk HTTP to the partner API, so they need nothing from the task's
host. Running them in the controller's worker process keeps their arguments out of
places a module run would put them (ansible-core's ANSIBLE_DEBUG line prints every
module argument, no_log ones included, and the AnsiballZ payload is a file), and saves
the start of a Python process per task.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class ModuleExit(Exception):
    """Carries a module's result out of ``exit_json`` or ``fail_json``."""

    def __init__(self, result):
        super().__init__("module exit")
        self.result = result


class ControllerModule:
    """The part of ``AnsibleModule`` the collection's modules use, without a process."""

    def __init__(self, params, check_mode, diff):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, warning):
        self.warnings.append(warning)

    def debug(self, message):
        display.vvvv(message)

    def fail_json(self, msg, **kwargs):
        kwargs.pop("exception", None)
        raise ModuleExit(dict(kwargs, failed=True, msg=msg))

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs)


def run_module_in_controller(action, argument_spec, constraints, run):
    """Validate the task's arguments as AnsibleModule would, run ``run(module)``, and
    return its result with every no_log value masked."""
    validation, params = action.validate_argument_spec(argument_spec=argument_spec,
                                                       **constraints)
    module = ControllerModule(params, bool(action._play_context.check_mode),
                              bool(action._play_context.diff))
    result = None
    try:
        run(module)
    except ModuleExit as done:
        result = done.result
    if result is None:
        raise AnsibleActionFail("the module ended without a result")

    result.setdefault("changed", False)
    if module.warnings:
        result["warnings"] = module.warnings
    return remove_values(result, validation._no_log_values)


class ControllerModuleAction(ActionBase):
    """An action plugin that runs the module ``target`` in this process.

    ``target`` is the module's Python module; it provides ``argument_spec()``,
    ``MODULE_CONSTRAINTS`` and ``run(module)``.
    """

    TRANSFERS_FILES = False
    _requires_connection = False
    target = None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp

        result.update(run_module_in_controller(self, self.target.argument_spec(),
                                               self.target.MODULE_CONSTRAINTS, self.target.run))
        return result
