# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every plugin's EXAMPLES run as written, against a sandbox, as one playbook each.

The examples use the variables a user sets (jetpack_token, jetpack_api_url, ...): the
test gives them values that point at the sandbox. An example that names no API address
would use the public API; three guards keep it on loopback: the JETPACK_PARTNER_API_URL
variable, module_defaults for the partner group on the play, and HTTP(S) proxies set to
a loopback socket of this test that refuses every connection.
"""

from __future__ import annotations

import ast
import glob
import os
import socket

import pytest
import yaml

from e2e_support import DEMO_SECRET, ROOT, fetch_token, run_playbook

PLUGINS = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                 + glob.glob(os.path.join(ROOT, "plugins", "lookup", "*.py")))

# The sites the examples name, so each example meets a site in the state it expects.
SEED = {
    "partners": [{"id": "demo-partner", "secret": DEMO_SECRET}],
    "sites": [
        {"id": "blog.example.com", "blog_id": 3001, "products": []},
        {"id": "example.com", "blog_id": 3002, "siteurl": "https://example.com/wp",
         "users": ["admin", "admin@example.com"],
         "products": []},
        {"id": "shop.example.com", "blog_id": 3003,
         "products": [{"slug": "professional", "partner": "demo-partner", "pending": False}]},
        {"id": "numbered.example.com", "blog_id": 123456789,
         "products": [{"slug": "premium", "partner": "demo-partner", "pending": False}]},
    ],
}
SITES = ["https://blog.example.com", "shop.example.com", "numbered.example.com"]


def examples_of(path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXAMPLES":
            return node.value.value
    return None


@pytest.fixture
def refusing_proxy():
    """A loopback address where nothing answers: bound, never listening."""
    trap = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    trap.bind(("127.0.0.1", 0))
    yield "http://127.0.0.1:%d" % trap.getsockname()[1]
    trap.close()


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: os.path.basename(p)[:-3])
def test_examples_run_as_written(path, sandbox_factory, refusing_proxy, tmp_path):
    text = examples_of(path)
    assert text and text.strip(), "%s has no EXAMPLES" % path
    # Reports go to the test's folder rather than to /var/log on the machine running it.
    text = text.replace("/var/log/jetpack/", str(tmp_path) + "/")
    tasks = yaml.safe_load(text)
    assert isinstance(tasks, list) and tasks, "EXAMPLES of %s is not a task list" % path

    sandbox = sandbox_factory(SEED)
    # A file the SSH credentials example reads; a placeholder, not a key.
    (tmp_path / "backup_key").write_text("placeholder key for the examples test\n")
    variables = {"jetpack_api_url": sandbox.url, "jetpack_partner_id": "demo-partner",
                 "jetpack_partner_secret": DEMO_SECRET, "jetpack_sites": SITES}
    if "/lookup/" not in path:
        variables["jetpack_token"] = fetch_token(sandbox)
    play = [{
        "name": "EXAMPLES of %s" % os.path.basename(path),
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": "ansible_date_time" in text,
        "module_defaults": {"group/wpcom.jetpack.partner": {"api_url": sandbox.url}},
        "tasks": tasks,
    }]
    playbook = tmp_path / "examples.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = {"JETPACK_PARTNER_API_URL": sandbox.url, "HTTP_PROXY": refusing_proxy,
           "HTTPS_PROXY": refusing_proxy, "http_proxy": refusing_proxy,
           "https_proxy": refusing_proxy, "NO_PROXY": "127.0.0.1,localhost",
           "no_proxy": "127.0.0.1,localhost"}

    run = run_playbook(str(playbook), tmp_path, variables, env=env)

    assert run.rc == 0, run.output
    assert sandbox.requests(), "the examples sent nothing to the sandbox"
