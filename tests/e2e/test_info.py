# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only info module, and the provision playbook, against the sandbox."""

from __future__ import annotations

import os

from e2e_support import DEMO_SECRET, ROOT, fetch_token, run_playbook
from test_provision import playbook, product, provision_data

INFO = "wpcom.jetpack.jetpack_partner_plan_info"

SITES = {
    "plain.example.com": {"products": [product("premium"),
                                       product("jetpack-scan", partner="other-partner")]},
    "waiting.example.com": {"connected": False, "products": [product("personal", pending=True)]},
    "testkey.example.com": {"products": [product("premium", test_key=True)]},
    "bare.example.com": {},
    "sub.example.com": {"siteurl": "https://sub.example.com/wp"},
    "broken.example.com": {"jetpack_active": False},
}


def test_info_reads_sites_in_a_stable_shape_and_never_changes(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(provision_data(SITES))
    variables = {"api_url": sandbox.url, "token": fetch_token(sandbox)}
    sites = ["https://plain.example.com/", "waiting.example.com", "testkey.example.com",
             "nowhere.example.com", "3003"]
    cases = [("one", INFO, {"site": "plain.example.com"}),
             ("many", INFO, {"sites": sites, "concurrency": 2}),
             ("bad_address", INFO, {"sites": ["ok.example.com", "bad.example.com/?x=1"]}),
             ("both", INFO, {"site": "a.example.com", "sites": ["b.example.com"]})]

    run = run_playbook(playbook(cases), tmp_path, variables, args=("--check",))
    results = run.results
    assert results, run.output

    one = results["one"]
    assert one["changed"] is False and one.get("failed", False) is False
    assert one["sites"] == [{
        "site": "plain.example.com", "site_id": "plain.example.com", "found": True,
        "status_available": True, "connected": True, "has_backups_credentials": False,
        "plan": "premium", "error_code": None, "msg": None,
        "products": [
            {"slug": "premium", "family": "jetpack-plans", "pending": False,
             "provisioned_by_partner": True, "provisioned_by_calling_partner": True},
            {"slug": "jetpack-scan", "family": "jetpack-scan", "pending": False,
             "provisioned_by_partner": True, "provisioned_by_calling_partner": False}]}]

    many = results["many"]["sites"]
    assert results["many"]["changed"] is False
    assert [entry["site_id"] for entry in many] == [
        "plain.example.com", "waiting.example.com", "testkey.example.com",
        "nowhere.example.com", "3003"]
    assert many[0]["products"] == one["sites"][0]["products"]
    assert (many[1]["connected"], many[1]["plan"], many[1]["products"][0]["pending"]) == (
        False, "personal", True)
    assert (many[2]["status_available"], many[2]["found"]) == (False, True)
    assert "test key" in many[2]["msg"]
    assert (many[3]["found"], many[3]["error_code"], many[3]["products"]) == (
        False, "invalid_blog", [])
    assert (many[4]["site"], many[4]["plan"]) == ("3003", None)
    assert many[4]["products"] == []

    assert results["bad_address"]["failed"] is True
    assert "option sites" in results["bad_address"]["msg"]
    assert results["both"]["failed"] is True
    assert "mutually exclusive" in results["both"]["msg"]

    calls = sandbox.requests()[1:]
    assert {r["call"] for r in calls} == {"status"}
    assert [r["site"] for r in calls if "ok.example.com" in r["site"]] == []


def test_provision_playbook_provisions_a_list_and_counts_failures(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(provision_data(SITES))
    entries = [{"site": "https://bare.example.com", "plan": "premium", "local_user": "admin"},
               {"site": "sub.example.com", "siteurl": "https://sub.example.com/wp",
                "plan": "jetpack-backup-daily", "local_user": "admin"},
               {"site": "plain.example.com", "plan": "premium", "local_user": "admin"},
               {"site": "broken.example.com", "plan": "premium", "local_user": "admin"}]
    variables = {"jetpack_provision": entries, "jetpack_api_url": sandbox.url,
                 "jetpack_partner_id": "demo-partner", "jetpack_partner_secret": DEMO_SECRET}
    path = os.path.join(ROOT, "playbooks", "provision.yml")

    run = run_playbook(path, tmp_path, variables)

    assert run.rc == 2, run.output
    assert "1 site(s) failed: broken.example.com" in run.output
    assert "https://bare.example.com: provisioned" in run.output
    assert "plain.example.com: already_present" in run.output
    assert "activate Jetpack" in run.output
    assert sandbox.products("bare.example.com") == [("premium", "demo-partner")]
    assert sandbox.products("sub.example.com") == [("jetpack-backup-daily", "demo-partner")]
    provisions = [r["form"]["siteurl"] for r in sandbox.calls("provision")]
    assert sorted(provisions) == ["https://bare.example.com", "https://broken.example.com",
                                  "https://sub.example.com/wp"]
    assert DEMO_SECRET not in run.output
