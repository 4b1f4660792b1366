# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the end-to-end tests; the helpers they use live in e2e_support.

Test files import helpers from ``e2e_support``, not from ``conftest``: tests/unit has a
conftest too, and two modules named ``conftest`` cannot both be imported by name.
"""

from __future__ import annotations

from e2e_support import sandbox, sandbox_factory  # noqa: F401  pylint: disable=unused-import
