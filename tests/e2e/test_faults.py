# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix: each network fault the sandbox can act out, through ansible-playbook.

Every fault is tied to one site, so one playbook run covers them all. For each, the test
checks the end state in the sandbox, the task's ``changed`` and ``failed``, the number of
attempts against the retry bound, and that the attempts fit in the retry budget, from
the times in the sandbox's log.
"""

from __future__ import annotations

import json

import pytest

from e2e_support import Sandbox, fetch_token, run_playbook

PARTNER = "demo-partner"
SECRET = "fault-matrix-Secr3t"

# name: (fault or None, module options, expected outcome, changed, failed, attempts)
MATRIX = {
    "html-502": ({"kind": "http_error", "status": 502, "count": 2}, {},
                 "cancelled", True, False, 3),
    "html-503-thrice": ({"kind": "http_error", "status": 503, "count": 3}, {},
                        "cancelled", True, False, 4),
    "500-exhausted": ({"kind": "http_error", "status": 500, "count": 99}, {"retries": 2},
                      "failed", False, True, 3),
    "429-seconds": ({"kind": "http_error", "status": 429, "retry_after": 1, "count": 1}, {},
                    "cancelled", True, False, 2),
    "429-date": ({"kind": "http_error", "status": 429, "retry_after_date": 2, "count": 1}, {},
                 "cancelled", True, False, 2),
    "budget": ({"kind": "http_error", "status": 503, "retry_after": 2, "count": 99},
               {"retries": 10, "retry_budget": 5}, "failed", False, True, 3),
    "drop": ({"kind": "drop", "count": 1}, {}, "cancelled", True, False, 2),
    "truncated": ({"kind": "truncated", "count": 1}, {}, "cancelled", True, False, 2),
    # The cancel ran but its answer was lost: the retry finds nothing left, and the run
    # still reports the cancel as its own.
    "drop-after-cancel": ({"kind": "drop", "apply": True, "count": 1}, {},
                          "cancelled", True, False, 2),
    "slow-body": ({"kind": "slow_body", "byte_delay_ms": 150, "count": 1}, {"timeout": 1},
                  "cancelled", True, False, 2),
    "latency": ({"kind": "delay", "delay_ms": 400, "count": 1}, {"timeout": 2},
                "cancelled", True, False, 1),
    "no-retries": ({"kind": "http_error", "status": 502, "count": 1}, {"retries": 0},
                   "failed", False, True, 1),
}


def site_of(name):
    return "%s.faults.test" % name


def sandbox_data():
    sites, faults = [], []
    for name, (fault, _options, _outcome, _changed, _failed, _attempts) in MATRIX.items():
        sites.append({"id": site_of(name), "products": [
            {"slug": "premium", "partner": PARTNER, "pending": False}]})
        if fault:
            faults.append(dict(fault, call="cancel", site=site_of(name)))
    for name in ("revoker", "after-revoke"):
        sites.append({"id": site_of(name), "products": [
            {"slug": "premium", "partner": PARTNER, "pending": False}]})
    # The token dies as this site's cancel arrives: from that call on, it is refused.
    faults.append({"kind": "revoke_token", "call": "cancel", "site": site_of("revoker")})
    return {"partners": [{"id": PARTNER, "secret": SECRET}], "sites": sites, "faults": faults}


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/wpcom.jetpack.partner:
      api_url: "{{ api_url }}"
      access_token: "{{ token }}"
  tasks:
    - name: one site per fault
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ item.site }}"
        state: absent
        timeout: "{{ item.timeout | default(10) }}"
        retries: "{{ item.retries | default(5) }}"
        retry_budget: "{{ item.retry_budget | default(60) }}"
      loop: "{{ cases }}"
      loop_control:
        label: "{{ item.name }}"
      register: faults
      ignore_errors: true

    - name: a wrong api_url answers with an HTML 404 page
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ 'html-502' ~ '.faults.test' }}"
        api_url: "{{ api_url }}/wrong"
        state: absent
      register: wrong_url
      ignore_errors: true

    - name: the token is revoked while this site is cancelled
      wpcom.jetpack.jetpack_partner_plan:
        site: revoker.faults.test
        state: absent
      register: revoker
      ignore_errors: true

    - name: the next call carries the revoked token
      wpcom.jetpack.jetpack_partner_decommission:
        sites: [after-revoke.faults.test]
      register: after_revoke
      ignore_errors: true

    - name: save the results for the test
      ansible.builtin.copy:
        content: "{{ {'faults': faults.results, 'wrong_url': wrong_url, 'revoker': revoker,
                      'after_revoke': after_revoke} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory):
    """One sandbox and one playbook run shared by every assertion below."""
    tmp_path = tmp_path_factory.mktemp("faults")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(sandbox_data()))
    sandbox = Sandbox(data, tmp_path / "sandbox")
    try:
        token = fetch_token(sandbox, PARTNER, SECRET)
        cases = [dict(options, name=name, site=site_of(name))
                 for name, (_f, options, _o, _c, _x, _a) in MATRIX.items()]
        run = run_playbook(PLAYBOOK, tmp_path, {"api_url": sandbox.url, "token": token,
                                                "cases": cases})
        yield sandbox, run, sandbox.requests(), sandbox.sites()
    finally:
        sandbox.stop()


@pytest.mark.parametrize("name", list(MATRIX))
def test_fault_ends_in_the_right_state_within_the_retry_bound(matrix_run, name):
    _sandbox, run, log, sites = matrix_run
    _fault, options, outcome, changed, failed, attempts = MATRIX[name]
    results = {item["item"]["name"]: item for item in run.results["faults"]}
    result = results[name]

    assert result.get("outcome") == outcome, result
    assert result["changed"] is changed
    assert bool(result.get("failed")) is failed

    tries = [entry for entry in log
             if entry["call"] == "cancel" and entry["site"] == site_of(name)]
    assert len(tries) == attempts
    assert len(tries) <= options.get("retries", 5) + 1
    # The attempts, as the sandbox saw them, fit in the budget the task was given.
    assert tries[-1]["time"] - tries[0]["time"] <= options.get("retry_budget", 60)

    products = [p["slug"] for p in sites[site_of(name)]["products"]]
    assert products == ([] if outcome in ("cancelled", "already_gone") else ["premium"])
    # A plan is cancelled exactly once, however many attempts it took.
    successes = [entry for entry in tries if entry.get("success") is True]
    assert len(successes) == (0 if failed else 1)


def test_retry_after_is_waited_out_in_seconds_and_as_a_date(matrix_run):
    _sandbox, _run, log, _sites = matrix_run
    for name, at_least in (("429-seconds", 1.0), ("429-date", 1.0)):
        tries = [e["time"] for e in log if e["call"] == "cancel" and e["site"] == site_of(name)]
        assert tries[1] - tries[0] >= at_least, name


def test_the_budget_stops_retries_before_it_is_passed(matrix_run):
    _sandbox, run, log, _sites = matrix_run
    result = {item["item"]["name"]: item for item in run.results["faults"]}["budget"]
    tries = [e["time"] for e in log if e["call"] == "cancel" and e["site"] == site_of("budget")]

    # Retry-After 2 s each time, budget 5 s: a third wait would end past it.
    assert 3.5 <= tries[-1] - tries[0] <= 5
    assert "gave up after 3 attempt(s): the retry budget of 5 s would be passed" in result["msg"]
    assert "HTTP 503 with a body that is not JSON (an HTML page" in result["msg"]


def test_errors_name_the_status_and_the_call(matrix_run):
    _sandbox, run, _log, _sites = matrix_run
    results = {item["item"]["name"]: item for item in run.results["faults"]}

    assert (
        "cancel 500-exhausted.faults.test: HTTP 500 with a body that is not JSON (an HTML "
        "page, as a proxy or a wrong api_url sends) (gave up after 3 attempt(s): 3 attempts)"
    ) in results["500-exhausted"]["msg"]
    assert results["500-exhausted"]["http_status"] == 500
    assert "Traceback" not in run.output

    wrong = run.results["wrong_url"]
    assert wrong["failed"] is True
    assert ("cancel html-502.faults.test: HTTP 404 with a body that is not JSON (an HTML "
            "page, as a proxy or a wrong api_url sends); a wrong api_url is the likely "
            "cause") in wrong["msg"]
    assert wrong["http_status"] == 404


def test_a_token_revoked_mid_run_fails_the_next_call_with_advice(matrix_run):
    _sandbox, run, log, sites = matrix_run

    revoker = run.results["revoker"]
    assert revoker["failed"] is True and revoker["changed"] is False
    assert revoker["outcome"] == "failed" and revoker["http_status"] == 403
    assert "the access token is invalid or revoked" in revoker["msg"]

    after = run.results["after_revoke"]
    assert after["failed"] is True
    assert after["totals"] == {"cancelled": 0, "already_gone": 0, "unknown_site": 0,
                               "failed": 1}
    message = after["sites"][0]["msg"]
    assert "the access token is invalid or revoked" in message
    assert "wpcom.jetpack.jetpack_partner_token lookup" in message
    assert after["sites"][0]["error_code"] == "invalid_token"
    # A token error is not retried: one attempt, and the plan is still there.
    for name in ("revoker", "after-revoke"):
        tries = [e for e in log if e["call"] == "cancel" and e["site"] == site_of(name)]
        assert [(e["status"], e["error"]) for e in tries] == [(403, "invalid_token")]
        assert [p["slug"] for p in sites[site_of(name)]["products"]] == ["premium"]
    # Every cancel before the revocation went through with the same token.
    assert sites[site_of("html-502")]["products"] == []
