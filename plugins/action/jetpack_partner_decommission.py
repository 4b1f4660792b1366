# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cancel the Jetpack plans of many sites in one task, on the controller.

This runs as an action plugin rather than a module so that it can print progress while
it works and so that thousands of cancels share one process, one token and one pool of
HTTP connections; a loop over a module pays a whole module run per site.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    ALREADY_GONE,
    CANCELLED,
    DEFAULT_API_URL,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
    FAILED,
    HAS_REQUESTS,
    KNOWN_SLUGS,
    UNKNOWN_SITE,
    PartnerApiError,
    PartnerClient,
    SiteAddressError,
    cancel_outcome,
    check_api_url,
    check_plan_slug,
    predict_cancel,
    status_error_text,
    safe_address,
    site_identifier,
)

display = Display()

OUTCOMES = (CANCELLED, ALREADY_GONE, UNKNOWN_SITE, FAILED)
REPORT_FIELDS = ("site", "site_id", "outcome", "changed", "error_code", "http_status", "msg")

ARGUMENT_SPEC = dict(
    # Checked entry by entry below: a nested list must not be turned into a string.
    sites=dict(type="list", elements="raw", required=True),
    plan=dict(type="str"),
    cancel_all=dict(type="bool", default=False),
    concurrency=dict(type="int", default=32),
    report_path=dict(type="path"),
    progress_interval=dict(type="int", default=5),
    validate_only=dict(type="bool", default=False),
    api_url=dict(type="str", default=DEFAULT_API_URL,
                 fallback=(env_fallback, ["JETPACK_PARTNER_API_URL"])),
    access_token=dict(type="str", no_log=True,
                      fallback=(env_fallback, ["JETPACK_PARTNER_ACCESS_TOKEN"])),
    partner_id=dict(type="str", no_log=False),
    partner_secret=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=DEFAULT_RETRIES),
    retry_budget=dict(type="int", default=DEFAULT_RETRY_BUDGET),
)
MAX_CONCURRENCY = 64


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp

        params = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, required_together=[("partner_id", "partner_secret")])[1]
        site_ids = self._checked_input(params)
        if params["validate_only"]:
            result.update(changed=False, site_ids=[site_id for _address, site_id in site_ids],
                          msg="%d site address(es) checked, nothing sent" % len(site_ids))
            return result
        check_mode = bool(self._play_context.check_mode)

        started = time.monotonic()
        client = PartnerClient(api_url=params["api_url"], access_token=params["access_token"],
                               timeout=params["timeout"], validate_certs=params["validate_certs"],
                               retries=params["retries"], retry_budget=params["retry_budget"],
                               pool_size=params["concurrency"], log=display.vvvv)
        try:
            # The token comes only after every address passed its checks, so bad input
            # sends nothing at all.
            if params["partner_id"]:
                client.set_token(self._token_for(client, params))
            sites, stopped_because = self._cancel_all(client, site_ids, params, check_mode)
        finally:
            client.close()

        totals = {outcome: 0 for outcome in OUTCOMES}
        for site in sites:
            totals[site["outcome"]] += 1
        result.update(changed=totals[CANCELLED] > 0, totals=totals, sites=sites,
                      elapsed=round(time.monotonic() - started, 3))

        unknown = [site["site_id"] for site in sites if site["outcome"] == UNKNOWN_SITE]
        if unknown:
            shown = ", ".join(unknown[:10]) + (" and %d more" % (len(unknown) - 10)
                                               if len(unknown) > 10 else "")
            result["warnings"] = ["%d site(s) unknown to WordPress.com, nothing cancelled "
                                  "there; check for mistyped addresses: %s" % (len(unknown), shown)]

        if params["report_path"]:
            try:
                result["report"] = write_reports(params["report_path"], sites, totals)
            except OSError as exc:
                result.setdefault("warnings", []).append(
                    "the report could not be written (%s); the outcomes are in 'sites'"
                    % exc.__class__.__name__)

        if totals[FAILED]:
            result["failed"] = True
            result["msg"] = "%d of %d site(s) failed; their plans were not cancelled (see " \
                            "'sites')" % (totals[FAILED], len(sites))
            if stopped_because:
                result["msg"] += "; the run stopped early because %s" % stopped_because
        else:
            result["msg"] = "cancelled %(cancelled)d, already gone %(already_gone)d, " \
                            "unknown %(unknown_site)d, failed %(failed)d" % totals
        return result

    @staticmethod
    def _token_for(client, params):
        try:
            return client.request_token(params["partner_id"], params["partner_secret"])
        except PartnerApiError as exc:
            raise AnsibleActionFail("could not get an access token, nothing was cancelled: %s"
                                    % client.redact(exc.message)) from None

    def _checked_input(self, params):
        """The list of (address, site_id) to work on, or a failure naming every bad entry."""
        problem = check_api_url(params["api_url"])
        if problem:
            raise AnsibleActionFail("option api_url: %s" % problem)
        if not params["validate_only"]:
            self._check_credentials(params)
        if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
            raise AnsibleActionFail("option concurrency: must be from 1 to %d, got %d"
                                    % (MAX_CONCURRENCY, params["concurrency"]))
        for name, low in (("timeout", 1), ("retries", 0), ("retry_budget", 0),
                          ("progress_interval", 0)):
            if params[name] < low:
                raise AnsibleActionFail("option %s: must be %d or more, got %d"
                                        % (name, low, params[name]))
        if params["plan"] is not None:
            problem = check_plan_slug(params["plan"])
            if problem:
                raise AnsibleActionFail("option plan: '%s' %s" % (params["plan"], problem))
            if params["plan"] not in KNOWN_SLUGS:
                display.warning("plan '%s' is not a slug this collection knows; sending it "
                                "as given" % params["plan"])
        # Checked by hand: mutually_exclusive would also refuse an explicit cancel_all=false.
        if params["plan"] and params["cancel_all"]:
            raise AnsibleActionFail("options plan and cancel_all: give one or the other")
        if params["report_path"] and not params["validate_only"]:
            problem = report_path_problem(params["report_path"])
            if problem:
                raise AnsibleActionFail("option report_path: %s; nothing was sent" % problem)
        if not HAS_REQUESTS:
            raise AnsibleActionFail("the Python library 'requests' is required on the controller")

        site_ids, errors, seen = [], [], set()
        for index, address in enumerate(params["sites"]):
            if isinstance(address, int) and not isinstance(address, bool):
                address = str(address)
            if not isinstance(address, str):
                errors.append("option sites[%d]: must be a site address or a blog ID, got %s"
                              % (index, plain_type_name(address)))
                continue
            try:
                site_id = site_identifier(address)
            except SiteAddressError as exc:
                errors.append("option sites[%d]: '%s' %s" % (index, safe_address(address), exc))
                continue
            # Two spellings of one site would otherwise cancel, then report "already gone".
            if site_id not in seen:
                seen.add(site_id)
                site_ids.append((address, site_id))
        if errors:
            shown = "; ".join(errors[:20])
            more = " (and %d more)" % (len(errors) - 20) if len(errors) > 20 else ""
            raise AnsibleActionFail("%d bad site address(es), nothing was sent: %s%s"
                                    % (len(errors), shown, more))
        return site_ids

    def _check_credentials(self, params):
        given_token = self._task.args.get("access_token") is not None
        if params["partner_id"] is not None:
            if given_token:
                raise AnsibleActionFail("options access_token and partner_id: give one or "
                                        "the other, not both")
            for name in ("partner_id", "partner_secret"):
                params[name] = (params[name] or "").strip()
                if not params[name]:
                    raise AnsibleActionFail("option %s: is empty" % name)
            params["access_token"] = None
            return

        if not params["access_token"] or not params["access_token"].strip():
            raise AnsibleActionFail("option access_token: is missing or empty; give a token "
                                    "from the wpcom.jetpack.jetpack_partner_token lookup, or "
                                    "partner_id and partner_secret")
        params["access_token"] = params["access_token"].strip()

    def _cancel_all(self, client, site_ids, params, check_mode=False):
        total = len(site_ids)
        breaker = RunBreaker(connection_limit=max(3, params["concurrency"]))
        results = [None] * total
        done = 0
        counts = {outcome: 0 for outcome in OUTCOMES}
        started = last_report = time.monotonic()
        every = max(1, min(1000, total // 10))

        pool = ThreadPoolExecutor(max_workers=params["concurrency"])
        try:
            work = predict_one if check_mode else cancel_one
            futures = {pool.submit(guarded, work, client, site_id, params, breaker): index
                       for index, (address, site_id) in enumerate(site_ids)}
            for future in as_completed(futures):
                index = futures[future]
                outcome = future.result()
                if breaker.reason and not breaker.announced:
                    breaker.announced = True
                    display.warning("jetpack decommission: stopping, %s; the sites not yet "
                                    "tried are reported as failed (not_attempted)"
                                    % breaker.reason)
                outcome.pop("warning", None)
                outcome.pop("failed", None)
                outcome["site"] = to_text(site_ids[index][0])
                results[index] = outcome
                counts[outcome["outcome"]] += 1
                done += 1

                now = time.monotonic()
                interval = params["progress_interval"]
                # Small runs report on time only; large ones also every tenth of the way.
                by_count = total >= 1000 and done % every == 0
                if interval and done < total and (by_count or now - last_report >= interval):
                    last_report = now
                    display.display("jetpack decommission: %d/%d sites in %.0f s (cancelled %d, "
                                    "already gone %d, unknown %d, failed %d)"
                                    % (done, total, now - started, counts[CANCELLED],
                                       counts[ALREADY_GONE], counts[UNKNOWN_SITE], counts[FAILED]))
        finally:
            # On an interrupt, the cancels still queued are dropped rather than sent
            # while nobody is left to report them.
            pool.shutdown(wait=True, cancel_futures=True)
        return results, breaker.reason


# Failures that every other site would meet as well: once seen, the rest are not tried.
RUN_STOPPING_CODES = frozenset(["invalid_token", "authorization_required", "token_expired",
                                "invalid_scope", "partner_key_disabled"])
UNREACHABLE_CODES = frozenset(["connection_error", "timeout", "tls_error"])
NOT_ATTEMPTED = "not_attempted"


class RunBreaker:
    """Ends a run early when the token is refused or the API stays out of reach.

    Without it, a revoked token or a dead API costs every remaining site its whole retry
    budget, and thousands of sites fail one at a time for the same reason.
    """

    def __init__(self, connection_limit):
        self.reason = None
        self.announced = False
        self._limit = connection_limit
        self._unreachable_in_a_row = 0
        self._lock = threading.Lock()

    def observe(self, outcome):
        code = outcome.get("error_code")
        with self._lock:
            if outcome["outcome"] != FAILED or code not in UNREACHABLE_CODES:
                self._unreachable_in_a_row = 0
            if outcome["outcome"] != FAILED:
                return

            if code in RUN_STOPPING_CODES or outcome.get("http_status") == 401:
                self.reason = self.reason or "the API refused the access token (%s)" % code
            elif code in UNREACHABLE_CODES:
                self._unreachable_in_a_row += 1
                if self._unreachable_in_a_row >= self._limit:
                    self.reason = self.reason or ("%d sites in a row could not reach the API, "
                                                  "even after retries" % self._limit)


def plain_type_name(value):
    """The YAML-level name of a value's type (Ansible wraps values in tagged subclasses)."""
    for name, kind in (("list", (list, tuple)), ("dict", dict), ("bool", bool),
                       ("float", float)):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def guarded(work, client, site_id, params, breaker):
    """Run ``work`` for one site; an unexpected error fails that site, not the run."""
    try:
        return work(client, site_id, params, breaker)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Only the class is shown: the text of an unexpected error may quote an answer.
        return {"site_id": site_id, "outcome": FAILED, "changed": False, "failed": True,
                "error_code": "unexpected_error", "http_status": None,
                "msg": "%s: unexpected %s; the site may still carry its plan, run again"
                       % (site_id, exc.__class__.__name__)}


def cancel_one(client, site_id, params, breaker):
    """Cancel one site's plan, unless the run has already been stopped."""
    if breaker.reason:
        return {"site_id": site_id, "outcome": FAILED, "changed": False, "failed": True,
                "error_code": NOT_ATTEMPTED, "http_status": None,
                "msg": "not attempted: the run stopped because %s; the site may still carry "
                       "its plan, run again once that is fixed" % breaker.reason}

    outcome = cancel_outcome(client, site_id, params["plan"], params["cancel_all"])
    breaker.observe(outcome)
    return outcome


def predict_one(client, site_id, params, breaker):
    """What cancel_one would do, read from the site's status: check mode sends no cancel."""
    if breaker.reason:
        return cancel_one(client, site_id, params, breaker)

    try:
        status = client.site_status(site_id)
    except PartnerApiError as exc:
        outcome = {"site_id": site_id, "outcome": FAILED, "changed": False, "failed": True,
                   "error_code": exc.error_code, "http_status": exc.status,
                   "msg": status_error_text(site_id, exc)}
        breaker.observe(outcome)
        return outcome

    outcome, code, _after = predict_cancel(status, params["plan"], params["cancel_all"])
    words = {CANCELLED: "would cancel the plan of %s",
             ALREADY_GONE: "%s has nothing for this partner to cancel",
             UNKNOWN_SITE: "site '%s' is unknown to WordPress.com; nothing would be cancelled",
             FAILED: "the plan of %s was provisioned by another partner; a cancel would fail"}
    return {"site_id": site_id, "outcome": outcome, "changed": outcome == CANCELLED,
            "failed": outcome == FAILED, "error_code": code, "http_status": None,
            "msg": words[outcome] % site_id}


def report_paths(report_path):
    base = report_path[:-5] if report_path.endswith(".json") else report_path
    return {"json": base + ".json", "csv": base + ".csv"}


def report_path_problem(report_path):
    """Why the reports could not be written there, found before anything is sent."""
    directory = os.path.dirname(os.path.abspath(report_paths(report_path)["json"]))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        return "cannot create the directory %s (%s)" % (directory, exc.__class__.__name__)
    if not os.access(directory, os.W_OK | os.X_OK):
        return "the directory %s is not writable" % directory
    for path in report_paths(report_path).values():
        if os.path.isdir(path):
            return "%s is a directory" % path
    return None


def write_reports(report_path, sites, totals):
    """Write ``<report_path>.json`` and ``.csv`` atomically; return their paths."""
    paths = report_paths(report_path)
    os.makedirs(os.path.dirname(os.path.abspath(paths["json"])), exist_ok=True)

    document = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "totals": totals, "sites": [{k: site.get(k) for k in REPORT_FIELDS}
                                            for site in sites]}
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=REPORT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(document["sites"])

    _atomic_write(paths["json"], json.dumps(document, indent=1, sort_keys=True) + "\n")
    _atomic_write(paths["csv"], table.getvalue())
    return paths


def _atomic_write(path, text):
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                         prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
