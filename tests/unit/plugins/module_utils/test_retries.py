# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared client's transport: retries, waits, budget, bad bodies, TLS, redirects.

A small scripted HTTP server on 127.0.0.1 plays each answer; ``sleep`` is faked, so the
waits the client chooses are asserted without being spent.
"""

from __future__ import annotations

import email.utils
import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
from urllib.parse import quote

import pytest

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    REDACTED,
    PartnerApiError,
    PartnerClient,
    check_api_url,
)

TOKEN = "tok-Sup3r/Secret+value=="


class Script(http.server.ThreadingHTTPServer):
    """Answers requests with a list of scripted answers, and records what it got."""

    daemon_threads = True

    def __init__(self, answers, host="127.0.0.1"):
        super().__init__((host, 0), ScriptHandler)
        self.answers = list(answers)
        self.seen = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://%s:%d" % self.server_address[:2]

    def next_answer(self):
        if len(self.answers) > 1:
            return self.answers.pop(0)
        return self.answers[0]

    def stop(self):
        self.shutdown()
        self.server_close()


class ScriptHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet."""

    def do_GET(self):
        self._play()

    def do_POST(self):
        self._play()

    def _play(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append({"path": self.path, "headers": dict(self.headers),
                                 "body": body})
        answer = self.server.next_answer()
        if callable(answer):
            answer(self)
            return
        status, headers, payload = answer
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        payload = payload.encode() if isinstance(payload, str) else payload
        lines = ["HTTP/1.1 %d X" % status, "Content-Length: %d" % len(payload)]
        lines += ["%s: %s" % item for item in headers.items()]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)


def drop(handler):
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def dribble(seconds_per_byte):
    def answer(handler):
        body = b'{"success": true, "padding": "................"}'
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
        handler.wfile.flush()
        try:
            for byte in body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(seconds_per_byte)
        except OSError:
            handler.close_connection = True
    return answer


HTML_502 = (502, {"Content-Type": "text/html"},
            "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")
OK = (200, {"Content-Type": "application/json"}, {"success": True})


@pytest.fixture
def serve():
    servers = []

    def start(*answers, host="127.0.0.1"):
        server = Script(answers, host)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def client_for(server, **options):
    waits = []
    options.setdefault("timeout", 5)
    client = PartnerClient(api_url=server.url, access_token=TOKEN, sleep=waits.append,
                           **options)
    return client, waits


def test_5xx_with_html_is_retried_with_growing_jittered_waits(serve):
    server = serve(HTML_502, (503, {}, "<html>busy</html>"), (500, {}, ""), (504, {}, ""), OK)
    client, waits = client_for(server, retries=5)

    assert client.cancel("example.com") == {"success": True}

    assert len(server.seen) == 5
    assert len(waits) == 4
    # Equal jitter over doubling steps of 0.5, 1, 2 and 4 s: each wait is in its half-step.
    for wait, step in zip(waits, (0.5, 1.0, 2.0, 4.0)):
        assert step / 2 <= wait <= step
    assert waits == sorted(waits)


def test_retry_after_in_seconds_is_honoured(serve):
    server = serve((429, {"Retry-After": "7"}, {"error": "rate_limited"}), OK)
    client, waits = client_for(server)

    assert client.status("example.com") == {"success": True}
    assert waits == [7.0]


def test_retry_after_inside_an_http_envelope_is_honoured(serve):
    wrapped = {"code": 429, "headers": [{"name": "retry-after", "value": "4"}],
               "body": {"error": "rate_limited", "message": "slow down"}}
    server = serve((200, {}, wrapped), OK)
    client, waits = client_for(server)

    assert client.status("example.com") == {"success": True}
    assert waits == [4.0]


def test_a_provision_honours_retry_after_too(serve):
    server = serve((429, {"Retry-After": "3"}, {"error": "rate_limited"}),
                   (200, {}, {"success": True, "auth_required": False, "next_url": ""}))
    client, waits = client_for(server)

    answer = client.provision_once({"plan": "premium", "siteurl": "https://example.com",
                                    "local_user": "admin"}, "example.com")

    assert answer["success"] is True
    assert waits == [3.0]
    assert len(server.seen) == 2


def test_retry_after_as_an_http_date_is_honoured(serve):
    when = email.utils.formatdate(time.time() + 12, usegmt=True)
    server = serve((503, {"Retry-After": when}, "<html>later</html>"), OK)
    client, waits = client_for(server)

    client.cancel("example.com")

    # An HTTP date has one-second resolution.
    assert len(waits) == 1 and 10.5 <= waits[0] <= 12.0


def test_retry_after_is_capped_at_a_minute(serve):
    server = serve((429, {"Retry-After": "3600"}, ""), OK)
    client, waits = client_for(server, retry_budget=300)

    client.cancel("example.com")
    assert waits == [60.0]


def test_a_wait_past_the_budget_ends_the_call_with_the_last_error(serve):
    server = serve((429, {"Retry-After": "4"}, ""))
    client, waits = client_for(server, retries=10, retry_budget=10)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    # 4 s, then 4 s more fit in 10; a third wait of 4 s would pass the budget.
    assert waits == [4.0, 4.0]
    assert len(server.seen) == 3
    assert caught.value.status == 429
    assert "retry budget of 10 s" in caught.value.message
    assert "cancel example.com: HTTP 429" in caught.value.message


def test_retries_zero_means_one_attempt(serve):
    server = serve(HTML_502)
    client, waits = client_for(server, retries=0)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("shop.example.com")

    assert len(server.seen) == 1
    assert waits == []
    assert caught.value.message == (
        "cancel shop.example.com: HTTP 502 with a body that is not JSON "
        "(an HTML page, as a proxy or a wrong api_url sends)")


def test_retries_stop_after_the_configured_count(serve):
    server = serve(HTML_502)
    client, waits = client_for(server, retries=2)

    with pytest.raises(PartnerApiError) as caught:
        client.status("example.com")

    assert len(server.seen) == 3
    assert len(waits) == 2
    assert caught.value.message.endswith("(gave up after 3 attempt(s): 3 attempts)")


@pytest.mark.parametrize("answer", [
    (400, {}, {"error": "invalid_input", "message": "Unable to delete subscription"}),
    (403, {}, {"error": "incorrect_partner_key", "message": "not yours"}),
    (404, {"Content-Type": "text/html"}, "<html>Not Found</html>"),
])
def test_client_errors_are_not_retried(serve, answer):
    server = serve(answer)
    client, waits = client_for(server)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    assert len(server.seen) == 1 and waits == []
    assert caught.value.status == answer[0]


def test_a_dropped_connection_is_retried(serve):
    server = serve(drop, drop, OK)
    client, waits = client_for(server)

    assert client.cancel("example.com") == {"success": True}
    assert len(server.seen) == 3 and len(waits) == 2


def test_a_dropped_connection_with_no_retries_names_the_call(serve):
    server = serve(drop)
    client, _waits = client_for(server, retries=0)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    assert caught.value.error_code == "connection_error"
    assert caught.value.message.startswith("cancel example.com: connection failed or was cut off")


def test_a_body_slower_than_the_timeout_counts_as_a_timeout_and_is_retried(serve):
    # 48 bytes at 0.1 s each would take about 5 s; the whole answer must come within 1 s.
    server = serve(dribble(0.1), OK)
    client, waits = client_for(server, timeout=1)

    started = time.monotonic()
    assert client.cancel("example.com") == {"success": True}

    assert len(server.seen) == 2 and len(waits) == 1
    # A per-read timeout alone would have waited for every byte.
    assert time.monotonic() - started < 3


def test_a_slow_body_with_no_retries_is_a_timeout_error(serve):
    server = serve(dribble(0.1))
    client, _waits = client_for(server, timeout=1, retries=0)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    assert caught.value.error_code == "timeout"
    assert caught.value.message == "cancel example.com: no whole answer within 1 s"


@pytest.mark.parametrize("status, body, expected", [
    (200, "", "status example.com: HTTP 200 with an empty body"),
    (200, '{"success": tr', "status example.com: HTTP 200 with a body that is not JSON "
                            "(JSON cut short)"),
    (500, "Internal error", "status example.com: HTTP 500 with a body that is not JSON "
                            "(14 bytes of text/plain)"),
    (404, "<html>nope</html>", "status example.com: HTTP 404 with a body that is not JSON "
                               "(an HTML page, as a proxy or a wrong api_url sends); "
                               "a wrong api_url is the likely cause"),
])
def test_a_body_that_is_not_json_is_a_clear_error(serve, status, body, expected):
    content_type = "text/html" if body.startswith("<") else "text/plain"
    server = serve((status, {"Content-Type": content_type}, body))
    client, _waits = client_for(server, retries=0)

    with pytest.raises(PartnerApiError) as caught:
        client.status("example.com")

    assert caught.value.message == expected
    assert caught.value.status == status


def test_truncated_json_on_a_200_is_retried_as_a_lost_answer(serve):
    server = serve((200, {}, '{"success": tr'), OK)
    client, waits = client_for(server)

    assert client.cancel("example.com") == {"success": True}
    assert len(waits) == 1


@pytest.mark.parametrize("answer", [
    (401, {"Content-Type": "text/html"}, "<html>Unauthorized</html>"),
    (403, {}, {"error": "invalid_token", "message": "The OAuth2 token is invalid."}),
])
def test_a_token_error_says_invalid_or_revoked_and_where_a_new_one_comes_from(serve, answer):
    server = serve(answer)
    client, waits = client_for(server)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    assert waits == []
    assert caught.value.is_token_error
    assert "the access token is invalid or revoked" in caught.value.message
    assert "wpcom.jetpack.jetpack_partner_token lookup" in caught.value.message


def test_secrets_the_server_echoes_back_are_redacted(serve):
    echoed = "token %s, encoded %s and %s" % (
        TOKEN, quote(TOKEN, safe=""), TOKEN.replace("/", "%2F"))
    server = serve((400, {}, {"error": "invalid_request", "message": echoed}))
    client, _waits = client_for(server)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    text = str(caught.value) + repr(caught.value.args) + str(caught.value.api_message)
    assert TOKEN not in text and quote(TOKEN, safe="") not in text
    assert "%s, encoded %s and %s" % (REDACTED, REDACTED, REDACTED) in caught.value.message


def test_the_token_never_follows_a_redirect_to_another_host(serve):
    elsewhere = serve(OK, host="127.0.0.2")
    server = serve((302, {"Location": elsewhere.url + "/rest/v1.3/jpphp/x/partner-cancel"}, ""))
    client, waits = client_for(server)

    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    assert server.seen[0]["headers"]["Authorization"] == "Bearer " + TOKEN
    assert elsewhere.seen == []
    assert waits == []
    assert "HTTP 302 redirect, which this client does not follow" in caught.value.message


def test_the_partner_secret_is_trimmed_sent_once_and_never_in_errors(serve):
    secret = " partner-S3cret&value "
    server = serve((400, {}, {"error": "invalid_client",
                              "error_description": "bad secret partner-S3cret&value"}))
    client = PartnerClient(api_url=server.url, sleep=lambda _s: None)

    with pytest.raises(PartnerApiError) as caught:
        client.request_token("p-1", secret)

    assert len(server.seen) == 1
    assert b"client_secret=partner-S3cret%26value" in server.seen[0]["body"]
    assert "partner-S3cret" not in str(caught.value)
    assert caught.value.message == "token request for partner p-1: HTTP 400 invalid_client " \
                                   "(bad secret %s)" % REDACTED


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    key, cert = str(directory / "key.pem"), str(directory / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


def test_tls_is_verified_by_default_and_a_failure_is_not_retried(serve, self_signed):
    server = serve(OK)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(self_signed[1], self_signed[0])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    url = "https://127.0.0.1:%d" % server.server_address[1]
    waits = []

    client = PartnerClient(api_url=url, access_token=TOKEN, sleep=waits.append, timeout=5)
    with pytest.raises(PartnerApiError) as caught:
        client.cancel("example.com")

    assert caught.value.error_code == "tls_error"
    assert "TLS verification failed" in caught.value.message
    assert waits == [] and server.seen == []

    insecure = PartnerClient(api_url=url, access_token=TOKEN, validate_certs=False, timeout=5)
    assert insecure.cancel("example.com") == {"success": True}


@pytest.mark.parametrize("url, problem", [
    ("https://public-api.wordpress.com", None),
    ("https://127.0.0.1:8443", None),
    ("http://127.0.0.1:8080", None),
    ("http://[::1]:8080", None),
    ("http://localhost:8080", None),
    ("http://127.5.6.7", None),
    ("http://public-api.wordpress.com", "must use https:// unless its host is a loopback "
                                        "address (got http://public-api.wordpress.com)"),
    ("http://10.0.0.1:8080", "must use https:// unless its host is a loopback address "
                             "(got http://10.0.0.1:8080)"),
    ("http://localhost.example.com", "must use https:// unless its host is a loopback "
                                     "address (got http://localhost.example.com)"),
    ("ftp://127.0.0.1", "must be an https:// URL such as https://public-api.wordpress.com"),
    ("public-api.wordpress.com", "must be an https:// URL such as "
                                 "https://public-api.wordpress.com"),
    ("https://user:pw@public-api.wordpress.com", "must not carry user info"),
    ("https://public-api.wordpress.com/?x=1", "must not have a query string or fragment"),
])
def test_api_url_must_be_https_unless_loopback(url, problem):
    assert check_api_url(url) == problem
