# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input is refused before any request, with a message naming the option.

Every case runs in one playbook. The run's HTTP and HTTPS proxies point at a loopback
listener that counts connections: a check that let a request out, to any host, would
show there, and could reach nothing else.
"""

from __future__ import annotations

import socket
import threading

import pytest

from e2e_support import run_playbook

PLAN = "wpcom.jetpack.jetpack_partner_plan"
BULK = "wpcom.jetpack.jetpack_partner_decommission"

# (name, module, arguments, words the message must hold)
CASES = [
    ("http api_url off loopback", PLAN, {"api_url": "http://jetpack.example.com"},
     "option api_url: must use https:// unless its host is a loopback address "
     "(got http://jetpack.example.com)"),
    ("api_url with user info", PLAN, {"api_url": "https://u:p@jetpack.example.com"},
     "option api_url: must not carry user info"),
    ("api_url of another scheme", BULK, {"api_url": "ftp://127.0.0.1/"},
     "option api_url: must be an https:// URL"),
    ("timeout zero", PLAN, {"timeout": 0}, "option timeout: must be 1 or more, got 0"),
    ("timeout not a number", PLAN, {"timeout": "soon"},
     "argument 'timeout' is of type str and we were unable to convert to int"),
    ("retries negative", BULK, {"retries": -1}, "option retries: must be 0 or more, got -1"),
    ("state not a choice", PLAN, {"state": "gone"},
     "value of state must be one of: absent, present, got: gone"),
    ("site with a query", PLAN, {"site": "https://example.com/?p=1"},
     "option site: 'https://example.com/?p=1' has a query string"),
    ("site with a port out of range", PLAN, {"site": "example.com:70000"},
     "option site: 'example.com:70000' has port '70000'; a port is a number from 1 to 65535"),
    ("site with www and a space", PLAN, {"site": "www.example .com"},
     "option site: 'www.example .com' contains white space"),
    ("plan slug", PLAN, {"plan": "Premium Plan"},
     "option plan: 'Premium Plan' is not a plan or product slug"),
    ("ssh port", PLAN, {"state": "present", "plan": "premium", "local_user": "admin",
                        "ssh_user": "backup", "ssh_password": "pw-Input-Check",
                        "ssh_port": 70000},
     "option ssh_port: must be from 1 to 65535, got 70000"),
    ("ssh password and key", PLAN, {"ssh_user": "b", "ssh_password": "pw-Input-Check",
                                    "ssh_private_key": "key-Input-Check"},
     "parameters are mutually exclusive: ssh_password|ssh_private_key"),
    ("ssh password alone", PLAN, {"ssh_password": "pw-Input-Check"},
     "missing parameter(s) required by 'ssh_password': ssh_user"),
    ("present without its options", PLAN, {"state": "present"},
     "state is present but all of the following are missing: plan, local_user"),
    ("plan and cancel_all", BULK, {"plan": "premium", "cancel_all": True},
     "options plan and cancel_all: give one or the other"),
    ("plan and cancel_all, one site", PLAN, {"state": "absent", "plan": "premium",
                                             "cancel_all": True},
     "options plan and cancel_all: give one or the other"),
    ("concurrency", BULK, {"concurrency": 0}, "option concurrency: must be from 1 to 64, got 0"),
    ("bulk site address", BULK, {"sites": ["example.com", "ftp://example.com", "a@b.example"]},
     "option sites[1]: 'ftp://example.com' has scheme 'ftp'"),
    ("empty token", BULK, {"access_token": "  "}, "option access_token: is missing or empty"),
]

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: one bad input per task
      wpcom.jetpack.jetpack_partner_plan: "{{ defaults | combine(item.args) }}"
      loop: "{{ plan_cases }}"
      loop_control:
        label: "{{ item.name }}"
      register: plan_results
      ignore_errors: true

    - name: one bad input per task, bulk
      wpcom.jetpack.jetpack_partner_decommission: "{{ bulk_defaults | combine(item.args) }}"
      loop: "{{ bulk_cases }}"
      loop_control:
        label: "{{ item.name }}"
      register: bulk_results
      ignore_errors: true

    - name: the token lookup refuses a plain-http API off loopback
      ansible.builtin.debug:
        msg: "{{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id='p',
                        partner_secret='lookup-Input-Check', api_url='http://192.0.2.7') }}"
      register: lookup_result
      ignore_errors: true

    - name: save the results for the test
      ansible.builtin.copy:
        content: "{{ {'results': plan_results.results + bulk_results.results,
                      'lookup': lookup_result} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


class ConnectionCounter:
    """A loopback listener that only counts who connects to it."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.socket.getsockname()[1]

    def _accept(self):
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self):
        self.socket.close()


@pytest.fixture(scope="module")
def checks_run(tmp_path_factory):
    counter = ConnectionCounter()
    tmp_path = tmp_path_factory.mktemp("input-checks")
    # The defaults are valid, so each case fails on its one bad input only.
    common = {"api_url": "https://jetpack-api.example.com", "access_token": "tok-Input-Check",
              "retries": 0}
    variables = {
        "defaults": dict(common, site="example.com", state="absent"),
        "bulk_defaults": dict(common, sites=["example.com"]),
        "plan_cases": [{"name": n, "args": a} for n, m, a, _w in CASES if m == PLAN],
        "bulk_cases": [{"name": n, "args": a} for n, m, a, _w in CASES if m == BULK],
    }
    env = {"HTTPS_PROXY": counter.url, "HTTP_PROXY": counter.url, "https_proxy": counter.url,
           "http_proxy": counter.url, "NO_PROXY": "", "no_proxy": ""}
    try:
        run = run_playbook(PLAYBOOK, tmp_path, variables, env=env)
        yield run, counter.connections
    finally:
        counter.close()


@pytest.mark.parametrize("name, module, args, words", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_refused_with_a_message_naming_it(checks_run, name, module, args, words):
    run, _connections = checks_run
    results = {result["item"]["name"]: result for result in run.results["results"]}

    result = results[name]
    assert result["failed"] is True
    assert result.get("changed") is False or "changed" not in result
    assert words in result["msg"]


def test_nothing_was_sent_anywhere(checks_run):
    run, connections = checks_run
    assert len(run.results["results"]) == len(CASES)
    assert connections == 0


def test_the_lookup_refuses_plain_http_off_loopback(checks_run):
    run, _connections = checks_run
    assert run.results["lookup"]["failed"] is True
    assert "option api_url: must use https:// unless its host is a loopback address " \
           "(got http://192.0.2.7)" in run.results["lookup"]["msg"]


def test_no_secret_given_outside_a_loop_item_is_shown(checks_run):
    # Ansible itself shows a failed loop item whole, so the SSH values of the cases above
    # are not checked here; the token and the lookup's secret must not show.
    run, _connections = checks_run
    for secret in ("tok-Input-Check", "lookup-Input-Check"):
        assert secret not in run.output
