# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs the module of the same name on the controller (see plugin_utils/_controller_module)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.wpcom.jetpack.plugins.modules import jetpack_partner_plan as target
from ansible_collections.wpcom.jetpack.plugins.plugin_utils._controller_module import (
    run_module_in_controller,
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp

        result.update(run_module_in_controller(self, target.argument_spec(),
                                               target.MODULE_CONSTRAINTS, target.run))
        return result
