# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the API's answers: both error shapes and ``http_envelope`` (API.md section 7).

The pure readers are called directly. The client is driven against a scripted HTTP
server on 127.0.0.1, so everything above the socket is the collection's real code.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    ALREADY_GONE,
    CANCELLED,
    FAILED,
    UNKNOWN_SITE,
    PartnerApiError,
    PartnerClient,
    cancel_outcome,
    error_in,
    read_answer,
    retry_after_seconds,
)

SECRET = "s3cret-Value-that-must-never-show"
TOKEN = "tok-Value-that-must-never-show-either"


def envelope(status, body, headers=None):
    return json.dumps({"code": status, "headers": headers or [], "body": body})


# --- read_answer ----------------------------------------------------------------------

def test_a_plain_answer_keeps_its_status_data_and_headers():
    status, data, headers = read_answer(200, b'{"success": true}', {"X-Id": "1"})

    assert (status, data, headers) == (200, {"success": True}, {"X-Id": "1"})


@pytest.mark.parametrize("body", [b"", b"<html><body>502 Bad Gateway</body></html>",
                                  b'{"success": tr', None])
def test_a_body_that_is_not_json_reads_as_none(body):
    status, data, _headers = read_answer(502, body)

    assert (status, data) == (502, None)


def test_an_envelope_gives_the_real_status_body_and_headers():
    body = envelope(403, {"error": "invalid_blog", "message": "no such blog"},
                    [{"name": "Retry-After", "value": "7"},
                     {"name": "Content-Type", "value": "application/json"}])

    status, data, headers = read_answer(200, body.encode(), {"Server": "nginx"})

    assert status == 403
    assert data == {"error": "invalid_blog", "message": "no such blog"}
    assert headers == {"Server": "nginx", "Retry-After": "7",
                       "Content-Type": "application/json"}


def test_an_envelope_is_read_when_nobody_asked_for_one():
    body = envelope(200, {"success": False, "error_code": "not_jps_plan"})

    assert read_answer(200, body) == (200, {"success": False, "error_code": "not_jps_plan"},
                                      {})


def test_an_envelope_status_given_as_text_is_read_as_a_number():
    status, data, _headers = read_answer(200, envelope("404", {"error": "x"}))

    assert (status, data) == (404, {"error": "x"})


def test_an_envelope_without_a_usable_status_is_left_as_it_came():
    raw = {"code": "teapot", "headers": [], "body": {"success": True}}

    assert read_answer(200, json.dumps(raw)) == (200, raw, {})


def test_an_envelope_skips_header_entries_it_cannot_read():
    raw = {"code": 429, "headers": ["junk", {"value": "no name"}, {"name": "Retry-After"}],
           "body": {"error": "rate_limited"}}

    status, data, headers = read_answer(200, json.dumps(raw))

    assert (status, data, headers) == (429, {"error": "rate_limited"}, {"Retry-After": ""})


def test_an_envelope_with_null_headers_still_unwraps():
    raw = {"code": 400, "headers": None, "body": {"error": "invalid_input"}}

    assert read_answer(200, json.dumps(raw)) == (400, {"error": "invalid_input"}, {})


def test_an_answer_with_code_and_body_but_no_headers_is_no_envelope():
    raw = {"code": 403, "body": "text"}

    assert read_answer(200, json.dumps(raw)) == (200, raw, {})


# --- error_in -------------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    ({"error": "invalid_blog", "message": "The blog ID x is invalid"},
     ("invalid_blog", "The blog ID x is invalid")),
    ({"success": False, "error_code": "not_jps_plan", "error_message": "Not a JPS plan"},
     ("not_jps_plan", "Not a JPS plan")),
    ({"error": "invalid_client", "error_description": "Unknown client_id"},
     ("invalid_client", "Unknown client_id")),
    ({"error": "invalid_scope"}, ("invalid_scope", None)),
    ({"success": False, "error_code": "incorrect_partner_key"},
     ("incorrect_partner_key", None)),
    ({"error": {"nested": True}, "error_code": "invalid_input"}, ("invalid_input", None)),
    ({"error_code": 42, "message": 7}, ("42", "7")),
])
def test_both_error_shapes_give_code_and_text(data, expected):
    assert error_in(data) == expected


@pytest.mark.parametrize("data", [
    {"success": True}, {"success": False}, {"error": "", "error_code": ""},
    {"error": None, "message": "text without a code"}, {}, None, [], "error", 403,
    [{"error": "in a list"}],
])
def test_answers_without_an_error_code_are_no_error(data):
    assert error_in(data) == (None, None)


# --- the client against a scripted HTTP server -----------------------------------------

class ScriptedServer:
    """Answers each request with the next scripted (status, body, headers)."""

    def __init__(self):
        self.script = []
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                """Keep test output clean."""

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                owner.requests.append({"path": self.path, "form": form,
                                       "authorization": self.headers.get("Authorization")})
                status, body, headers = owner.script.pop(0)
                payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                head = ["HTTP/1.1 %d X" % status, "Content-Length: %d" % len(payload)]
                head += ["%s: %s" % item for item in (headers or {}).items()]
                self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


@pytest.fixture
def client(server):
    server.script.clear()
    server.requests.clear()
    partner = PartnerClient(api_url=server.url, access_token=TOKEN, timeout=5, retries=0,
                            sleep=lambda seconds: None)
    yield partner
    partner.close()


OUTCOME_CASES = [
    # (answer status, answer body, outcome, changed, failed, error_code, http_status)
    (200, {"success": True}, CANCELLED, True, False, None, None),
    (200, {"success": False}, ALREADY_GONE, False, False, None, None),
    (400, {"error": "not_jps_plan", "message": "not JPS"},
     ALREADY_GONE, False, False, "not_jps_plan", 400),
    (403, {"error": "invalid_blog", "message": "no blog"},
     UNKNOWN_SITE, False, False, "invalid_blog", 403),
    (403, {"error": "incorrect_partner_key", "message": "other partner"},
     FAILED, False, True, "incorrect_partner_key", 403),
    (403, {"error": "invalid_scope"}, FAILED, False, True, "invalid_scope", 403),
    (400, {"error": "invalid_input", "message": "Unable to delete subscription"},
     FAILED, False, True, "invalid_input", 400),
    (400, {"error": "a_code_nobody_documented", "message": "new"},
     FAILED, False, True, "a_code_nobody_documented", 400),
    # The WP-CLI shape: success false that carries a code is an error, not "gone".
    (200, {"success": False, "error_code": "incorrect_partner_key", "error_message": "x"},
     FAILED, False, True, "incorrect_partner_key", 200),
    (200, {"success": False, "error_code": "not_jps_plan"},
     ALREADY_GONE, False, False, "not_jps_plan", 200),
    # Envelopes, asked for or not.
    (200, json.loads(envelope(200, {"success": True})), CANCELLED, True, False, None, None),
    (200, json.loads(envelope(403, {"error": "invalid_blog"})),
     UNKNOWN_SITE, False, False, "invalid_blog", 403),
    (200, json.loads(envelope(403, {"error": "incorrect_partner_key"})),
     FAILED, False, True, "incorrect_partner_key", 403),
    # JSON in neither shape.
    (200, {"result": "ok"}, FAILED, False, True, "unexpected_answer", None),
]


@pytest.mark.parametrize("status, body, outcome, changed, failed, code, http_status",
                         OUTCOME_CASES)
def test_each_cancel_answer_is_classified(server, client, status, body, outcome, changed,
                                          failed, code, http_status):
    server.script.append((status, body, None))

    result = cancel_outcome(client, "example.com::shop")

    assert result["site_id"] == "example.com::shop"
    expected = (outcome, changed, failed)
    assert (result["outcome"], result["changed"], result["failed"]) == expected
    assert result["error_code"] == code
    assert result.get("http_status") == http_status
    assert server.requests[0]["path"] == "/rest/v1.3/jpphp/example.com::shop/partner-cancel"
    assert server.requests[0]["authorization"] == "Bearer " + TOKEN


@pytest.mark.parametrize("code, words", [
    ("incorrect_partner_key", ["another partner", "still carries the plan"]),
    ("invalid_scope", ["not a Jetpack partner token", "jetpack_partner_token"]),
    ("invalid_input", ["could not remove the subscription", "run again"]),
    ("a_code_nobody_documented", ["may still carry its plan", "run again"]),
    ("invalid_token", ["invalid or revoked", "jetpack_partner_token"]),
])
def test_a_failed_cancel_says_what_it_means_for_the_site_and_what_to_do(
        server, client, code, words):
    server.script.append((403, {"error": code, "message": "the API's own words"}, None))

    result = cancel_outcome(client, "shop.example.com")

    assert result["failed"] is True
    assert "shop.example.com" in result["msg"]
    assert code in result["msg"] and "the API's own words" in result["msg"]
    for word in words:
        assert word in result["msg"]


def test_an_html_page_instead_of_an_answer_fails_and_points_at_api_url(server, client):
    server.script.append((404, "<html><body>Not Found</body></html>",
                          {"Content-Type": "text/html"}))

    result = cancel_outcome(client, "shop.example.com")

    assert (result["outcome"], result["failed"], result["changed"]) == (FAILED, True, False)
    assert result["http_status"] == 404
    assert "api_url" in result["msg"] and "may still carry its plan" in result["msg"]
    assert "<html>" not in result["msg"]


def test_an_unknown_site_warns_with_its_identifier(server, client):
    server.script.append((403, {"error": "invalid_blog", "message": "no blog"}, None))

    result = cancel_outcome(client, "shop.exampel.com")

    assert result["warning"] and "shop.exampel.com" in result["warning"]


def test_cancel_all_sends_the_form_field_and_keeps_the_lists(server, client):
    server.script.append((200, {"success": True, "activations": ["premium"],
                                "pending_activations": []}, None))

    result = cancel_outcome(client, "123", plan="jetpack-scan", cancel_all=True)

    assert server.requests[0]["form"] == {"plan": "jetpack-scan", "cancel-all": "true"}
    assert (result["activations"], result["pending_activations"]) == (["premium"], [])


def test_a_token_error_names_the_oauth_code_and_hides_the_secret(server, client):
    # A server that echoes what it was sent must not get the secret into a message.
    server.script.append((400, {"error": "invalid_client",
                                "error_description": "bad secret %s" % SECRET}, None))

    with pytest.raises(PartnerApiError) as caught:
        client.request_token(" partner-1 ", "  %s\n" % SECRET)

    assert caught.value.error_code == "invalid_client"
    assert caught.value.status == 400
    assert SECRET not in str(caught.value) and SECRET not in caught.value.api_message
    assert "invalid_client" in str(caught.value)
    # White space around the credentials is trimmed before they are sent.
    assert server.requests[0]["form"] == {"grant_type": "client_credentials",
                                          "scope": "jetpack-partner",
                                          "client_id": "partner-1", "client_secret": SECRET}
    assert server.requests[0]["authorization"] is None


def test_a_token_answer_in_an_envelope_gives_the_token(server, client):
    answer = {"access_token": "fresh-token-abc", "token_type": "bearer"}
    server.script.append((200, json.loads(envelope(200, answer)), None))

    assert client.request_token("partner-1", SECRET) == "fresh-token-abc"
    assert client.redact("x fresh-token-abc y") == "x ******** y"


def test_an_error_message_that_repeats_the_token_is_redacted(server, client):
    server.script.append((403, {"error": "invalid_token", "message": "token %s" % TOKEN},
                          None))

    result = cancel_outcome(client, "shop.example.com")

    assert result["error_code"] == "invalid_token"
    assert TOKEN not in result["msg"]


# --- Retry-After ----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("7", 7.0), (" 120 ", 120.0), ("0", 0.0), (None, None), ("soon", None), ("", None),
    # A proxy's Latin-1 header can carry a superscript digit; it is no number of seconds.
    ("\u00b2", None), ("\u0661\u0662", None), ("-5", None), ("1.5", None),
])
def test_retry_after_in_seconds(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_as_an_http_date():
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:40 GMT", now=40.0) == 60.0
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:40 GMT", now=500.0) == 0.0
