# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shortest path through every part: lookup, module, sandbox."""

from __future__ import annotations

from e2e_support import fetch_token, run_module


def test_module_cancels_one_plan_and_then_reports_no_change(sandbox, tmp_path):
    token = fetch_token(sandbox)
    args = {"site": "https://WWW.Example.com/", "state": "absent",
            "api_url": sandbox.url, "access_token": token}

    first = run_module("wpcom.jetpack.jetpack_partner_plan", args, tmp_path)
    assert first.results["changed"] is True, first.output
    assert first.results["site_id"] == "www.example.com"
    assert first.results["outcome"] == "cancelled"
    assert sandbox.products("www.example.com") == []

    second = run_module("wpcom.jetpack.jetpack_partner_plan", args, tmp_path)
    assert second.results["changed"] is False
    assert second.results["outcome"] == "already_gone"
    assert "failed" not in second.results or second.results["failed"] is False
