# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning through ansible-playbook against the sandbox: errors, recovery, secrets."""

from __future__ import annotations

import json

from conftest import DEMO_SECRET, fetch_token, run_playbook

OTHER_SECRET = "other-Secr3t-for-tests-only"
SSH_PASSWORD = "ssh-Pa55word-never-shown"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAkeyNEVERshown\n" \
          "-----END OPENSSH PRIVATE KEY-----"
FTP_PASSWORD = "ftp-Pa55word-never-shown"
OWNER_TOKEN = "owner_token_NEVER_shown_0123456789"


def product(slug, partner="demo-partner", pending=False, **extra):
    return dict({"slug": slug, "partner": partner, "pending": pending}, **extra)


def provision_data(sites):
    """Sandbox data: the demo partners, one disabled partner, and the given sites."""
    return {
        "partners": [
            {"id": "demo-partner", "secret": DEMO_SECRET,
             "activation_limits": {"jetpack-anti-spam": 0}},
            {"id": "other-partner", "secret": OTHER_SECRET},
            {"id": "disabled-partner", "secret": "disabled-Secr3t", "disabled": True},
        ],
        "sites": [dict({"id": site_id, "blog_id": 3000 + number}, **fields)
                  for number, (site_id, fields) in enumerate(sites.items())],
    }


def playbook(tasks):
    """A play whose tasks all register into ``r`` by name and save it at the end."""
    lines = ["- hosts: localhost", "  connection: local", "  gather_facts: false",
             "  module_defaults:", "    group/wpcom.jetpack.partner:",
             "      api_url: \"{{ api_url }}\"", "      access_token: \"{{ token }}\"",
             "  tasks:"]
    for name, module, args in tasks:
        lines += ["    - name: %s" % name,
                  "      %s: %s" % (module, json.dumps(args)),
                  "      register: r_%s" % name,
                  "      ignore_errors: true"]
    saved = ", ".join("'%s': r_%s" % (name, name) for name, _module, _args in tasks)
    lines += ["    - name: save", "      ansible.builtin.copy:",
              "        content: \"{{ {%s} | to_json }}\"" % saved,
              "        dest: \"{{ result_file }}\"", "        mode: \"0600\"",
              "      check_mode: false", "      diff: false"]
    return "\n".join(lines) + "\n"
