# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What jetpack_partner_plan decides from a status, and how a lost provision is recovered."""

from __future__ import annotations

import pytest

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    ALREADY_GONE,
    CANCELLED,
    FAILED,
    UNKNOWN_SITE,
    PartnerApiError,
    PartnerClient,
    decide_provision,
    empty_status,
    offered_slugs,
    parse_status,
    predict_cancel,
    provision_error_text,
    provision_plan,
)


def status(*products, connected=True):
    """A v1.4 answer; each product as (slug, by_partner, by_me, pending)."""
    return parse_status({
        "blog": {"is_connected": connected, "has_backups_credentials": False},
        "products": [{"slug": slug, "is_provisioned_by_partner": by_partner,
                      "is_provisioned_by_calling_partner": by_me, "is_pending": pending}
                     for slug, by_partner, by_me, pending in products]})


MINE = (True, True, False)
OTHERS = (True, False, False)


@pytest.mark.parametrize("held, slug, action", [
    ([], "premium", "provision"),
    ([("premium",) + MINE], "premium", "none"),
    ([("premium", True, True, True)], "premium", "none"),
    ([("personal",) + MINE], "premium", "upgrade"),
    ([("personal",) + OTHERS], "premium", "upgrade"),
    ([("professional",) + MINE], "personal", "refuse"),
    ([("premium",) + OTHERS], "premium", "refuse"),
    ([("premium",) + MINE], "jetpack-scan", "provision"),
    ([("jetpack-backup-daily",) + MINE], "jetpack-backup-realtime", "upgrade"),
    ([("jetpack-backup-realtime",) + MINE], "jetpack-backup-daily", "refuse"),
    ([("premium",) + MINE], "complete", "provision"),
])
def test_decide_provision(held, slug, action):
    assert decide_provision(status(*held), slug)["action"] == action


def test_downgrade_is_refused_with_the_documented_way_and_done_only_when_asked():
    site = status(("professional",) + MINE)

    refused = decide_provision(site, "personal")
    allowed = decide_provision(site, "personal", allow_downgrade=True)

    assert refused["error_code"] == "plan_downgrade_disallowed"
    assert "cancel professional, then provision personal" in refused["msg"]
    assert "allow_downgrade" in refused["msg"]
    assert (allowed["action"], allowed["replaces"]["slug"]) == ("downgrade", "professional")


def test_downgrade_over_another_partners_plan_is_refused_even_when_allowed():
    decision = decide_provision(status(("professional",) + OTHERS), "personal",
                                allow_downgrade=True)

    assert (decision["action"], decision["error_code"]) == ("refuse", "held_elsewhere")


@pytest.mark.parametrize("held, plan, cancel_all, outcome, code", [
    ([("premium",) + MINE], None, False, CANCELLED, None),
    ([("premium",) + MINE], "jetpack-scan", False, ALREADY_GONE, None),
    ([("premium", False, False, False)], None, False, ALREADY_GONE, "not_jps_plan"),
    ([("premium",) + OTHERS], None, False, FAILED, "incorrect_partner_key"),
    ([("jetpack-scan",) + MINE], "jetpack-scan", False, CANCELLED, None),
    ([("premium",) + OTHERS], None, True, ALREADY_GONE, None),
    ([("premium",) + OTHERS, ("jetpack-scan",) + MINE], None, True, CANCELLED, None),
])
def test_predict_cancel(held, plan, cancel_all, outcome, code):
    predicted = predict_cancel(status(*held), plan, cancel_all)

    assert predicted[:2] == (outcome, code)


def test_predict_cancel_of_an_unknown_site():
    assert predict_cancel(empty_status())[:2] == (UNKNOWN_SITE, "invalid_blog")


def test_parse_status_reads_the_deprecated_product_fields_the_same_way():
    old = parse_status({"has_backups_credentials": True, "products": [
        {"product": "jetpack-scan", "is_partner_product": True, "has_pending_product": True,
         "is_provisioned_by_calling_partner": False}]})

    assert old["has_backups_credentials"] is True
    assert old["products"] == [{"slug": "jetpack-scan", "family": "jetpack-scan",
                                "pending": True, "provisioned_by_partner": True,
                                "provisioned_by_calling_partner": False}]


@pytest.mark.parametrize("answer", [
    {"jetpack-plans": ["professional"], "jetpack-scan": ["jetpack-scan"]},
    {"upgrade_paths": {"jetpack-plans": ["professional"], "x": ["jetpack-scan"]}},
    [{"family": "jetpack-plans", "products": [{"slug": "professional"}]},
     {"family": "jetpack-scan", "slugs": ["jetpack-scan"]}],
])
def test_offered_slugs_reads_each_shape(answer):
    assert offered_slugs(answer) == {"professional", "jetpack-scan"}


class FakeClient(PartnerClient):
    """A client whose provision and status answers come from lists, in order."""

    def __init__(self, provisions, statuses):
        super().__init__(api_url="http://127.0.0.1:9", access_token="tok-unit-0001",
                         retries=3, sleep=lambda seconds: None)
        self.provisions, self.statuses = list(provisions), list(statuses)
        self.sent = []

    def provision(self, form, retry=True):
        self.sent.append(("provision", dict(form)))
        outcome = self.provisions.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def status(self, site_id):
        self.sent.append(("status", site_id))
        return self.statuses.pop(0)


def lost(status_code=None):
    """An error flagged as the transport flags it: 503 was refused, the rest were lost."""
    code = None if status_code else "connection_error"
    error = PartnerApiError("provision x", "provision x: lost", status=status_code,
                            error_code=code)
    error.retryable = True
    error.may_have_applied = status_code != 503
    return error


HELD = {"products": [{"slug": "premium", "is_provisioned_by_partner": True,
                      "is_provisioned_by_calling_partner": True, "is_pending": True}]}
OK = {"success": True, "auth_required": False, "next_url": "https://wordpress.com/x"}


def test_a_lost_answer_for_a_plan_now_there_is_not_sent_again():
    client = FakeClient([lost()], [HELD])

    answer = client.provision_once({"plan": "premium"}, "example.com")

    assert [sent[0] for sent in client.sent] == ["provision", "status"]
    assert (answer["recovered"], answer["pending"]) == (True, True)


def test_the_last_lost_answer_is_checked_too():
    client = FakeClient([lost(504)], [HELD])
    client.retries = 0

    answer = client.provision_once({"plan": "premium"}, "example.com")

    assert [sent[0] for sent in client.sent] == ["provision", "status"]
    assert answer["recovered"] is True


def test_a_lost_answer_with_no_readable_status_says_it_may_have_been_applied():
    client = FakeClient([lost(502)], [])

    def status_refused(site_id):
        raise PartnerApiError("status %s" % site_id, "status: HTTP 400 partner_key_disabled",
                              status=400, error_code="partner_key_disabled")

    client.status = status_refused

    with pytest.raises(PartnerApiError) as raised:
        client.provision_once({"plan": "premium"}, "example.com")

    assert "may have been provisioned all the same" in raised.value.message
    assert len(client.sent) == 1


def test_a_lost_answer_for_a_plan_not_there_is_sent_again():
    client = FakeClient([lost(502), OK], [{"products": []}])

    answer = client.provision_once({"plan": "premium"}, "example.com")

    assert [sent[0] for sent in client.sent] == ["provision", "status", "provision"]
    assert answer == OK


def test_a_refusal_is_not_retried_and_a_busy_server_is_retried_without_status():
    refused = PartnerApiError("provision x", "no", status=400, error_code="invalid_plan")
    client = FakeClient([refused], [])
    with pytest.raises(PartnerApiError):
        client.provision_once({"plan": "premium"}, "example.com")
    assert len(client.sent) == 1

    client = FakeClient([lost(503), OK], [])
    assert client.provision_once({"plan": "premium"}, "example.com") == OK
    assert [sent[0] for sent in client.sent] == ["provision", "provision"]


def test_remote_provision_is_retried_once_with_force_register_and_the_owner_token_hidden():
    stale = PartnerApiError("provision x", "stale", status=400, error_code="method_not_found",
                            api_message="remoteProvision failed: tokens do not match")
    client = FakeClient([stale, dict(OK, access_token="owner-secret-123")], [])

    answer, notes = provision_plan(client, {"plan": "premium"}, "example.com")

    assert client.sent[1][1]["force_register"] == "true"
    assert "access_token" not in answer and answer["owner_token_returned"] is True
    assert "force_register" in notes[0]
    assert client.redact("owner-secret-123") == "********"


def test_remote_register_is_not_retried_and_says_what_to_do():
    broken = PartnerApiError("provision x", "provision x: HTTP 400 method_not_found",
                             status=400, error_code="method_not_found",
                             api_message="remoteRegister failed")
    client = FakeClient([broken], [])

    with pytest.raises(PartnerApiError) as raised:
        provision_plan(client, {"plan": "premium"}, "example.com")

    assert len(client.sent) == 1
    text = provision_error_text("example.com", raised.value)
    assert "activate Jetpack" in text and "siteurl with its scheme" in text
