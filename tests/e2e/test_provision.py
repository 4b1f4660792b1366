# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning through ansible-playbook against the sandbox: errors, recovery, secrets."""

from __future__ import annotations

import json

from e2e_support import DEMO_SECRET, fetch_token, run_playbook

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


PLAN = "wpcom.jetpack.jetpack_partner_plan"

ERROR_SITES = {
    "lost1.example.com": {},
    "lost2.example.com": {},
    "testkey.example.com": {"products": [product("premium", test_key=True)]},
    "nojp.example.com": {"jetpack_active": False},
    "stale.example.com": {"tokens_stale": True},
    "unreach.example.com": {"unreachable": True},
    "lim.example.com": {},
    "user.example.com": {},
    "sub.example.com": {"siteurl": "https://sub.example.com/wp"},
    "newslug.example.com": {},
    "ssh.example.com": {},
    "ssh2.example.com": {},
    "owner.example.com": {"owner_token": OWNER_TOKEN},
    "off.example.com": {},
}


def want(site, plan, **extra):
    return dict({"site": site, "plan": plan, "local_user": "admin"}, **extra)


ERROR_CASES = [
    # The first two provisions of the run meet the faults set by the test.
    ("lost_after_done", PLAN, want("lost1.example.com", "premium")),
    ("lost_before_done", PLAN, want("lost2.example.com", "premium")),
    ("testkey", PLAN, want("testkey.example.com", "premium")),
    ("remote_register", PLAN, want("nojp.example.com", "premium")),
    ("remote_provision", PLAN, want("stale.example.com", "premium")),
    ("inaccessible", PLAN, want("unreach.example.com", "premium")),
    ("limit", PLAN, want("lim.example.com", "jetpack-anti-spam")),
    ("bad_user", PLAN, want("user.example.com", "premium", local_user="nobody")),
    ("subdirectory", PLAN, want("sub.example.com", "personal",
                                siteurl="https://sub.example.com/wp",
                                partner_tracking_id="batch 7")),
    ("unknown_slug", PLAN, want("newslug.example.com", "complete")),
    ("ssh_password", PLAN, want("ssh.example.com", "jetpack-backup-daily", ssh_user="backup",
                                ssh_password="{{ ssh_secret }}", ssh_port=2222)),
    ("ssh_key", PLAN, want("ssh2.example.com", "jetpack-backup-daily", ssh_user="backup",
                           ssh_private_key="{{ ssh_key }}", ftp_user="ftp",
                           ftp_password="{{ ftp_secret }}")),
    ("owner", PLAN, want("owner.example.com", "premium", wpcom_user_id=42,
                         wpcom_user_email="owner@example.com")),
    ("disabled", PLAN, want("off.example.com", "premium", access_token="{{ disabled_token }}")),
    ("bad_slug", PLAN, want("badinput.example.com", "Premium Plan")),
    ("ssh_without_secret", PLAN, want("badinput.example.com", "premium", ssh_user="backup")),
    ("site_with_query", PLAN, want("https://badinput.example.com/?p=1", "premium")),
    ("blog_id_without_siteurl", PLAN, want("3001", "premium")),
    ("password_and_key", PLAN, want("badinput.example.com", "premium", ssh_user="backup",
                                    ssh_password="{{ ssh_secret }}",
                                    ssh_private_key="{{ ssh_key }}")),
    ("cancel_all_present", PLAN, want("badinput.example.com", "premium", cancel_all=True)),
]


def test_errors_recovery_and_secrets_at_vvv(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(provision_data(ERROR_SITES))
    token = fetch_token(sandbox)
    disabled_token = fetch_token(sandbox, "disabled-partner", "disabled-Secr3t")
    sandbox.set_faults([{"call": "provision", "kind": "drop", "apply": True, "count": 1},
                        {"call": "provision", "kind": "http_error", "status": 502, "count": 1}])
    secrets = {"ssh_secret": SSH_PASSWORD, "ssh_key": SSH_KEY, "ftp_secret": FTP_PASSWORD}
    run = run_playbook(playbook(ERROR_CASES), tmp_path,
                       dict(secrets, api_url=sandbox.url, token=token,
                            disabled_token=disabled_token), args=("-vvv",))
    results = run.results
    assert results, run.output
    log = sandbox.requests()

    def provisions(host):
        return [r for r in log if r["call"] == "provision" and host in r["form"]["siteurl"]]

    lost = results["lost_after_done"]
    assert (lost["changed"], lost["outcome"], lost["recovered"]) == (True, "provisioned", True)
    assert len(provisions("lost1.example.com")) == 1
    assert sandbox.products("lost1.example.com") == [("premium", "demo-partner")]
    lost = results["lost_before_done"]
    assert (lost["changed"], lost["recovered"], lost["auth_required"]) == (True, False, False)
    assert len(provisions("lost2.example.com")) == 2
    assert sandbox.products("lost2.example.com") == [("premium", "demo-partner")]

    assert results["testkey"]["failed"] is True
    assert "test key" in results["testkey"]["msg"]
    assert provisions("testkey.example.com") == []

    register = results["remote_register"]
    assert register["failed"] is True and register["error_code"] == "method_not_found"
    assert "activate Jetpack" in register["msg"] and "siteurl" in register["msg"]
    assert len(provisions("nojp.example.com")) == 1

    stale = results["remote_provision"]
    assert stale["changed"] is True and stale.get("failed", False) is False
    assert "force_register" in stale["notes"][0]
    sent = provisions("stale.example.com")
    assert [r["form"].get("force_register") for r in sent] == [None, "true"]

    assert results["inaccessible"]["error_code"] == "site_inaccessible"
    assert results["inaccessible"]["outcome"] == "failed"
    assert "not behind a firewall" in results["inaccessible"]["msg"]
    assert results["limit"]["error_code"] == "activation_limit_reached"
    assert "no activations left" in results["limit"]["msg"]
    assert results["bad_user"]["error_code"] == "input_error"
    assert "local_user must name an existing user" in results["bad_user"]["msg"]
    assert results["disabled"]["error_code"] == "partner_key_disabled"
    assert "contact Jetpack partner support" in results["disabled"]["msg"]
    for name in ("inaccessible", "limit", "bad_user", "disabled"):
        assert results[name]["failed"] is True and results[name]["changed"] is False, name

    sub = provisions("sub.example.com")
    assert [r["form"]["siteurl"] for r in sub] == ["https://sub.example.com/wp"]
    assert sub[0]["query"] == {"partner-tracking-id": "batch 7"}
    assert [r["site"] for r in log if r["call"] == "status" and "sub." in r["site"]] == [
        "sub.example.com"]
    assert results["subdirectory"]["outcome"] == "provisioned"

    assert results["unknown_slug"]["changed"] is True
    assert any("complete" in w for w in results["unknown_slug"]["warnings"])
    assert sandbox.products("newslug.example.com") == [("complete", "demo-partner")]

    assert results["ssh_password"]["ssh_set"] is True
    ssh_form = provisions("ssh.example.com")[0]["form"]
    assert (ssh_form["ssh_user"], ssh_form["ssh_pass"], ssh_form["ssh_port"]) == (
        "backup", "<secret>", "2222")
    assert results["ssh_key"]["ftp_set"] is True
    assert provisions("ssh2.example.com")[0]["form"]["ssh_private_key"] == "<secret>"

    assert results["owner"]["owner_token_returned"] is True
    owner_form = provisions("owner.example.com")[0]["form"]
    assert owner_form["wpcom_user_email"] == "owner@example.com"

    expected_option = {"bad_slug": "option plan", "ssh_without_secret": "option ssh_user",
                       "site_with_query": "option site", "blog_id_without_siteurl":
                       "option siteurl", "password_and_key": "mutually exclusive",
                       "cancel_all_present": "option cancel_all: only applies with "
                                             "state=absent"}
    for name, text in expected_option.items():
        assert results[name]["failed"] is True, name
        assert text in results[name]["msg"], (name, results[name]["msg"])
    assert [r for r in log if "badinput" in json.dumps(r)] == []
    assert [r for r in log if r["site"] == "3001"] == []

    shown = run.output + json.dumps(results) + json.dumps(log)
    # Every file the run left behind, but the sandbox's seed, which holds them by design.
    shown += "".join(path.read_text(errors="replace") for path in tmp_path.rglob("*")
                     if path.is_file() and path.name != "sandbox-data.json")
    for secret in (SSH_PASSWORD, SSH_KEY, "b3BlbnNzaC1rZXktdjEAAAAAkeyNEVERshown",
                   FTP_PASSWORD, OWNER_TOKEN, token, disabled_token, DEMO_SECRET):
        assert secret not in shown
    # The search means something only if -vvv did print the module results.
    assert '"ssh_set": true' in run.output and "EXEC" in run.output
