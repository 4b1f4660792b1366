# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``jetpack_partner_token`` lookup, through ansible-playbook against the sandbox.

One run: after each step the playbook reads the sandbox's request counters, so each
step's count of token requests can be checked on its own.
"""

from __future__ import annotations

import pytest

from e2e_support import DEMO_SECRET, run_playbook

OTHER_SECRET = "other-Secr3t-for-tests-only"
WRONG_SECRET = "Wrong-Secret-Value-4711"
ECHOED_SECRET = "Echoed-Secret-Value-0815"

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    stats_url: "{{ api_url }}/_sandbox/stats"
  tasks:
    # Loops go by index: Ansible shows a failed item whole, secret included.
    - name: one lookup per site, credentials spelled with white space around them
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ per_site[item].site }}"
        state: absent
        api_url: "{{ api_url }}"
        access_token: >-
          {{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id=per_site[item].id,
                    partner_secret=per_site[item].secret, api_url=api_url) }}
      loop: "{{ range(per_site | length) | list }}"
      register: per_site_result

    - name: read the counters
      ansible.builtin.uri: {url: "{{ stats_url }}"}
      register: after_per_site

    - name: credentials and API from the environment only
      ansible.builtin.set_fact:
        env_token: "{{ lookup('wpcom.jetpack.jetpack_partner_token') }}"
      no_log: true

    - name: the environment's token is the other partner's
      wpcom.jetpack.jetpack_partner_plan:
        site: other.example.com
        state: absent
        api_url: "{{ api_url }}"
        access_token: "{{ env_token }}"
      register: env_result

    - name: read the counters
      ansible.builtin.uri: {url: "{{ stats_url }}"}
      register: after_env

    - name: two credentials, each asked for twice
      ansible.builtin.assert:
        that: >-
          lookup('wpcom.jetpack.jetpack_partner_token', partner_id=two_partners[item].id,
                 partner_secret=two_partners[item].secret, api_url=api_url) | length > 10
        quiet: true
      loop: "{{ range(two_partners | length) | list }}"

    - name: read the counters
      ansible.builtin.uri: {url: "{{ stats_url }}"}
      register: after_two

    - name: a wrong secret
      ansible.builtin.debug:
        msg: >-
          {{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id='demo-partner',
                    partner_secret=wrong_secret, api_url=api_url) }}
      register: wrong_result
      ignore_errors: true

    - name: make the next token answer quote the request back
      ansible.builtin.uri:
        url: "{{ api_url }}/_sandbox/faults"
        method: POST
        body_format: json
        body: [{kind: echo_secrets, call: token, count: 1}]

    - name: a server that quotes the secret back
      ansible.builtin.debug:
        msg: >-
          {{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id='nobody',
                    partner_secret=echoed_secret, api_url=api_url) }}
      register: echoed_result
      ignore_errors: true

    - name: an empty partner ID
      ansible.builtin.debug:
        msg: >-
          {{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id='  ',
                    partner_secret=wrong_secret, api_url=api_url) }}
      register: empty_result
      ignore_errors: true

    - name: read the counters
      ansible.builtin.uri: {url: "{{ stats_url }}"}
      register: after_errors

    - name: save the results for the test
      ansible.builtin.copy:
        content: "{{ {'per_site': per_site_result.results | map(attribute='changed') | list,
                      'env': env_result.changed,
                      'wrong': wrong_result, 'echoed': echoed_result, 'empty': empty_result,
                      'counters': [after_per_site.json.counters, after_env.json.counters,
                                   after_two.json.counters, after_errors.json.counters]}
                    | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""

PER_SITE = [
    {"site": "shop13.example.com", "id": "demo-partner", "secret": DEMO_SECRET},
    {"site": "shop08.example.com", "id": " demo-partner", "secret": DEMO_SECRET + "\n"},
    {"site": "shop10.example.com", "id": "demo-partner ", "secret": "  " + DEMO_SECRET},
    {"site": "shop11.example.com", "id": "demo-partner", "secret": DEMO_SECRET},
]

TWO_PARTNERS = [
    {"id": "demo-partner", "secret": DEMO_SECRET},
    {"id": "other-partner", "secret": OTHER_SECRET},
    {"id": "demo-partner", "secret": DEMO_SECRET},
    {"id": "other-partner", "secret": OTHER_SECRET},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from e2e_support import DEMO_DATA, Sandbox

    tmp_path = tmp_path_factory.mktemp("lookup")
    sandbox = Sandbox(DEMO_DATA, tmp_path / "sandbox")
    try:
        env = {"JETPACK_PARTNER_ID": "other-partner", "JETPACK_PARTNER_SECRET": OTHER_SECRET,
               "JETPACK_PARTNER_API_URL": sandbox.url}
        played = run_playbook(PLAYBOOK, tmp_path, {
            "api_url": sandbox.url, "per_site": PER_SITE, "two_partners": TWO_PARTNERS,
            "wrong_secret": WRONG_SECRET, "echoed_secret": ECHOED_SECRET}, env=env)
        yield {"played": played, "results": played.results, "sites": sandbox.sites(),
               "log": sandbox.requests()}
    finally:
        sandbox.stop()


def token_requests(counters):
    return counters.get("token", 0)


def test_the_playbook_ran_to_the_end(run):
    assert run["results"], run["played"].output
    assert run["played"].rc == 0, run["played"].output


def test_one_token_request_serves_every_site_of_a_task(run):
    counters = run["results"]["counters"][0]

    assert run["results"]["per_site"] == [True, True, True, True]
    assert token_requests(counters) == 1
    assert counters["cancel"] == 4
    for item in PER_SITE:
        assert run["sites"][item["site"]]["products"] == []


def test_trimmed_credentials_are_sent(run):
    first = [r for r in run["log"] if r["call"] == "token"][0]

    assert first["form"]["client_id"] == "demo-partner"
    assert first["form"]["client_secret"] == "<secret>"
    assert first["status"] == 200


def test_the_environment_gives_credentials_and_api_url(run):
    counters = run["results"]["counters"][1]

    assert run["results"]["env"] is True
    assert token_requests(counters) == 2
    assert run["sites"]["other.example.com"]["products"] == []
    env_request = [r for r in run["log"] if r["call"] == "token"][1]
    assert env_request["form"]["client_id"] == "other-partner"


def test_one_token_request_per_distinct_credential(run):
    before, after = run["results"]["counters"][1:3]
    asked = [r["form"]["client_id"] for r in run["log"] if r["call"] == "token"][2:4]

    assert token_requests(after) - token_requests(before) == 2
    assert sorted(asked) == ["demo-partner", "other-partner"]


def test_a_wrong_secret_fails_with_the_oauth_code_and_a_clear_message(run):
    result = run["results"]["wrong"]

    assert result["failed"] is True
    assert "invalid_client" in result["msg"]
    assert "partner ID or secret is wrong" in result["msg"]
    assert "HTTP 400" in result["msg"]


def test_a_server_quoting_the_secret_does_not_get_it_shown(run):
    result = run["results"]["echoed"]

    assert result["failed"] is True
    assert "invalid_request" in result["msg"]
    assert ECHOED_SECRET not in result["msg"]
    echoed = [r for r in run["log"] if r.get("fault") == "echo_secrets"]
    assert [r["call"] for r in echoed] == ["token"]


def test_an_empty_partner_id_fails_before_any_request(run):
    before, after = run["results"]["counters"][2:4]
    result = run["results"]["empty"]

    assert result["failed"] is True
    assert "option partner_id" in result["msg"]
    # The two failed credentials above were sent; the empty ID never was.
    assert token_requests(after) - token_requests(before) == 2


def test_no_secret_shows_anywhere_in_the_output(run):
    output = run["played"].output

    for secret in (DEMO_SECRET, OTHER_SECRET, WRONG_SECRET, ECHOED_SECRET):
        assert secret not in output
        assert secret not in str(run["results"])
