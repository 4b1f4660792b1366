# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``jetpack_partner_plan`` with ``state: absent``: every cancel outcome of API.md section 4.

One ansible-playbook run covers every case: each task registers its result, and the last
task saves them all for the assertions. Bad ``site`` values go to a second sandbox whose
log must stay empty.
"""

from __future__ import annotations

import re

import pytest

from e2e_support import fetch_token, run_playbook

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    wpcom.jetpack.jetpack_partner_plan:
      api_url: "{{ api_url }}"
      access_token: "{{ token }}"
      state: absent
  tasks:
    - name: one site each
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ item.site }}"
        access_token: "{{ item.token | default(token) }}"
      loop: "{{ cases }}"
      loop_control:
        label: "{{ item.name }}"
      register: outcomes
      ignore_errors: true

    - name: bad site values, against a sandbox that must see nothing
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ bad_sites[item] }}"
        api_url: "{{ quiet_url }}"
      # By index: Ansible itself echoes a loop item, user info included.
      loop: "{{ range(bad_sites | length) | list }}"
      register: refusals
      ignore_errors: true

    - name: the same bad values in the bulk module's list, after a good one
      wpcom.jetpack.jetpack_partner_decommission:
        sites: "{{ ['shop08.example.com'] + bad_sites }}"
        api_url: "{{ quiet_url }}"
        access_token: "{{ token }}"
      register: bulk_refusal
      ignore_errors: true

    - name: save the results for the test
      ansible.builtin.copy:
        content: "{{ {'outcomes': outcomes.results, 'refusals': refusals.results,
                      'bulk': bulk_refusal} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""

GLOBAL_TOKEN = "global-scope-token-for-tests"
USER_INFO_PASSWORD = "hunter2-Pw"

CASES = [
    {"name": "cancelled", "site": "https://Shop01.Example.com/"},
    {"name": "cancelled again", "site": "shop01.example.com"},
    {"name": "by blog id", "site": "2005"},
    {"name": "no plan left", "site": "http://empty01.example.net/"},
    {"name": "not_jps_plan", "site": "https://direct01.example.org"},
    {"name": "invalid_blog", "site": "https://shop01.exampel.com"},
    {"name": "incorrect_partner_key", "site": "other.example.com"},
    {"name": "invalid_scope", "site": "shop02.example.com", "token": GLOBAL_TOKEN},
    {"name": "invalid_input", "site": "stuck.example.com"},
    {"name": "undocumented code", "site": "shop04.example.com"},
]

BAD_SITES = [
    "https://shop08.example.com/?p=1",
    "https://shop08.example.com/#top",
    "https://admin:%s@shop08.example.com/" % USER_INFO_PASSWORD,
    "shop08.example.com/my blog",
    " shop08.example.com",
    "",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The playbook run, shared by the tests below, with both sandboxes' final state."""
    from e2e_support import Sandbox, DEMO_DATA

    tmp_path = tmp_path_factory.mktemp("plan-absent")
    busy = Sandbox(DEMO_DATA, tmp_path / "busy")
    quiet = Sandbox(DEMO_DATA, tmp_path / "quiet")
    try:
        before = busy.sites()
        # A server answering with a code nobody documented, quoting the request back.
        busy.set_faults([{"kind": "echo_secrets", "call": "cancel",
                          "site": "shop04.example.com", "count": 1}])
        token = fetch_token(busy)
        played = run_playbook(PLAYBOOK, tmp_path, {
            "api_url": busy.url, "quiet_url": quiet.url, "token": token,
            "cases": CASES, "bad_sites": BAD_SITES})
        outcomes = {case["name"]: result for case, result
                    in zip(CASES, played.results.get("outcomes", []))}
        yield {"played": played, "outcomes": outcomes, "token": token, "before": before,
               "after": busy.sites(), "busy_log": busy.requests(),
               "quiet_log": quiet.requests(),
               "refusals": played.results.get("refusals", []),
               "bulk": played.results.get("bulk", {})}
    finally:
        busy.stop()
        quiet.stop()


def products(state, site_id):
    return [(p["slug"], p.get("partner")) for p in state[site_id]["products"]]


def test_every_case_ran(run):
    assert len(run["outcomes"]) == len(CASES), run["played"].output
    assert len(run["refusals"]) == len(BAD_SITES), run["played"].output


def test_a_cancelled_plan_is_a_change_and_is_gone(run):
    result = run["outcomes"]["cancelled"]

    assert (result["changed"], result.get("failed", False)) == (True, False)
    assert result["site_id"] == "shop01.example.com"
    assert result["outcome"] == "cancelled"
    assert products(run["before"], "shop01.example.com") == [("premium", "demo-partner")]
    assert products(run["after"], "shop01.example.com") == []


def test_a_blog_id_names_the_site(run):
    result = run["outcomes"]["by blog id"]

    expected = (True, "2005", "cancelled")
    assert (result["changed"], result["site_id"], result["outcome"]) == expected
    assert products(run["after"], "shop05.example.com") == []


@pytest.mark.parametrize("name, site_id, error_code, left", [
    ("cancelled again", "shop01.example.com", None, []),
    ("no plan left", "empty01.example.net", None, []),
    ("not_jps_plan", "direct01.example.org", "not_jps_plan", [("premium", None)]),
])
def test_nothing_to_cancel_is_no_change_and_no_failure(run, name, site_id, error_code, left):
    result = run["outcomes"][name]

    assert (result["changed"], result.get("failed", False)) == (False, False)
    assert result["outcome"] == "already_gone"
    assert result["site_id"] == site_id
    assert result["error_code"] == error_code
    assert not result.get("warnings")
    assert products(run["after"], site_id) == left


def test_an_unknown_site_is_no_change_with_a_warning_naming_it(run):
    result = run["outcomes"]["invalid_blog"]

    assert (result["changed"], result.get("failed", False)) == (False, False)
    assert (result["outcome"], result["error_code"]) == ("unknown_site", "invalid_blog")
    assert result["site_id"] == "shop01.exampel.com"
    # ansible-core 2.19 shows a task's warnings and leaves them out of the registered result.
    shown = [line for line in run["played"].output.splitlines() if "[WARNING]" in line]
    warnings = result.get("warnings") or shown
    assert any("shop01.exampel.com" in warning and "unknown to WordPress.com" in warning
               for warning in warnings), warnings
    assert "shop01.exampel.com" not in run["after"]


@pytest.mark.parametrize("name, site_id, error_code, http_status, words, left", [
    ("incorrect_partner_key", "other.example.com", "incorrect_partner_key", 403,
     ["another partner", "still carries the plan"], [("professional", "other-partner")]),
    ("invalid_scope", "shop02.example.com", "invalid_scope", 403,
     ["not a Jetpack partner token", "jetpack_partner_token"],
     [("professional", "demo-partner")]),
    ("invalid_input", "stuck.example.com", "invalid_input", 400,
     ["could not remove the subscription", "run again"], [("premium", "demo-partner")]),
    ("undocumented code", "shop04.example.com", "invalid_request", 400,
     ["may still carry its plan", "run again"], [("personal", "demo-partner")]),
])
def test_a_refused_cancel_fails_and_says_what_to_do(run, name, site_id, error_code,
                                                    http_status, words, left):
    result = run["outcomes"][name]

    assert (result["changed"], result["failed"]) == (False, True)
    assert (result["outcome"], result["error_code"]) == ("failed", error_code)
    assert result["http_status"] == http_status
    assert result["site_id"] == site_id
    assert "could not cancel the plan of %s" % site_id in result["msg"]
    for word in words:
        assert word in result["msg"]
    assert products(run["after"], site_id) == left


def test_the_undocumented_answer_came_from_the_fault(run):
    faulted = [r for r in run["busy_log"] if r.get("fault") == "echo_secrets"]

    assert [(r["call"], r["site"]) for r in faulted] == [("cancel", "shop04.example.com")]


def test_a_token_the_server_quoted_back_is_not_shown(run):
    assert run["token"] not in run["played"].output
    assert run["token"] not in str(run["outcomes"])


def test_one_cancel_request_per_case_and_no_other_call(run):
    sent = [(r["call"], r["site"]) for r in run["busy_log"]]

    assert sent.count(("token", None)) == 1
    assert sorted(s for s in sent if s[0] != "token") == sorted(
        ("cancel", result["site_id"]) for result in run["outcomes"].values())


@pytest.mark.parametrize("index, reason", list(enumerate([
    "query string", "fragment", "user info", "white space", "white space", "is empty"])))
def test_bad_site_values_fail_naming_the_option(run, index, reason):
    result = run["refusals"][index]

    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("option site: ")
    assert reason in result["msg"]
    assert "outcome" not in result


def test_bad_values_in_the_bulk_list_fail_naming_each_entry(run):
    result = run["bulk"]
    reasons = ["query string", "fragment", "user info", "white space", "white space",
               "is empty"]

    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("%d bad site address(es), nothing was sent: "
                                    % len(BAD_SITES))
    for index, reason in enumerate(reasons, start=1):
        entry = re.search(r"option sites\[%d\]: '[^']*' ([^;]*)" % index, result["msg"])
        assert entry and reason in entry.group(1), result["msg"]
    assert "option sites[0]" not in result["msg"]
    assert USER_INFO_PASSWORD not in result["msg"]
    assert "sites" not in result and "totals" not in result


def test_bad_site_values_send_nothing(run):
    assert run["quiet_log"] == []


def test_user_info_in_a_refused_site_is_not_shown(run):
    refused = run["refusals"][2]

    assert USER_INFO_PASSWORD not in run["played"].output
    assert USER_INFO_PASSWORD not in refused["msg"]
    assert "'https://********@shop08.example.com/'" in refused["msg"]
