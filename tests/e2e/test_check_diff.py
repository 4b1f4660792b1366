# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every provision and cancel case, run in check mode, for real, and again.

Check mode must predict exactly what the real run then does, send nothing but reads, and
show the same diff; the second real run must change nothing.
"""

from __future__ import annotations

from e2e_support import fetch_token, run_module, run_playbook
from test_provision import playbook, product, provision_data

PLAN = "wpcom.jetpack.jetpack_partner_plan"

SITES = {
    "new.example.com": {},
    "same.example.com": {"products": [product("premium")]},
    "up.example.com": {"products": [product("personal")]},
    "down.example.com": {"products": [product("professional")]},
    "down2.example.com": {"products": [product("professional")]},
    "prod.example.com": {"products": [product("premium")]},
    "incl.example.com": {"products": [product("professional")]},
    "pcancel.example.com": {"products": [product("premium"), product("jetpack-backup-daily")]},
    "all.example.com": {"products": [product("premium"), product("jetpack-scan"),
                                     product("jetpack-anti-spam", partner="other-partner")]},
    "pending.example.com": {"connected": False, "products": [product("premium", pending=True)]},
    "pendnew.example.com": {"connected": False},
    "cancelplan.example.com": {"products": [product("personal")]},
    "gone.example.com": {},
    "other.example.com": {"products": [product("premium", partner="other-partner")]},
}


def present(site, plan, **extra):
    return dict({"site": site, "plan": plan, "local_user": "admin"}, **extra)


def absent(site, **extra):
    return dict({"site": site, "state": "absent"}, **extra)


CASES = [
    ("new", PLAN, present("https://new.example.com", "premium")),
    ("same", PLAN, present("same.example.com", "premium")),
    ("upgrade", PLAN, present("up.example.com", "premium")),
    ("downgrade_refused", PLAN, present("down.example.com", "personal")),
    ("downgrade_allowed", PLAN, present("down2.example.com", "personal", allow_downgrade=True)),
    ("product", PLAN, present("prod.example.com", "jetpack-scan")),
    ("included", PLAN, present("incl.example.com", "jetpack-backup-daily")),
    ("product_cancel", PLAN, absent("pcancel.example.com", plan="jetpack-backup-daily")),
    ("cancel_all", PLAN, absent("all.example.com", cancel_all=True)),
    ("pending", PLAN, present("pending.example.com", "premium")),
    ("pending_new", PLAN, present("pendnew.example.com", "premium")),
    ("cancel_plan", PLAN, absent("cancelplan.example.com")),
    ("already_gone", PLAN, absent("gone.example.com")),
    ("held_elsewhere", PLAN, present("other.example.com", "premium")),
]

EXPECTED = {
    # name: (changed, failed, outcome)
    "new": (True, False, "provisioned"),
    "same": (False, False, "already_present"),
    "upgrade": (True, False, "upgraded"),
    "downgrade_refused": (False, True, None),
    "downgrade_allowed": (True, False, "downgraded"),
    "product": (True, False, "provisioned"),
    "included": (False, False, "included_in_plan"),
    "product_cancel": (True, False, "cancelled"),
    "cancel_all": (True, False, "cancelled"),
    "pending": (False, False, "already_present"),
    "pending_new": (True, False, "provisioned"),
    "cancel_plan": (True, False, "cancelled"),
    "already_gone": (False, False, "already_gone"),
    "held_elsewhere": (False, True, None),
}


def mine(slug, pending=False):
    return {"slug": slug, "pending": pending, "provisioned_by_partner": True,
            "provisioned_by_calling_partner": True}


def test_check_mode_predicts_every_case_and_sends_only_reads(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(provision_data(SITES))
    variables = {"api_url": sandbox.url, "token": fetch_token(sandbox)}
    text = playbook(CASES)
    before_state = sandbox.sites()

    checked = run_playbook(text, tmp_path, variables, args=("--check", "--diff"))
    assert checked.results, checked.output
    check_calls = sandbox.requests()[1:]
    assert sandbox.sites() == before_state
    reads = {("status", "GET"), ("upgrade_paths", "GET")}
    assert {(r["call"], r["method"]) for r in check_calls} <= reads
    assert [r for r in check_calls if r["call"] == "status"], "check mode read no status"

    real = run_playbook(text, tmp_path, variables, args=("--diff",))
    assert real.results, real.output
    for name, expected in EXPECTED.items():
        predicted, done = checked.results[name], real.results[name]
        got = (done["changed"], done.get("failed", False), done.get("outcome"))
        assert got == expected, (name, done)
        assert (predicted["changed"], predicted.get("failed", False)) == got[:2], name
        if not expected[1]:
            assert predicted["outcome"] == done["outcome"], name
            assert predicted["diff"] == done["diff"], name
            assert predicted["pending"] == done["pending"] if "pending" in done else True

    # A second real run of what changed must change nothing.
    changing = [case for case in CASES if EXPECTED[case[0]][0]]
    again = run_playbook(playbook(changing), tmp_path, variables)
    for name, _module, _args in changing:
        assert again.results[name]["changed"] is False, (name, again.results[name])
        assert again.results[name].get("failed", False) is False, name

    sites = sandbox.sites()
    slugs = {site: [(p["slug"], p["partner"]) for p in sites[site]["products"]]
             for site in SITES}
    assert slugs["new.example.com"] == [("premium", "demo-partner")]
    assert slugs["up.example.com"] == [("premium", "demo-partner")]
    assert slugs["down.example.com"] == [("professional", "demo-partner")]
    assert slugs["down2.example.com"] == [("personal", "demo-partner")]
    assert slugs["prod.example.com"] == [("premium", "demo-partner"),
                                         ("jetpack-scan", "demo-partner")]
    assert slugs["incl.example.com"] == [("professional", "demo-partner")]
    assert slugs["pcancel.example.com"] == [("premium", "demo-partner")]
    assert slugs["all.example.com"] == [("jetpack-anti-spam", "other-partner")]
    assert slugs["pending.example.com"] == [("premium", "demo-partner")]
    assert sites["pending.example.com"]["products"][0]["pending"] is True
    assert slugs["pendnew.example.com"] == [("premium", "demo-partner")]
    assert slugs["cancelplan.example.com"] == []
    assert slugs["other.example.com"] == [("premium", "other-partner")]

    provisions = [r for r in sandbox.requests() if r["call"] == "provision"]
    assert sorted(r["form"]["siteurl"] for r in provisions) == [
        "https://down2.example.com", "https://new.example.com", "https://pendnew.example.com",
        "https://prod.example.com", "https://up.example.com"]

    results, checks = real.results, checked.results
    assert results["pending"]["pending"] is True
    assert results["pending_new"]["pending"] is True
    assert results["pending_new"]["auth_required"] is True
    assert results["pending_new"]["next_url"].startswith("https://wordpress.com/jetpack/connect")
    assert checks["pending_new"]["auth_required"] is None
    assert results["new"]["auth_required"] is False
    assert results["downgrade_allowed"]["replaced"] == "professional"
    assert results["upgrade"]["replaced"] == "personal"
    assert results["downgrade_refused"]["error_code"] == "plan_downgrade_disallowed"
    assert "allow_downgrade" in results["downgrade_refused"]["msg"]
    assert results["held_elsewhere"]["error_code"] == "held_elsewhere"
    assert "professional already includes jetpack-backup-daily" in results["included"]["msg"]


def test_diff_of_a_provision_and_of_a_cancel_field_by_field(sandbox_factory, tmp_path):
    """One run with --diff: what a provision, a product and two cancels show."""
    sandbox = sandbox_factory(provision_data(SITES))
    variables = {"api_url": sandbox.url, "token": fetch_token(sandbox)}
    cases = [
        ("provision", PLAN, present("up.example.com", "premium")),
        ("product", PLAN, present("prod.example.com", "jetpack-backup-realtime")),
        ("cancel", PLAN, absent("pcancel.example.com", plan="jetpack-backup-daily")),
        ("cancel_all", PLAN, absent("all.example.com", cancel_all=True)),
    ]
    run = run_playbook(playbook(cases), tmp_path, variables, args=("--diff",))
    diffs = {name: run.results[name]["diff"] for name, _module, _args in cases}

    assert diffs["provision"]["before"] == {"site_id": "up.example.com",
                                            "products": [mine("personal")]}
    assert diffs["provision"]["after"] == {"site_id": "up.example.com",
                                           "products": [mine("premium")]}
    assert diffs["product"]["before"]["products"] == [mine("premium")]
    assert diffs["product"]["after"]["products"] == [mine("premium"),
                                                     mine("jetpack-backup-realtime")]
    assert diffs["cancel"]["before"] == {
        "site_id": "pcancel.example.com",
        "products": [mine("premium"), mine("jetpack-backup-daily")]}
    assert diffs["cancel"]["after"] == {"site_id": "pcancel.example.com",
                                        "products": [mine("premium")]}
    other = {"slug": "jetpack-anti-spam", "pending": False, "provisioned_by_partner": True,
             "provisioned_by_calling_partner": False}
    assert diffs["cancel_all"]["before"]["products"] == [mine("premium"), mine("jetpack-scan"),
                                                         other]
    assert diffs["cancel_all"]["after"]["products"] == [other]
    assert run.results["cancel_all"]["activations"] == ["premium", "jetpack-scan"]
    assert "-            \"slug\": \"personal\"" in run.output
    assert "+            \"slug\": \"premium\"" in run.output


def test_a_real_cancel_with_diff_goes_ahead_when_status_cannot_be_read(
        sandbox_factory, tmp_path):
    sandbox = sandbox_factory({
        "partners": [{"id": "demo-partner", "secret": "diff-Secr3t-value"}],
        "sites": [{"id": "testkey.example.com", "products": [
            {"slug": "premium", "partner": "demo-partner", "test_key": True}]}]})
    token = fetch_token(sandbox, secret="diff-Secr3t-value")
    args = {"site": "testkey.example.com", "state": "absent", "api_url": sandbox.url,
            "access_token": token}

    run = run_module("wpcom.jetpack.jetpack_partner_plan", args, tmp_path, args=("--diff",))

    result = run.results
    assert (result["changed"], result.get("failed", False)) == (True, False), run.output
    assert result["outcome"] == "cancelled" and "diff" not in result
    assert "no diff for testkey.example.com" in run.output
    assert sandbox.products("testkey.example.com") == []


def test_a_downgrade_whose_provision_fails_says_the_higher_plan_is_gone(
        sandbox_factory, tmp_path):
    sandbox = sandbox_factory({
        "partners": [{"id": "demo-partner", "secret": "diff-Secr3t-value"}],
        "sites": [{"id": "down.example.com", "users": ["admin"], "products": [
            {"slug": "professional", "partner": "demo-partner"}]}]})
    args = {"site": "down.example.com", "plan": "personal", "local_user": "nobody",
            "allow_downgrade": True, "api_url": sandbox.url,
            "access_token": fetch_token(sandbox, secret="diff-Secr3t-value")}

    result = run_module("wpcom.jetpack.jetpack_partner_plan", args, tmp_path).results

    assert (result["failed"], result["changed"], result["outcome"]) == (True, True, "failed")
    assert "professional was cancelled for the downgrade" in result["msg"]
    assert "local_user" in result["msg"]
    assert sandbox.products("down.example.com") == []
