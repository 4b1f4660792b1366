# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A decommission killed with SIGKILL half way, then run again, misses and repeats nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from e2e_support import BIN, ROOT, ansible_env, run_playbook

COUNT = 300
PARTNER = "kill-partner"
SECRET = "kill-test-Secr3t"
PLAYBOOK = os.path.join(ROOT, "playbooks", "decommission.yml")


def sites():
    return ["https://kill-%d.example.test/" % number for number in range(COUNT)]


def variables(sandbox, tmp_path, report=None):
    values = {"jetpack_sites": sites(), "jetpack_partner_id": PARTNER,
              "jetpack_partner_secret": SECRET, "jetpack_api_url": sandbox.url,
              "decommission_concurrency": 4, "decommission_progress_interval": 0}
    if report:
        values["jetpack_report_path"] = str(tmp_path / report)
    return values


def descendants(pid):
    children = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % name, encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid):
    """SIGKILL a process and everything under it, as a dying machine would.

    Killing the process group is not enough: Ansible moves each worker into a session of
    its own, and a worker left alive goes on cancelling after ansible-playbook is gone.
    """
    for _round in range(2):
        for victim in descendants(pid) + [pid]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass


def successes(log):
    return [entry for entry in log if entry["call"] == "cancel" and entry.get("success") is True]


def test_a_killed_decommission_run_again_cancels_each_plan_exactly_once(
        sandbox_factory, tmp_path):
    sandbox = sandbox_factory({
        "partners": [{"id": PARTNER, "secret": SECRET}],
        "generate": {"count": COUNT, "pattern": "kill-{n}.example.test", "plan": "premium",
                     "partner": PARTNER},
        # 40 ms a cancel over 4 connections is about 3 s for the whole run, and one answer
        # in twenty is a 503 to retry, so the kill also lands between tries.
        "faults": [{"kind": "delay", "call": "cancel", "delay_ms": 40, "rate": 1},
                   {"kind": "http_error", "call": "cancel", "status": 503, "rate": 0.05}],
    })

    command = [os.path.join(BIN, "ansible-playbook"), PLAYBOOK,
               "-e", json.dumps(variables(sandbox, tmp_path, "killed"))]
    # A session of its own, so the kill reaches ansible-playbook's workers too.
    process = subprocess.Popen(command, env=ansible_env(), cwd=str(tmp_path),  # noqa: S603
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(successes(sandbox.requests())) < COUNT // 2:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run never got half way"
            time.sleep(0.05)
        kill_tree(process.pid)
        killed_at = time.time()
    finally:
        process.wait(timeout=30)

    # Let any request still in flight at the kill finish on the server.
    time.sleep(0.5)
    first_log = sandbox.requests()
    done_before = {entry["site"] for entry in successes(first_log)}
    assert COUNT // 2 <= len(done_before) < COUNT
    assert not os.path.exists(tmp_path / "killed.json")

    rerun = run_playbook(PLAYBOOK, tmp_path, variables(sandbox, tmp_path, "rerun"),
                         args=("-e", json.dumps({"decommission_concurrency": 8})))
    assert rerun.rc == 0, rerun.output

    log = sandbox.requests()
    expected = {"kill-%d.example.test" % number for number in range(COUNT)}
    cancelled_once = [entry["site"] for entry in successes(log)]
    assert sorted(cancelled_once) == sorted(expected)
    assert all(site["products"] == [] for site in sandbox.sites().values())

    with open(tmp_path / "rerun.json", encoding="utf-8") as handle:
        report = json.load(handle)
    rows = {row["site_id"]: row for row in report["sites"]}
    assert len(report["sites"]) == len(rows) == COUNT
    assert set(rows) == expected
    for site_id, row in rows.items():
        assert row["outcome"] == ("already_gone" if site_id in done_before else "cancelled"), [
            (e["time"] - killed_at, e["status"], e.get("success"), e["token"], e["fault"])
            for e in log if e["site"] == site_id]
        assert row["outcome"] == ("already_gone" if site_id in done_before else "cancelled")
    assert report["totals"] == {"cancelled": COUNT - len(done_before),
                                "already_gone": len(done_before), "unknown_site": 0,
                                "failed": 0}
    with open(tmp_path / "rerun.csv", encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == COUNT + 1
