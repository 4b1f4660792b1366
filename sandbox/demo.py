#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo: decommission the demo sites against the sandbox, twice.

Starts the sandbox seeded with sandbox/demo/sites.json, runs the collection's
decommission playbook with the vaulted demo credential, shows the recap, runs it again
to show that nothing changes, and stops the sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "demo")


def plans_left(url):
    with urllib.request.urlopen(url + "/_sandbox/state", timeout=10) as answer:
        sites = json.load(answer)["sites"]
    return sum(len(site["products"]) for site in sites.values())


def main():
    state_dir = tempfile.mkdtemp(prefix="jetpack-sandbox-")
    server = [sys.executable, os.path.join(HERE, "server.py")]
    url = subprocess.run(server + ["start", "--data", os.path.join(DEMO, "sites.json"),
                                   "--state-dir", state_dir],
                         check=True, capture_output=True, text=True).stdout.strip()
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    command = [playbook if os.path.exists(playbook) else "ansible-playbook",
               "wpcom.jetpack.decommission",
               "-e", "@" + os.path.join(DEMO, "sites.yml"),
               "-e", "@" + os.path.join(DEMO, "partner.vault.yml"),
               "--vault-password-file", os.path.join(DEMO, "vault-password"),
               "-e", "jetpack_api_url=" + url]
    try:
        print("Sandbox listening on %s with %d plans and products" % (url, plans_left(url)))
        for run in ("first", "second"):
            print("\n=== %s run of wpcom.jetpack.decommission ===" % run, flush=True)
            subprocess.run(command, check=True)
            print("Plans and products left in the sandbox: %d" % plans_left(url))
    finally:
        subprocess.run(server + ["stop", "--state-dir", state_dir], check=False,
                       capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
