# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Neither the partner secret nor a token shows in the output of a play run at -vvv.

The play gets its credential from the vaulted demo file, as the decommission job does,
runs the lookup, the single-site module (a cancel, a refusal, an unknown site, a server
that quotes the token back) and the decommission role. The tokens it used are written to
files by no_log tasks, read by the test, searched for in the output, then deleted.
"""

from __future__ import annotations

import os
import urllib.parse

import pytest

from e2e_support import DEMO_SECRET, ROOT, run_playbook

DEMO = os.path.join(ROOT, "sandbox", "demo")

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: a token from the vaulted credential
      ansible.builtin.set_fact:
        play_token: >-
          {{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id=jetpack_partner_id,
                    partner_secret=jetpack_partner_secret, api_url=api_url) }}
      no_log: true

    - name: keep it for the test
      ansible.builtin.copy:
        content: "{{ play_token }}"
        dest: "{{ token_dir }}/play_token"
        mode: "0600"
      no_log: true

    - name: make the next cancel answer quote the request back, token included
      ansible.builtin.uri:
        url: "{{ api_url }}/_sandbox/faults"
        method: POST
        body_format: json
        body: [{kind: echo_secrets, call: cancel, site: shop04.example.com, count: 1}]

    - name: the single-site module, each kind of answer
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ item }}"
        state: absent
        api_url: "{{ api_url }}"
        access_token: "{{ play_token }}"
      loop: [shop01.example.com, other.example.com, shop01.exampel.com, shop04.example.com]
      register: module_results
      ignore_errors: true

    - name: the decommission role
      ansible.builtin.include_role:
        name: wpcom.jetpack.decommission
      vars:
        decommission_sites: [shop02.example.com, empty01.example.net, direct01.example.org]
        decommission_partner_id: "{{ jetpack_partner_id }}"
        decommission_partner_secret: "{{ jetpack_partner_secret }}"
        decommission_api_url: "{{ api_url }}"

    - name: keep the role's token for the test
      ansible.builtin.copy:
        content: "{{ decommission_access_token }}"
        dest: "{{ token_dir }}/role_token"
        mode: "0600"
      no_log: true

    - name: save the results for the test
      ansible.builtin.copy:
        content: "{{ {'module': module_results.results | map(attribute='outcome') | list,
                      'role': decommission_result.totals} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


def spellings(secret):
    """The forms a secret can take on its way into output."""
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from e2e_support import DEMO_DATA, Sandbox

    tmp_path = tmp_path_factory.mktemp("secrets")
    token_dir = tmp_path_factory.mktemp("tokens")
    sandbox = Sandbox(DEMO_DATA, tmp_path / "sandbox")
    try:
        played = run_playbook(PLAYBOOK, tmp_path, {"api_url": sandbox.url,
                                                   "token_dir": str(token_dir)},
                              args=("-vvv", "-e", "@" + os.path.join(DEMO, "partner.vault.yml"),
                                    "--vault-password-file",
                                    os.path.join(DEMO, "vault-password")))
        tokens = {}
        for name in ("play_token", "role_token"):
            path = token_dir / name
            if path.exists():
                tokens[name] = path.read_text()
                path.unlink()
        yield {"played": played, "tokens": tokens, "log": sandbox.requests(),
               "server_out": (tmp_path / "sandbox" / "server.out").read_text()}
    finally:
        sandbox.stop()


def test_the_play_ran_every_case_at_high_verbosity(run):
    played = run["played"]

    assert played.rc == 0, played.output
    assert "ESTABLISH LOCAL CONNECTION" in played.output
    assert played.results["module"] == ["cancelled", "failed", "unknown_site", "failed"]
    assert played.results["role"] == {"cancelled": 1, "already_gone": 2, "unknown_site": 0,
                                      "failed": 0}


def test_the_tokens_were_real_and_used(run):
    issued = [r for r in run["log"] if r["call"] == "token"]

    assert set(run["tokens"]) == {"play_token", "role_token"}
    assert all(len(token) > 16 for token in run["tokens"].values())
    assert run["tokens"]["play_token"] != run["tokens"]["role_token"]
    assert [r["status"] for r in issued] == [200, 200]
    assert [r.get("fault") for r in run["log"] if r.get("fault")] == ["echo_secrets"]


@pytest.mark.parametrize("name", ["play_token", "role_token"])
def test_no_token_in_the_output(run, name):
    for form in spellings(run["tokens"][name]):
        assert form not in run["played"].output
        assert form not in run["server_out"]


def test_no_partner_secret_in_the_output(run):
    for form in spellings(DEMO_SECRET):
        assert form not in run["played"].output
        assert form not in run["server_out"]
        assert form not in str(run["log"])
