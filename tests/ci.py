# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every gate an Ansible user runs, once per ansible-core virtual environment.

    python tests/ci.py --venv .venv --venv .venv-2.19 [--only sanity,units]

Gates, in order: pytest (tests/unit and tests/e2e), ansible-lint (production profile),
ansible-test sanity, units and integration, molecule, the built tarball (build, install
into a clean path, ansible-doc, the demo from there) and, with the first virtual
environment only, `ansible-builder create` on execution-environment.yml.

Each gate prints a header, streams its output and ends with one summary line that
carries its count; the first failing gate stops the run with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, ".build")
# ansible-test only works on a tree laid out as ansible_collections/<namespace>/<name>.
# A copy, not the symlink in .build/collections, so sanity never sees the venvs; and
# outside this checkout, where git would tell ansible-test that every file is ignored.
TEST_TREE = os.path.join(tempfile.gettempdir(), "wpcom-jetpack-ansible-test",
                         "ansible_collections", "wpcom", "jetpack")
GATES = ("pytest", "lint", "sanity", "units", "integration", "molecule", "tarball", "ee")
PYTHON_VERSION = "%d.%d" % sys.version_info[:2]

# ansible-test --venv bootstraps pip with a script it downloads from a CI host that this
# network cannot reach; it uses a cached copy first. This stand-in installs pip from the
# interpreter's own ensurepip wheel, then does what get-pip does with its arguments.
GET_PIP_STAND_IN = '''\
"""Stand-in for get-pip.py, written by wpcom.jetpack's tests/ci.py."""
import ensurepip
import os
import subprocess
import sys

saved = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null; pip would then miss /etc/pip.conf.
os.environ.clear()
os.environ.update(saved)
# These two options belong to get-pip itself, not to pip install.
arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + arguments))
'''


class GateFailed(Exception):
    pass


class Runner:
    def __init__(self, venv):
        self.venv = os.path.abspath(venv)
        self.bin = os.path.join(self.venv, "bin")
        self.python = os.path.join(self.bin, "python")
        self.core = subprocess.run(
            [self.python, "-c", "import ansible.release as r; print(r.__version__)"],
            check=True, capture_output=True, text=True).stdout.strip()
        self.label = "ansible-core %s" % self.core

    def env(self, extra=None):
        env = dict(os.environ)
        env.update({
            "PATH": self.bin + os.pathsep + env.get("PATH", ""),
            "VIRTUAL_ENV": self.venv,
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(BUILD, "collections"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "NO_COLOR": "1",
            "PY_COLORS": "0",
        })
        # Credentials or an API address from the caller's shell must not reach any test.
        for name in list(env):
            if name.startswith("JETPACK_PARTNER_"):
                del env[name]
        env.update(extra or {})
        return env

    def run(self, command, cwd=ROOT, env=None):
        """Run a command, stream its output, return (returncode, output)."""
        print("$ " + " ".join(command), flush=True)
        process = subprocess.Popen(command, cwd=cwd, env=env or self.env(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, errors="replace")
        lines = []
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
        process.wait()
        sys.stdout.flush()
        return process.returncode, "".join(lines)

    def must(self, command, what, cwd=ROOT, env=None):
        code, output = self.run(command, cwd=cwd, env=env)
        if code:
            raise GateFailed("%s exited with %d" % (what, code))
        return output

    # --- gates -----------------------------------------------------------------------

    def pytest(self):
        output = self.must([self.python, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                            "-n", "2", "tests/unit", "tests/e2e"], "pytest")
        return "%s passed" % _last_count(output, r"(\d+) passed", "pytest")

    def lint(self):
        output = self.must([os.path.join(self.bin, "ansible-lint"), "--nocolor"],
                           "ansible-lint")
        match = re.search(r"(\d+) failure\(s\), (\d+) warning\(s\) in (\d+) files", output)
        if not match:
            raise GateFailed("ansible-lint printed no summary")
        return "%s failures, %s warnings, %s files" % match.groups()

    def sanity(self):
        tree = self._test_tree()
        output = self.must(self._ansible_test("sanity"), "ansible-test sanity", cwd=tree)
        ran = len(re.findall(r"^Running sanity test [\"']", output, re.M))
        if not ran:
            raise GateFailed("ansible-test sanity ran no test")
        return "%d tests passed" % ran

    def units(self):
        tree = self._test_tree()
        output = self.must(self._ansible_test("units"), "ansible-test units", cwd=tree)
        # One pytest session for module_utils and modules, another for controller code.
        sessions = re.findall(r"^=+ (\d+) passed", output, re.M)
        if not sessions:
            raise GateFailed("ansible-test units printed no count of passed tests")
        return "%d passed in %d pytest sessions" % (sum(map(int, sessions)), len(sessions))

    def integration(self):
        tree = self._test_tree()
        output = self.must(self._ansible_test("integration"), "ansible-test integration",
                           cwd=tree)
        targets = re.findall(r"^Running (\S+) integration test role", output, re.M)
        if not targets:
            raise GateFailed("ansible-test integration ran no target")
        return "%d targets passed (%s)" % (len(targets), ", ".join(targets))

    def molecule(self):
        role = os.path.join(ROOT, "roles", "decommission")
        self.must([os.path.join(self.bin, "molecule"), "test"], "molecule", cwd=role)
        return "converge, idempotence, check and verify passed (scenario default)"

    def tarball(self):
        work = tempfile.mkdtemp(prefix="jetpack-tarball-")
        try:
            galaxy = os.path.join(self.bin, "ansible-galaxy")
            self.must([galaxy, "collection", "build", "--force", "--output-path", work],
                      "ansible-galaxy collection build")
            built = [name for name in os.listdir(work) if name.endswith(".tar.gz")]
            install = os.path.join(work, "clean")
            self.must([galaxy, "collection", "install", "--force", "-p", install,
                       os.path.join(work, built[0])], "ansible-galaxy collection install")
            # Only the clean path: proves the tarball holds everything the demo needs.
            env = self.env({"ANSIBLE_COLLECTIONS_PATH": install})
            output = self.must([os.path.join(self.bin, "ansible-doc"),
                                "wpcom.jetpack.jetpack_partner_plan"], "ansible-doc", env=env)
            if "wpcom.jetpack.jetpack_partner_plan" not in output.replace("\n", " "):
                raise GateFailed("ansible-doc did not render jetpack_partner_plan")
            demo = os.path.join(install, "ansible_collections", "wpcom", "jetpack",
                                "sandbox", "demo.py")
            self.must([self.python, demo], "the demo from the installed tarball", cwd=work,
                      env=env)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return "%s built, installed into a clean path, ansible-doc and demo passed" % built[0]

    def ee(self):
        builder = os.path.join(self.bin, "ansible-builder")
        context = os.path.join(BUILD, "ee-context")
        dist = os.path.join(BUILD, "dist")
        shutil.rmtree(context, ignore_errors=True)
        shutil.rmtree(dist, ignore_errors=True)
        # The file copies the built tarball from .build/dist into the build context.
        self.must([os.path.join(self.bin, "ansible-galaxy"), "collection", "build",
                   "--output-path", dist], "ansible-galaxy collection build")
        self.must([builder, "create", "--file", "execution-environment.yml",
                   "--context", context], "ansible-builder create")
        copied = os.listdir(os.path.join(context, "_build", "collections"))
        if not any(name.endswith(".tar.gz") for name in copied):
            raise GateFailed("the collection tarball is missing from the build context")
        return "ansible-builder create accepted execution-environment.yml; context " \
            "in %s (no container engine here to build the image)" \
            % os.path.relpath(context, ROOT)

    # --- helpers ---------------------------------------------------------------------

    def _ansible_test(self, command):
        return [os.path.join(self.bin, "ansible-test"), command, "--venv", "--python",
                PYTHON_VERSION, "--color", "no"]

    def _test_tree(self):
        """Copy the tracked and new, not ignored, files into TEST_TREE, once per run."""
        if getattr(self, "_tree_ready", False):
            return TEST_TREE
        listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                  "--exclude-standard"], cwd=ROOT, check=True,
                                 capture_output=True).stdout.decode().split("\0")
        shutil.rmtree(TEST_TREE, ignore_errors=True)
        for name in filter(None, listing):
            source = os.path.join(ROOT, name)
            if not os.path.isfile(source):
                continue  # deleted in the work tree but not yet in the index
            target = os.path.join(TEST_TREE, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
        _write_get_pip_stand_ins()
        self._tree_ready = True
        return TEST_TREE


def _write_get_pip_stand_ins():
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    # The pip versions ansible-core 2.19 and 2.21 bootstrap; a newer core names its own
    # version in the error, and one more line here covers it.
    for version in ("24_2", "25_2"):
        path = os.path.join(cache, "get_pip_%s.py" % version)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(GET_PIP_STAND_IN)


def _last_count(output, pattern, what):
    counts = re.findall(pattern, output)
    if not counts:
        raise GateFailed("%s printed no count of passed tests" % what)
    return counts[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--venv", action="append", required=True,
                        help="a virtual environment with one ansible-core; repeat for more")
    parser.add_argument("--only", help="comma-separated gates (%s)" % ",".join(GATES))
    parser.add_argument("--keep-going", action="store_true",
                        help="run every gate even after one fails; exit 1 at the end")
    args = parser.parse_args(argv)
    gates = args.only.split(",") if args.only else list(GATES)
    unknown = sorted(set(gates) - set(GATES))
    if unknown:
        parser.error("unknown gate(s): %s" % ", ".join(unknown))

    summary, failed = [], []
    started = time.monotonic()
    for number, venv in enumerate(args.venv):
        runner = Runner(venv)
        for gate in gates:
            if gate == "ee" and number:
                continue  # the file does not depend on the controller's ansible-core
            title = "%s on %s" % (gate, runner.label)
            print("\n" + "=" * 78 + "\n== %s\n" % title + "=" * 78, flush=True)
            gate_started = time.monotonic()
            try:
                result = getattr(runner, gate)()
            except GateFailed as exc:
                print("\nFAILED: %s: %s" % (title, exc), flush=True)
                failed.append("FAILED  %-12s %-20s %s" % (gate, runner.label, exc))
                if not args.keep_going:
                    _print_summary(summary, failed)
                    return 1
                continue
            took = time.monotonic() - gate_started
            line = "%-12s %-20s %s (%.0f s)" % (gate, runner.label, result, took)
            summary.append(line)
            print("\nPASSED: " + line, flush=True)
    _print_summary(summary, failed)
    elapsed = time.monotonic() - started
    if failed:
        print("%d gate(s) failed; %.0f s" % (len(failed), elapsed))
        return 1
    print("all gates passed in %.0f s" % elapsed)
    return 0


def _print_summary(summary, failed):
    print("\n" + "=" * 78 + "\n== summary\n" + "=" * 78)
    for line in summary:
        print("passed  " + line)
    for line in failed:
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
