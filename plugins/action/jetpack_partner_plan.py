# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs the module of the same name on the controller (see plugin_utils/_controller_module)."""

from __future__ import annotations

from ansible_collections.wpcom.jetpack.plugins.modules import jetpack_partner_plan
from ansible_collections.wpcom.jetpack.plugins.plugin_utils._controller_module import (
    ControllerModuleAction,
)


class ActionModule(ControllerModuleAction):

    target = jetpack_partner_plan
