#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure a whole-environment decommission against the sandbox, side by side.

In one run, with the same per-call latency in the sandbox:

  (a) playbooks/decommission.yml on N sites (the bulk action);
  (b) one wpcom.jetpack.jetpack_partner_plan call per site through an Ansible loop,
      timed on a sample and extrapolated to N;
  (c) a plain shell loop of curl, one request per site, as partner scripts do,
      timed on a sample and extrapolated to N;
  (d) the floor: N x latency / concurrency.

It prints wall time, requests sent, token requests and peak memory for each, and the
ratios (a)/(d), (b)/(a) and (c)/(a). With --fault-rate it runs (a) a second time with
that share of cancels answered 503 or 429 and checks that every plan ends cancelled and
that the report is exact.

    .venv/bin/python bench/decommission_bench.py --sites 10000 --latency-ms 50
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "sandbox", "server.py")
BIN = os.path.dirname(sys.executable)
PARTNER = {"id": "bench-partner", "secret": "bench-Secr3t-only-for-the-benchmark"}
PATTERN = "site-{n}.bench.example"


class Sandbox:
    def __init__(self, workdir, count, latency_ms, faults=()):
        data = {"partners": [PARTNER], "latency_ms": latency_ms, "faults": list(faults),
                "generate": {"count": count, "pattern": PATTERN, "plan": "personal",
                             "partner": PARTNER["id"]}}
        self.data_path = os.path.join(workdir, "sandbox-%d.json" % time.monotonic_ns())
        with open(self.data_path, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        self.state_dir = self.data_path + ".state"
        self.url = subprocess.run([sys.executable, SERVER, "start", "--data", self.data_path,
                                   "--state-dir", self.state_dir],
                                  check=True, capture_output=True, text=True).stdout.strip()

    def control(self, name, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        with urllib.request.urlopen(self.url + "/_sandbox/" + name, data=data,
                                    timeout=120) as answer:
            return json.load(answer)

    def counters(self):
        return self.control("stats")["counters"]

    def plans_left(self):
        return sum(len(site["products"]) for site in self.control("state")["sites"].values())

    def token(self):
        form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "scope": "jetpack-partner", "client_id": PARTNER["id"],
                                       "client_secret": PARTNER["secret"]}).encode()
        with urllib.request.urlopen(self.url + "/oauth2/token", data=form, timeout=30) as answer:
            return json.load(answer)["access_token"]

    def stop(self):
        subprocess.run([sys.executable, SERVER, "stop", "--state-dir", self.state_dir],
                       check=False, capture_output=True)


class PeakMemory:
    """Samples the summed resident memory of a process and all its descendants."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree_kib(self):
        children = {}
        rss = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                with open("/proc/%s/statm" % entry, encoding="utf-8") as handle:
                    pages = int(handle.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, []))
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self._tree_kib())
            self._stop.wait(0.1)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024.0


def ansible_env():
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
                "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
                "ANSIBLE_NOCOLOR": "1",
                "PATH": BIN + os.pathsep + env.get("PATH", "")})
    return env


def timed(command, env=None, cwd=None):
    """Run a command; return (seconds, peak MiB of its process tree, completed process)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    memory = PeakMemory(process.pid)
    output = process.communicate()[0]
    elapsed = time.monotonic() - started
    peak = memory.stop()
    if process.returncode != 0:
        sys.stderr.write(output[-4000:])
        raise SystemExit("command failed: %s" % command[:2])
    return elapsed, peak, output


def write_vars(path, name, items):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({name: items}, handle)


def run_playbook(workdir, sandbox, count, report, concurrency):
    sites_file = os.path.join(workdir, "sites-%d.yml" % count)
    write_vars(sites_file, "jetpack_sites", [PATTERN.format(n=n) for n in range(count)])
    credentials = os.path.join(workdir, "partner.json")
    with open(credentials, "w", encoding="utf-8") as handle:
        json.dump({"jetpack_partner_id": PARTNER["id"],
                   "jetpack_partner_secret": PARTNER["secret"]}, handle)
    before = sandbox.counters()
    seconds, peak, output = timed(
        [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "decommission.yml"),
         "-e", "@" + sites_file, "-e", "@" + credentials, "-e", "jetpack_api_url=" + sandbox.url,
         "-e", "jetpack_report_path=" + report,
         "-e", "decommission_concurrency=%d" % concurrency], env=ansible_env())
    after = sandbox.counters()
    progress_lines = sum(1 for line in output.splitlines()
                         if line.startswith("jetpack decommission:"))
    return {"seconds": seconds, "peak_mib": peak, "progress_lines": progress_lines,
            "cancel_requests": after.get("cancel", 0) - before.get("cancel", 0),
            "token_requests": after.get("token", 0) - before.get("token", 0)}


LOOP_PLAYBOOK = """---
- name: One module call per site
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Cancel each site's plan
      wpcom.jetpack.jetpack_partner_plan:
        site: "{{ item }}"
        state: absent
        api_url: "{{ api_url }}"
        access_token: "{{ token }}"
      loop: "{{ jetpack_sites }}"
"""


def run_loop(workdir, sandbox, first, sample):
    sites_file = os.path.join(workdir, "loop-sites.yml")
    write_vars(sites_file, "jetpack_sites",
               [PATTERN.format(n=n) for n in range(first, first + sample)])
    playbook = os.path.join(workdir, "loop.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write(LOOP_PLAYBOOK)
    empty_file = os.path.join(workdir, "loop-empty.yml")
    write_vars(empty_file, "jetpack_sites", [])
    before = sandbox.counters()
    token_file = os.path.join(workdir, "loop-token.json")
    with open(token_file, "w", encoding="utf-8") as handle:
        json.dump({"token": sandbox.token(), "api_url": sandbox.url}, handle)

    # Ansible's start-up is paid once whatever N is, so it is measured apart and not
    # multiplied by the extrapolation.
    command = [os.path.join(BIN, "ansible-playbook"), playbook, "-e", "@" + token_file]
    startup = timed(command + ["-e", "@" + empty_file], env=ansible_env())[0]
    seconds, peak = timed(command + ["-e", "@" + sites_file], env=ansible_env())[:2]
    after = sandbox.counters()
    return {"seconds": seconds, "startup_seconds": startup, "peak_mib": peak,
            "per_site_seconds": (seconds - startup) / sample,
            "cancel_requests": after.get("cancel", 0) - before.get("cancel", 0),
            "token_requests": after.get("token", 0) - before.get("token", 0)}


def run_curl(workdir, sandbox, first, sample):
    sites = os.path.join(workdir, "curl-sites.txt")
    with open(sites, "w", encoding="utf-8") as handle:
        handle.writelines(PATTERN.format(n=n) + "\n" for n in range(first, first + sample))
    script = ('token=$(curl -s -X POST "$API/oauth2/token" -F client_id="$ID" '
              '-F client_secret="$SECRET" -F grant_type=client_credentials '
              '-F scope=jetpack-partner | sed -e \'s/.*"access_token": *"\\([^"]*\\)".*/\\1/\')\n'
              'while read -r site; do\n'
              '  curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" '
              '"$API/rest/v1.3/jpphp/$site/partner-cancel"\n'
              'done < "$SITES"\n')
    env = dict(os.environ, API=sandbox.url, ID=PARTNER["id"], SECRET=PARTNER["secret"],
               SITES=sites)
    before = sandbox.counters()
    seconds, peak = timed(["bash", "-c", script], env=env)[:2]
    after = sandbox.counters()
    return {"seconds": seconds, "peak_mib": peak,
            "cancel_requests": after.get("cancel", 0) - before.get("cancel", 0),
            "token_requests": after.get("token", 0) - before.get("token", 0)}


def check_report(report, count):
    with open(report + ".json", encoding="utf-8") as handle:
        document = json.load(handle)
    outcomes = {}
    for site in document["sites"]:
        outcomes[site["outcome"]] = outcomes.get(site["outcome"], 0) + 1
    return {"report_totals": document["totals"], "report_rows": len(document["sites"]),
            "report_exact": outcomes == {"cancelled": count} and
            document["totals"]["cancelled"] == count}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sites", type=int, default=10000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight for (a), and the divisor of the floor")
    parser.add_argument("--loop-sample", type=int, default=40)
    parser.add_argument("--curl-sample", type=int, default=400)
    parser.add_argument("--fault-rate", type=float, default=0.02,
                        help="share of cancels answered 503 or 429 in the fault run; 0 skips")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    count = args.sites
    workdir = tempfile.mkdtemp(prefix="jetpack-bench-")
    extra = args.loop_sample + args.curl_sample
    sandbox = Sandbox(workdir, count + extra, args.latency_ms)
    figures = {"sites": count, "latency_ms": args.latency_ms, "concurrency": args.concurrency}
    try:
        print("sandbox %s: %d sites, %.0f ms per call"
              % (sandbox.url, count + extra, args.latency_ms), flush=True)
        report = os.path.join(workdir, "report")
        figures["a"] = run_playbook(workdir, sandbox, count, report, args.concurrency)
        figures["a"].update(check_report(report, count))
        print("(a) done in %.1f s" % figures["a"]["seconds"], flush=True)
        figures["b"] = run_loop(workdir, sandbox, count, args.loop_sample)
        print("(b) sample done in %.1f s" % figures["b"]["seconds"], flush=True)
        figures["c"] = run_curl(workdir, sandbox, count + args.loop_sample, args.curl_sample)
        print("(c) sample done in %.1f s" % figures["c"]["seconds"], flush=True)
    finally:
        sandbox.stop()

    figures["b"]["extrapolated_seconds"] = (figures["b"]["startup_seconds"]
                                            + figures["b"]["per_site_seconds"] * count)
    figures["c"]["extrapolated_seconds"] = figures["c"]["seconds"] / args.curl_sample * count
    floor = count * args.latency_ms / 1000.0 / args.concurrency
    figures["d"] = {"seconds": floor}

    if args.fault_rate > 0:
        half = args.fault_rate / 2
        faults = [{"call": "cancel", "kind": "http_error", "status": 503, "rate": half},
                  {"call": "cancel", "kind": "http_error", "status": 429, "retry_after": "1",
                   "rate": half}]
        faulty = Sandbox(workdir, count, args.latency_ms, faults)
        try:
            report = os.path.join(workdir, "report-faults")
            figures["faults"] = run_playbook(workdir, faulty, count, report, args.concurrency)
            figures["faults"].update(check_report(report, count))
            figures["faults"]["plans_left"] = faulty.plans_left()
            figures["faults"]["fault_rate"] = args.fault_rate
        finally:
            faulty.stop()

    a = figures["a"]["seconds"]
    figures["ratios"] = {"a_over_d": a / floor,
                         "b_over_a": figures["b"]["extrapolated_seconds"] / a,
                         "c_over_a": figures["c"]["extrapolated_seconds"] / a}
    print_table(figures, args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=1)
    return 0


def print_table(figures, args):
    count = figures["sites"]
    rows = [
        ("(a) decommission playbook", figures["a"]["seconds"], figures["a"]["cancel_requests"],
         figures["a"]["token_requests"], figures["a"]["peak_mib"], "measured on all %d" % count),
        ("(b) module per site, loop", figures["b"]["extrapolated_seconds"],
         figures["b"]["cancel_requests"], figures["b"]["token_requests"], figures["b"]["peak_mib"],
         "%d sites measured, start-up + per site x N" % args.loop_sample),
        ("(c) curl loop", figures["c"]["extrapolated_seconds"], figures["c"]["cancel_requests"],
         figures["c"]["token_requests"], figures["c"]["peak_mib"],
         "%d sites measured, extrapolated" % args.curl_sample),
        ("(d) floor N*latency/conc.", figures["d"]["seconds"], None, None, None, "computed"),
    ]
    print("\n%-28s %10s %9s %7s %9s  %s" % ("way", "wall s", "cancels", "tokens", "peak MiB",
                                            "note"))
    for name, seconds, cancels, tokens, peak, note in rows:
        print("%-28s %10.1f %9s %7s %9s  %s" % (
            name, seconds, "-" if cancels is None else cancels, "-" if tokens is None else tokens,
            "-" if peak is None else "%.0f" % peak, note))
    ratios = figures["ratios"]
    print("\n(a)/(d) = %.2f   (b)/(a) = %.1f   (c)/(a) = %.1f" % (
        ratios["a_over_d"], ratios["b_over_a"], ratios["c_over_a"]))
    print("(a) progress lines: %d; report rows %d, exact: %s" % (
        figures["a"]["progress_lines"], figures["a"]["report_rows"], figures["a"]["report_exact"]))
    if "faults" in figures:
        run = figures["faults"]
        print("(a) again with %.0f%% of cancels 503/429: %.1f s, %d cancel requests (retries "
              "included), %d token, plans left %d, report exact: %s" % (
                  run["fault_rate"] * 100, run["seconds"], run["cancel_requests"],
                  run["token_requests"], run["plans_left"], run["report_exact"]))


if __name__ == "__main__":
    sys.exit(main())
