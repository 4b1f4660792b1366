# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bulk path: wpcom.jetpack.jetpack_partner_decommission and the playbook around it."""

from __future__ import annotations

import csv
import json
import os

from e2e_support import DEMO_SECRET, ROOT, fetch_token, run_module, run_playbook

PLAYBOOK = os.path.join(ROOT, "playbooks", "decommission.yml")
PARTNER = {"id": "demo-partner", "secret": DEMO_SECRET}


def generated(count, faults=(), latency_ms=0):
    return {"partners": [PARTNER], "latency_ms": latency_ms, "faults": list(faults),
            "generate": {"count": count, "pattern": "s{n}.bulk.example", "plan": "premium",
                         "partner": "demo-partner"}}


def credentials(sandbox, **extra):
    return dict({"jetpack_partner_id": "demo-partner", "jetpack_partner_secret": DEMO_SECRET,
                 "jetpack_api_url": sandbox.url}, **extra)


def test_report_is_exact_in_json_and_csv_and_spellings_of_one_site_count_once(
        sandbox, tmp_path):
    report = str(tmp_path / "reports" / "teardown")
    sites = ["https://shop01.example.com/", "SHOP01.example.com", "empty01.example.net",
             "https://direct01.example.org", "nowhere.example.invalid", "5004"]
    args = {"sites": sites, "api_url": sandbox.url, "access_token": fetch_token(sandbox),
            "report_path": report + ".json", "concurrency": 3}

    run = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path)

    result = run.results
    assert result["changed"] is True, run.output
    assert result["totals"] == {"cancelled": 2, "already_gone": 2, "unknown_site": 1,
                                "failed": 0}
    by_id = {site["site_id"]: site for site in result["sites"]}
    assert list(by_id) == ["shop01.example.com", "empty01.example.net",
                           "direct01.example.org", "nowhere.example.invalid", "5004"]
    assert by_id["5004"]["outcome"] == "cancelled"
    assert by_id["direct01.example.org"]["error_code"] == "not_jps_plan"
    assert any("nowhere.example.invalid" in warning for warning in result["warnings"])
    assert sandbox.products("shop01.example.com") == []
    assert sandbox.products("example.com:8080") == []
    assert len(sandbox.calls("cancel")) == 5

    with open(report + ".json", encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["totals"] == result["totals"]
    assert [row["outcome"] for row in document["sites"]] == [
        "cancelled", "already_gone", "already_gone", "unknown_site", "cancelled"]
    with open(report + ".csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["site_id"], row["outcome"]) for row in rows] == [
        (site["site_id"], site["outcome"]) for site in document["sites"]]
    assert sorted(os.listdir(tmp_path / "reports")) == ["teardown.csv", "teardown.json"]


def test_playbook_takes_one_site_as_a_string(sandbox, tmp_path):
    run = run_playbook(PLAYBOOK, tmp_path,
                       credentials(sandbox, jetpack_sites="https://www.example.com"))

    assert run.rc == 0, run.output
    assert "cancelled 1, already gone 0, unknown 0, failed 0" in run.output
    assert sandbox.products("www.example.com") == []
    assert sandbox.products("example.com:8080") == [("personal", "demo-partner")]


def test_large_run_shows_progress_and_survives_503_and_429(sandbox_factory, tmp_path):
    count = 1200
    faults = [{"call": "cancel", "kind": "http_error", "status": 503, "rate": 0.01},
              {"call": "cancel", "kind": "http_error", "status": 429, "retry_after": "0",
               "rate": 0.01}]
    sandbox = sandbox_factory(generated(count, faults))
    report = str(tmp_path / "run")
    sites = ["s%d.bulk.example" % n for n in range(count)]

    run = run_playbook(PLAYBOOK, tmp_path,
                       credentials(sandbox, jetpack_sites=sites, jetpack_report_path=report))

    assert run.rc == 0, run.output[-3000:]
    progress = [line for line in run.output.splitlines()
                if line.startswith("jetpack decommission:")]
    assert len(progress) >= 5
    assert "cancelled %d, already gone 0, unknown 0, failed 0" % count in run.output
    assert all(not site["products"] for site in sandbox.sites().values())

    cancels = sandbox.calls("cancel")
    faulted = [entry for entry in cancels if entry["fault"]]
    answered = [entry for entry in cancels if not entry["fault"]]
    assert faulted, "the fault rate should have hit some of 1200 cancels"
    assert len(answered) == count
    assert sorted(entry["site"] for entry in answered) == sorted(sites)
    assert len(sandbox.calls("token")) == 1

    with open(report + ".json", encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["totals"]["cancelled"] == count
    assert {row["outcome"] for row in document["sites"]} == {"cancelled"}


def test_bad_options_fail_before_any_request(sandbox, tmp_path):
    base = {"api_url": sandbox.url, "access_token": "not-used"}
    cases = [
        (dict(base, sites=["ok.example.com"], concurrency=0), "option concurrency"),
        (dict(base, sites=["ok.example.com", "https://bad.example.com/?x=1", "a b"]),
         "option sites[1]"),
        (dict(base, sites=["ok.example.com"], plan="Not A Slug"), "option plan"),
        (dict(base, sites=["ok.example.com", ["a.example.com"]]),
         "option sites[1]: must be a site address or a blog ID, got list"),
    ]
    for args, expected in cases:
        run = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path)
        assert run.results["failed"] is True
        assert expected in run.results["msg"], run.results["msg"]

    assert "option sites[2]" in run_module(
        "wpcom.jetpack.jetpack_partner_decommission", cases[1][0], tmp_path).results["msg"]
    assert sandbox.requests() == []


def test_a_revoked_token_stops_the_run_instead_of_failing_every_site(sandbox_factory, tmp_path):
    count = 300
    data = generated(count, [{"kind": "revoke_token", "call": "cancel",
                              "site": "s20.bulk.example"}])
    sandbox = sandbox_factory(data)
    sites = ["s%d.bulk.example" % n for n in range(count)]
    args = {"sites": sites, "api_url": sandbox.url, "access_token": fetch_token(sandbox),
            "concurrency": 4}

    run = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path)

    result = run.results
    assert result["failed"] is True
    assert "the run stopped early because the API refused the access token" in result["msg"]
    assert "stopping" in run.output
    refused = [e for e in sandbox.calls("cancel") if e.get("error") == "invalid_token"]
    not_tried = [s for s in result["sites"] if s["error_code"] == "not_attempted"]
    # Only the cancels already in flight when the token died reach the API.
    assert 1 <= len(refused) <= 4
    assert len(sandbox.calls("cancel")) < 30 + 4
    assert len(not_tried) == count - len(sandbox.calls("cancel"))
    assert result["totals"]["failed"] == len(refused) + len(not_tried)
    assert result["totals"]["cancelled"] == count - result["totals"]["failed"]
    left = [site_id for site_id, site in sandbox.sites().items() if site["products"]]
    assert len(left) == result["totals"]["failed"]


def test_an_unreachable_api_stops_the_run_after_a_few_sites(tmp_path):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sites = ["s%d.bulk.example" % n for n in range(200)]
    args = {"sites": sites, "api_url": "http://127.0.0.1:%d" % closed_port,
            "access_token": "any-token-value", "concurrency": 2, "retries": 1}

    run = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path)

    result = run.results
    assert result["failed"] is True
    assert "could not reach the API" in result["msg"]
    codes = [site["error_code"] for site in result["sites"]]
    assert codes.count("connection_error") <= 3 + 2
    assert codes.count("not_attempted") >= 200 - 5


def test_check_mode_predicts_the_real_run_and_sends_no_cancel(sandbox, tmp_path):
    sites = ["shop01.example.com", "empty01.example.net", "direct01.example.org",
             "nowhere.example.invalid", "other.example.com", "www.example.com"]
    args = {"sites": sites, "api_url": sandbox.url, "partner_id": "demo-partner",
            "partner_secret": DEMO_SECRET, "concurrency": 2}

    predicted = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path,
                           args=("--check",)).results
    assert {r["call"] for r in sandbox.requests()} == {"token", "status"}
    assert sandbox.products("shop01.example.com") == [("premium", "demo-partner")]

    real = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path).results

    assert predicted["changed"] is real["changed"] is True
    assert predicted["failed"] is real["failed"] is True
    assert predicted["totals"] == real["totals"] == {
        "cancelled": 2, "already_gone": 2, "unknown_site": 1, "failed": 1}
    assert [(s["site_id"], s["outcome"], s["error_code"]) for s in predicted["sites"]] == [
        (s["site_id"], s["outcome"], s["error_code"]) for s in real["sites"]]
    assert len(sandbox.calls("token")) == 2
    assert sandbox.products("other.example.com") == [("professional", "other-partner")]


def test_validate_only_checks_addresses_without_credentials_or_requests(sandbox, tmp_path):
    args = {"sites": ["https://Shop01.example.com/", 5004, "bücher.example/Blog"],
            "api_url": sandbox.url, "validate_only": True}

    result = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path).results

    assert result["changed"] is False and not result.get("failed")
    assert result["site_ids"] == ["shop01.example.com", "5004", "xn--bcher-kva.example::Blog"]
    assert sandbox.requests() == []


def test_partner_credentials_and_a_token_are_exclusive(sandbox, tmp_path):
    args = {"sites": ["shop01.example.com"], "api_url": sandbox.url, "access_token": "t0ken",
            "partner_id": "demo-partner", "partner_secret": DEMO_SECRET}

    result = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path).results

    assert result["failed"] is True
    assert "access_token and partner_id" in result["msg"]
    assert DEMO_SECRET not in json.dumps(result)
    assert sandbox.requests() == []


def test_an_unwritable_report_path_fails_before_anything_is_sent(sandbox, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the report's directory should be\n")
    args = {"sites": ["shop01.example.com"], "api_url": sandbox.url,
            "partner_id": "demo-partner", "partner_secret": DEMO_SECRET,
            "report_path": str(blocker / "report")}

    result = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path).results

    assert result["failed"] is True
    assert "option report_path: cannot create the directory" in result["msg"]
    assert sandbox.requests() == []


def test_plan_with_an_explicit_cancel_all_false_is_accepted(sandbox, tmp_path):
    args = {"sites": ["backup.example.com"], "plan": "jetpack-backup-daily",
            "cancel_all": False, "api_url": sandbox.url, "access_token": fetch_token(sandbox)}

    result = run_module("wpcom.jetpack.jetpack_partner_decommission", args, tmp_path).results

    assert result["changed"] is True and not result.get("failed")
    assert sandbox.products("backup.example.com") == [("personal", "demo-partner")]
