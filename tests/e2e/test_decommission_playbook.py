# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``playbooks/decommission.yml`` as a teardown job runs it, against the sandbox.

The demo site list is decommissioned twice with the vaulted demo credential; then a list
with sites that fail, then a list with bad addresses. Expected outcomes come from the
sandbox's state before the first run, not from the collection's code.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from e2e_support import ROOT, run_playbook

PLAYBOOK = os.path.join(ROOT, "playbooks", "decommission.yml")
DEMO = os.path.join(ROOT, "sandbox", "demo")
VAULT_ARGS = ("-e", "@" + os.path.join(DEMO, "partner.vault.yml"),
              "--vault-password-file", os.path.join(DEMO, "vault-password"))
RECAP = re.compile(r"Jetpack decommission of (\d+) site\(s\): cancelled (\d+), already gone "
                   r"(\d+), unknown (\d+), failed (\d+)")
PLAY_RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+"
                        r"failed=(\d+)")


def demo_sites():
    with open(os.path.join(DEMO, "sites.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["jetpack_sites"]


def plain_identifier(address):
    """The identifier of the demo's simple, lower-case addresses, worked out by hand."""
    bare = re.sub(r"^https?://", "", address).rstrip("/")
    return bare.replace("/", "::")


def expected_outcome(state, site_id):
    """What a cancel by demo-partner must do to a site, read from the sandbox's state."""
    site = state.get(site_id)
    if site is None:
        return "unknown_site"
    plan_slugs = ("free", "personal", "premium", "professional")
    plans = [p for p in site["products"] if p["slug"] in plan_slugs]
    if not plans or plans[0].get("partner") is None:
        return "already_gone"
    return "cancelled" if plans[0]["partner"] == "demo-partner" else "failed"


def recap_of(run):
    found = RECAP.findall(run.output)
    assert len(found) == 1, run.output
    return tuple(int(n) for n in found[0])


def play_recap_of(run):
    found = PLAY_RECAP.findall(run.output)
    assert len(found) == 1, run.output
    ok, changed, unreachable, failed = (int(n) for n in found[0])
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


def report_of(tmp_path, name):
    with open(tmp_path / (name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """The demo site list decommissioned twice; the sandbox's state before and after each."""
    from e2e_support import DEMO_DATA, Sandbox

    tmp_path = tmp_path_factory.mktemp("decommission")
    sandbox = Sandbox(DEMO_DATA, tmp_path / "sandbox")
    try:
        states = [sandbox.sites()]
        runs = []
        for name in ("first", "second"):
            runs.append(run_playbook(PLAYBOOK, tmp_path, {
                "jetpack_sites": demo_sites(), "jetpack_api_url": sandbox.url,
                "jetpack_report_path": str(tmp_path / name)}, args=VAULT_ARGS))
            states.append(sandbox.sites())
        yield {"runs": runs, "states": states, "log": sandbox.requests(),
               "reports": [report_of(tmp_path, name) for name in ("first", "second")]}
    finally:
        sandbox.stop()


def test_the_first_run_cancels_what_this_partner_provisioned(demo_runs):
    first = demo_runs["runs"][0]
    before, after = demo_runs["states"][:2]
    expected = {plain_identifier(a): expected_outcome(before, plain_identifier(a))
                for a in demo_sites()}
    counts = [list(expected.values()).count(o)
              for o in ("cancelled", "already_gone", "unknown_site", "failed")]

    assert first.rc == 0, first.output
    assert recap_of(first) == tuple([len(expected)] + counts)
    assert counts[0] > 0 and counts[1] > 0 and counts[2] > 0
    assert play_recap_of(first)["changed"] == 1
    outcomes = {s["site_id"]: s["outcome"] for s in demo_runs["reports"][0]["sites"]}
    assert outcomes == expected
    for site_id, outcome in expected.items():
        if outcome == "cancelled":
            assert [p for p in after[site_id]["products"]
                    if p["slug"] in ("free", "personal", "premium", "professional")] == []
        elif outcome == "already_gone":
            assert after[site_id] == before[site_id]


def test_the_unknown_site_is_named_in_a_warning(demo_runs):
    first = demo_runs["runs"][0]

    assert re.search(r"\[WARNING\]: 1 site\(s\) unknown to WordPress\.com.*"
                     r"shop01\.exampel\.com", first.output, re.S), first.output


def test_a_second_run_changes_nothing_and_counts_the_sites_as_already_gone(demo_runs):
    first, second = demo_runs["runs"]
    first_recap = recap_of(first)

    assert second.rc == 0, second.output
    assert play_recap_of(second)["changed"] == 0
    total, cancelled, gone, unknown, failed = recap_of(second)
    assert (total, cancelled, unknown, failed) == (first_recap[0], 0, first_recap[3], 0)
    assert gone == first_recap[1] + first_recap[2]
    first_outcomes = {s["site_id"]: s["outcome"] for s in demo_runs["reports"][0]["sites"]}
    for site in demo_runs["reports"][1]["sites"]:
        was = first_outcomes[site["site_id"]]
        assert site["outcome"] == ("unknown_site" if was == "unknown_site" else "already_gone")
        assert site["changed"] is False


def test_the_sandbox_is_the_same_after_the_second_run(demo_runs):
    assert demo_runs["states"][2] == demo_runs["states"][1]
    assert demo_runs["states"][1] != demo_runs["states"][0]


def test_each_run_asks_for_one_token_and_cancels_each_site_once(demo_runs):
    sent = [r["call"] for r in demo_runs["log"]]

    assert sent.count("token") == 2
    assert sent.count("cancel") == 2 * len(demo_sites())
    assert set(sent) == {"token", "cancel"}


def test_sites_whose_plan_stays_fail_the_play_after_the_others(sandbox, tmp_path):
    before = sandbox.sites()

    run = run_playbook(PLAYBOOK, tmp_path, {
        "jetpack_sites": ["other.example.com", "https://www.example.com/", "stuck.example.com",
                          "empty01.example.net"],
        "jetpack_api_url": sandbox.url, "jetpack_report_path": str(tmp_path / "report")},
        args=VAULT_ARGS)

    assert run.rc != 0, run.output
    assert recap_of(run) == (4, 1, 1, 0, 2)
    assert play_recap_of(run)["failed"] == 1
    assert "2 of 4 site(s) failed" in run.output
    outcomes = {s["site_id"]: (s["outcome"], s["error_code"])
                for s in report_of(tmp_path, "report")["sites"]}
    assert outcomes == {"other.example.com": ("failed", "incorrect_partner_key"),
                        "www.example.com": ("cancelled", None),
                        "stuck.example.com": ("failed", "invalid_input"),
                        "empty01.example.net": ("already_gone", None)}
    after = sandbox.sites()
    assert after["other.example.com"] == before["other.example.com"]
    assert after["stuck.example.com"] == before["stuck.example.com"]
    assert after["www.example.com"]["products"] == []


def test_bad_site_addresses_fail_before_any_request(sandbox, tmp_path):
    bad = ["shop01.example.com", "https://shop02.example.com/?x=1", "shop04.example.com#a",
           "https://user:pw-Secret1@shop05.example.com", "shop07 .example.com", ""]
    before = sandbox.sites()

    run = run_playbook(PLAYBOOK, tmp_path, {"jetpack_sites": bad,
                                            "jetpack_api_url": sandbox.url}, args=VAULT_ARGS)

    assert run.rc != 0, run.output
    assert "5 bad site address(es), nothing was sent" in run.output
    for index, reason in ((1, "query string"), (2, "fragment"), (3, "user info"),
                          (4, "white space"), (5, "is empty")):
        assert re.search(r"option sites\[%d\]: '[^']*' [^;]*%s" % (index, reason),
                         run.output), run.output
    assert "option sites[0]" not in run.output
    assert "pw-Secret1" not in run.output
    # The role checks the addresses before it asks for a token: nothing at all is sent.
    assert sandbox.requests() == []
    assert sandbox.sites() == before
