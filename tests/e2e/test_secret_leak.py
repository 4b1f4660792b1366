# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in any output or artefact, at -vvvv with ANSIBLE_DEBUG=1.

One run exercises the token lookup, the decommission role with a report, the plan module
cancelling and provisioning with SSH credentials, and a server that quotes credentials
back in its error bodies. Then stdout, stderr, Ansible's log file, the junit and tree
callbacks' files, the reports and every other file the run left are searched for each
secret, plain and in every URL-encoded form.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote, quote_plus

import pytest

from e2e_support import Sandbox, run_playbook

PARTNER = "leak-partner"
SECRET = "Leak-Partner-S3cret/+=&x y"
TOKEN = "leak-Tok3n/with+chars=="
SSH_PASSWORD = "ssh-Pa55/word+=&z"
SSH_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
           "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ/leak+KEY/line1==\n"
           "QyNTUxOQAAACBmb3JrZWRfa2V5X2Zvcl90ZXN0cw/leak+KEY/line2==\n"
           "-----END OPENSSH PRIVATE KEY-----\n")
# Tokens the sandbox issues to the lookup; their values are never known to the test.
ISSUED_TOKEN = re.compile(r"sbx_[A-Za-z0-9_-]{32}")

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - "{{ secrets_file }}"
  module_defaults:
    group/wpcom.jetpack.partner:
      api_url: "{{ api_url }}"
      access_token: "{{ leak_token }}"
  tasks:
    - name: the token call meets a server that quotes the secret back
      ansible.builtin.debug:
        msg: "{{ lookup('wpcom.jetpack.jetpack_partner_token', partner_id=partner,
                        partner_secret=leak_secret, api_url=api_url, retries=0) }}"
      ignore_errors: true

    - name: the decommission role, with a report
      ansible.builtin.include_role:
        name: wpcom.jetpack.decommission
      vars:
        decommission_sites: [leak-1.example.test, leak-2.example.test]
        decommission_partner_id: "{{ partner }}"
        decommission_partner_secret: "{{ leak_secret }}"
        decommission_api_url: "{{ api_url }}"
        decommission_report_path: "{{ report_path }}"

    - name: cancel with the seeded token
      wpcom.jetpack.jetpack_partner_plan:
        site: leak-3.example.test
        state: absent
      register: cancelled

    - name: a cancel answered with the token quoted back
      wpcom.jetpack.jetpack_partner_plan:
        site: leak-4.example.test
        state: absent
      register: echoed
      ignore_errors: true

    - name: provision with an SSH password, answered with it quoted back
      wpcom.jetpack.jetpack_partner_plan:
        site: https://leak-5.example.test
        state: present
        plan: jetpack-scan
        local_user: admin
        ssh_user: backup
        ssh_password: "{{ leak_ssh_password }}"
      register: echoed_provision
      ignore_errors: true

    - name: provision with an SSH key
      wpcom.jetpack.jetpack_partner_plan:
        site: https://leak-6.example.test
        state: present
        plan: jetpack-scan
        local_user: admin
        ssh_user: backup
        ssh_private_key: "{{ leak_ssh_key }}"
      register: provisioned

    - name: show every result
      ansible.builtin.debug:
        var: item
      loop: "{{ [cancelled, echoed, echoed_provision, provisioned] }}"

    - name: save the results for the test
      ansible.builtin.copy:
        content: "{{ {'cancelled': cancelled, 'echoed': echoed, 'provisioned': provisioned,
                      'echoed_provision': echoed_provision} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


def secret_forms():
    """Every secret, in each form it could be written in."""
    secrets = [SECRET, TOKEN, SSH_PASSWORD]
    secrets += [line for line in SSH_KEY.splitlines() if "PRIVATE KEY" not in line]
    forms = {}
    for secret in secrets:
        for form in (secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
                     json.dumps(secret)[1:-1], secret.replace("/", "\\/")):
            forms[form] = secret
    return forms


# ansible-core itself, with ANSIBLE_DEBUG=1, prints every module's arguments, no_log
# options included, on this line (plugins/action/__init__.py, _execute_module). The
# collection's modules run inside their action plugins, so they never reach it.
CORE_DEBUG_LINE = re.compile(r"^.*done with _execute_module \(.*$", re.MULTILINE)


def leaks(text, where):
    found = ["%s: %r (%r)" % (where, form, secret)
             for form, secret in secret_forms().items() if form in text]
    found += ["%s: an issued token" % where for _match in ISSUED_TOKEN.finditer(text)]
    return found


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory):
    """One sandbox and one run at -vvvv with ANSIBLE_DEBUG=1, shared by the tests."""
    tmp_path = tmp_path_factory.mktemp("leak")
    sites = [{"id": "leak-%d.example.test" % n, "users": ["admin"],
              "products": [{"slug": "premium", "partner": PARTNER, "pending": False}]}
             for n in range(1, 7)]
    data = tmp_path / "data.json"
    data.write_text(json.dumps({
        "partners": [{"id": PARTNER, "secret": SECRET}],
        "tokens": [{"token": TOKEN, "partner": PARTNER}],
        "sites": sites,
        "faults": [{"kind": "echo_secrets", "call": "token", "count": 1},
                   {"kind": "echo_secrets", "call": "cancel", "site": "leak-4.example.test"},
                   {"kind": "echo_secrets", "call": "provision", "count": 1}],
    }))
    sandbox = Sandbox(data, tmp_path / "sandbox")
    # Inputs live apart from the run's folder, which is searched whole afterwards.
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    secrets_file = inputs / "secrets.json"
    secrets_file.write_text(json.dumps({"leak_secret": SECRET, "leak_token": TOKEN,
                                        "leak_ssh_password": SSH_PASSWORD,
                                        "leak_ssh_key": SSH_KEY}))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    log_path = run_dir / "ansible.log"
    env = {"ANSIBLE_DEBUG": "1", "ANSIBLE_LOG_PATH": str(log_path),
           "ANSIBLE_LOCAL_TEMP": str(run_dir / "local-tmp"),
           "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit,ansible.builtin.tree",
           "JUNIT_OUTPUT_DIR": str(run_dir / "junit"),
           "ANSIBLE_CALLBACK_TREE_DIR": str(run_dir / "tree"),
           "JETPACK_PARTNER_SECRET": SECRET}

    run = run_playbook(PLAYBOOK, run_dir, {
        "api_url": sandbox.url, "partner": PARTNER, "secrets_file": str(secrets_file),
        "report_path": str(run_dir / "report" / "decommission")}, args=("-vvvv",), env=env)
    try:
        yield sandbox, run, run_dir
    finally:
        sandbox.stop()


def test_no_secret_anywhere_at_the_highest_verbosity(leak_run):
    sandbox, run, run_dir = leak_run
    log_path = run_dir / "ansible.log"

    # The run did what it was meant to, so the search below looks at real output.
    assert run.rc == 0, run.output[-3000:]
    assert run.results["cancelled"]["changed"] is True
    assert run.results["provisioned"]["changed"] is True, run.results["provisioned"]
    assert run.results["echoed"]["failed"] is True
    assert "Authorization: Bearer ********" in run.results["echoed"]["msg"]
    assert run.results["echoed_provision"]["failed"] is True
    assert "ssh_pass=******** (********)" in run.results["echoed_provision"]["msg"]
    assert "client_secret=******** (********)" in run.output
    assert [entry["token"] for entry in sandbox.calls("cancel")].count("token#1") == 2
    assert sandbox.products("leak-6.example.test") == [("premium", PARTNER),
                                                       ("jetpack-scan", PARTNER)]

    found = leaks(run.stdout, "stdout") + leaks(run.stderr, "stderr")
    artefacts = [os.path.join(folder, name)
                 for folder, _dirs, names in os.walk(run_dir) for name in names]
    for path in artefacts:
        with open(path, encoding="utf-8", errors="replace") as handle:
            found += leaks(handle.read(), os.path.relpath(path, run_dir))
    found += leaks(json.dumps(sandbox.requests()), "sandbox log")
    assert found == []

    names = {os.path.relpath(path, run_dir) for path in artefacts}
    assert {"ansible.log", "results.json", "report/decommission.json",
            "report/decommission.csv"} <= names
    assert any(name.startswith("junit/") for name in names)
    assert os.path.getsize(log_path) > 10000
    assert "EXEC" in run.output and "debug" in run.output.lower()


def test_no_collection_module_goes_through_the_core_debug_line(leak_run):
    _sandbox, run, _run_dir = leak_run
    lines = "\n".join(CORE_DEBUG_LINE.findall(run.output))

    # The line is there for the play's builtin modules, so the search below is not empty.
    assert "ansible.legacy" in lines or "ansible.builtin" in lines
    assert "wpcom.jetpack" not in lines
    assert not any(form in lines for form in secret_forms())
