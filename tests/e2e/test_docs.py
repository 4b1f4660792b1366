# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-doc renders every plugin and the role's argument spec, each option described."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from e2e_support import BIN, ansible_env

PLUGINS = [
    ("module", "wpcom.jetpack.jetpack_partner_plan"),
    ("module", "wpcom.jetpack.jetpack_partner_plan_info"),
    ("module", "wpcom.jetpack.jetpack_partner_decommission"),
    ("lookup", "wpcom.jetpack.jetpack_partner_token"),
]


def ansible_doc(kind, name):
    process = subprocess.run([os.path.join(BIN, "ansible-doc"), "--json", "-t", kind, name],
                             capture_output=True, text=True, env=ansible_env(), check=False)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)[name]


@pytest.mark.parametrize("kind, name", PLUGINS)
def test_every_option_has_a_description_and_a_type(kind, name):
    doc = ansible_doc(kind, name)

    options = doc["doc"]["options"]
    assert options
    for option, spec in options.items():
        if option == "_terms":
            continue
        assert spec.get("description"), "%s: %s has no description" % (name, option)
        assert spec.get("type"), "%s: %s has no type" % (name, option)
    assert doc["examples"].strip()
    assert name.split(".")[-1] in doc["examples"] or kind == "lookup"


def test_the_role_argument_spec_renders_with_every_option_described():
    doc = ansible_doc("role", "wpcom.jetpack.decommission")

    options = doc["entry_points"]["main"]["options"]
    assert set(options) >= {"decommission_sites", "decommission_partner_id",
                            "decommission_partner_secret", "decommission_api_url",
                            "decommission_concurrency"}
    for option, spec in options.items():
        assert option.startswith("decommission_")
        assert spec.get("description") and spec.get("type"), option
