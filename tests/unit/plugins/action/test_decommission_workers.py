# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bulk decommission's per-site workers and the breaker that ends a hopeless run."""

from __future__ import annotations

from ansible_collections.wpcom.jetpack.plugins.action.jetpack_partner_decommission import (
    RunBreaker,
    guarded,
)

PARAMS = {"plan": None, "cancel_all": False}


def failing_work(client, site_id, params, breaker):
    raise TypeError("answer quoted token-abc-123 back")


def test_an_unexpected_error_fails_one_site_without_quoting_it():
    outcome = guarded(failing_work, None, "example.com", PARAMS, RunBreaker(3))

    assert (outcome["outcome"], outcome["failed"], outcome["changed"]) == ("failed", True, False)
    assert outcome["error_code"] == "unexpected_error"
    assert "TypeError" in outcome["msg"] and "token-abc-123" not in outcome["msg"]


def failure(code, status=None):
    return {"outcome": "failed", "error_code": code, "http_status": status}


def test_the_breaker_trips_on_a_refused_token_at_once():
    breaker = RunBreaker(5)

    breaker.observe(failure("incorrect_partner_key", 403))
    assert breaker.reason is None

    breaker.observe(failure("invalid_token", 403))
    assert "refused the access token (invalid_token)" in breaker.reason


def test_the_breaker_needs_unreachable_sites_in_a_row():
    breaker = RunBreaker(3)

    for outcome in (failure("connection_error"), failure("timeout"),
                    {"outcome": "cancelled", "error_code": None},
                    failure("connection_error"), failure("connection_error")):
        breaker.observe(outcome)
    assert breaker.reason is None

    breaker.observe(failure("timeout"))
    assert "3 sites in a row could not reach the API" in breaker.reason
