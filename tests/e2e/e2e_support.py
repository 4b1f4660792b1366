# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for tests that run ansible-playbook against a real sandbox on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.parse
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
SERVER = os.path.join(ROOT, "sandbox", "server.py")
DEMO_DATA = os.path.join(ROOT, "sandbox", "demo", "sites.json")
DEMO_SECRET = "demo-Secr3t-do-not-use-in-production"
BIN = os.path.dirname(sys.executable)


def _ensure_collection_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "wpcom", "jetpack")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


class Sandbox:
    """A sandbox server started for one test, with helpers to read its state and log."""

    def __init__(self, data_path, state_dir):
        self.state_dir = str(state_dir)
        self.url = subprocess.run(
            [sys.executable, SERVER, "start", "--data", str(data_path),
             "--state-dir", self.state_dir],
            check=True, capture_output=True, text=True).stdout.strip()

    def _get(self, name):
        with urllib.request.urlopen(self.url + "/_sandbox/" + name, timeout=30) as answer:
            return json.load(answer)

    def _post(self, name, payload=None):
        data = json.dumps(payload if payload is not None else {}).encode()
        request = urllib.request.Request(self.url + "/_sandbox/" + name, data=data,
                                         method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def sites(self):
        return self._get("state")["sites"]

    def products(self, site_id):
        return [(p["slug"], p.get("partner")) for p in self.sites()[site_id]["products"]]

    def requests(self):
        return self._get("log")["requests"]

    def calls(self, call=None):
        return [r for r in self.requests() if call is None or r["call"] == call]

    def set_faults(self, faults):
        return self._post("faults", faults)

    def set_latency(self, latency_ms):
        return self._post("latency", {"latency_ms": latency_ms})

    def reset(self):
        return self._post("reset")

    def stop(self):
        subprocess.run([sys.executable, SERVER, "stop", "--state-dir", self.state_dir],
                       check=False, capture_output=True)


@pytest.fixture
def sandbox_factory(tmp_path):
    started = []

    def start(data=None):
        path = data or DEMO_DATA
        if isinstance(data, dict):
            path = tmp_path / "sandbox-data.json"
            path.write_text(json.dumps(data))
        server = Sandbox(path, tmp_path / ("sandbox-%d" % len(started)))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory):
    """The sandbox seeded with the demo data (sandbox/demo/sites.json)."""
    return sandbox_factory()


class PlaybookRun:
    def __init__(self, process, result_file):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.output = process.stdout + process.stderr
        self.results = {}
        if os.path.exists(result_file):
            with open(result_file, encoding="utf-8") as handle:
                self.results = json.load(handle)


def ansible_env(extra=None):
    _ensure_collection_link()
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    for name in ("JETPACK_PARTNER_API_URL", "JETPACK_PARTNER_ACCESS_TOKEN",
                 "JETPACK_PARTNER_ID", "JETPACK_PARTNER_SECRET"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def run_playbook(playbook, tmp_path, extra_vars=None, args=(), env=None, timeout=600):
    """Run ``ansible-playbook`` on a playbook file or YAML text; return a PlaybookRun.

    Tasks may save registered results for the test with
    ``ansible.builtin.copy: {content: "{{ {...} | to_json }}", dest: "{{ result_file }}"}``.
    """
    if "\n" in playbook:
        path = tmp_path / "playbook.yml"
        path.write_text(textwrap.dedent(playbook))
        playbook = str(path)
    result_file = str(tmp_path / "results.json")
    if os.path.exists(result_file):
        os.remove(result_file)
    variables = dict(extra_vars or {}, result_file=result_file)
    command = [os.path.join(BIN, "ansible-playbook"), playbook,
               "-e", json.dumps(variables)] + list(args)
    process = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                             env=ansible_env(env), cwd=str(tmp_path), check=False)
    return PlaybookRun(process, result_file)


MODULE_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: the task under test
      {module}: "{{{{ module_args }}}}"
      register: outcome
      ignore_errors: true
    - name: save the result for the test
      ansible.builtin.copy:
        content: "{{{{ outcome | to_json }}}}"
        dest: "{{{{ result_file }}}}"
        mode: "0600"
      # The result must reach the test even when the task under test ran in check mode.
      check_mode: false
"""


def run_module(module, module_args, tmp_path, args=(), env=None):
    """Run one module task through ansible-playbook; ``.results`` is its registered result."""
    playbook = MODULE_PLAYBOOK.format(module=module)
    return run_playbook(playbook, tmp_path, {"module_args": module_args}, args, env)


def fetch_token(sandbox, partner_id="demo-partner", secret=DEMO_SECRET):
    """A token straight from the sandbox, for tests of modules that take one."""
    data = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "jetpack-partner",
                                   "client_id": partner_id, "client_secret": secret}).encode()
    with urllib.request.urlopen(sandbox.url + "/oauth2/token", data=data, timeout=30) as answer:
        return json.load(answer)["access_token"]
