#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local stand-in for the WordPress.com Jetpack partner API.

It speaks the calls of the collection's API contract (API.md sections 1, 3, 4, 5 and 7)
over real HTTP on a loopback port, keeps partners, tokens, sites and plans in memory,
loaded from a JSON data file, and logs every request so tests can see what was sent.
It does not apply the collection's site address rules: sites are found under exactly
the identifiers they were seeded with, as WordPress.com would.

Commands (Python standard library only):

    server.py start --data FILE [--port N] [--state-dir DIR]   start in the background
    server.py stop [--state-dir DIR]                           stop it
    server.py serve --data FILE [--port N]                     run in the foreground

``start`` prints the base URL and writes it to ``DIR/url``. Control calls, for tests:
``GET /_sandbox/state``, ``GET /_sandbox/log``, ``GET /_sandbox/stats``,
``POST /_sandbox/reset`` (reload the data file), ``POST /_sandbox/faults`` (JSON list).
Secrets are never written to the log: the token is logged as a label, secret form
fields by name only.
"""

from __future__ import annotations

import argparse
import copy
import email.utils
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_FIELDS = frozenset(["client_secret", "ssh_pass", "ssh_private_key", "ftp_pass"])

DEFAULT_CATALOGUE = {
    "jetpack-plans": ["free", "personal", "premium", "professional", "complete"],
    "jetpack-backup": ["jetpack-backup-daily", "jetpack-backup-realtime"],
    "jetpack-scan": ["jetpack-scan"],
    "jetpack-anti-spam": ["jetpack-anti-spam"],
    "jetpack-videopress": ["jetpack-videopress"],
}

# Products whose features a plan already includes (API.md section 3).
INCLUDED_IN = {
    "professional": {"jetpack-backup-daily", "jetpack-backup-realtime", "jetpack-scan",
                     "jetpack-anti-spam"},
    "complete": {"jetpack-backup-daily", "jetpack-backup-realtime", "jetpack-scan",
                 "jetpack-anti-spam", "jetpack-videopress"},
    "premium": {"jetpack-backup-daily", "jetpack-anti-spam"},
}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Sandbox:
    """The sandbox's state and the API's behaviour, independent of HTTP."""

    def __init__(self, data_path):
        self.data_path = data_path
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with open(self.data_path, encoding="utf-8") as handle:
            data = json.load(handle)
        with self.lock:
            self.latency = float(data.get("latency_ms", 0)) / 1000.0
            self.catalogue = data.get("catalogue", DEFAULT_CATALOGUE)
            self.partners = {str(p["id"]): dict(p) for p in data.get("partners", [])}
            self.tokens = {}
            self.token_labels = {}
            for seeded in data.get("tokens", []):
                self._remember_token(seeded["token"], seeded.get("partner"),
                                     seeded.get("scope", "jetpack-partner"))
            self.sites = {}
            self.blog_ids = {}
            for site in data.get("sites", []):
                self._add_site(copy.deepcopy(site))
            generated = data.get("generate")
            if generated:
                self._generate(generated)
            self.faults = [dict(f) for f in data.get("faults", [])]
            self.log = []
            self.counters = {}
            self.random = random.Random(data.get("seed", 1))

    def _add_site(self, site):
        site.setdefault("blog_id", 100000 + len(self.sites))
        site.setdefault("siteurl", "https://" + site["id"].replace("::", "/"))
        site.setdefault("users", ["admin"])
        site.setdefault("jetpack_active", True)
        site.setdefault("connected", True)
        site.setdefault("products", [])
        self.sites[site["id"]] = site
        self.blog_ids[str(site["blog_id"])] = site["id"]

    def _generate(self, spec):
        pattern = spec.get("pattern", "site-{n}.example.test")
        for number in range(int(spec["count"])):
            site = {"id": pattern.format(n=number), "products": []}
            if spec.get("plan"):
                site["products"].append({"slug": spec["plan"], "partner": spec.get("partner"),
                                         "pending": False})
            self._add_site(site)

    def _remember_token(self, token, partner, scope):
        self.tokens[token] = {"partner": partner, "scope": scope}
        self.token_labels[token] = "token#%d" % len(self.token_labels)

    # --- faults and bookkeeping ------------------------------------------------------

    def take_fault(self, call, site):
        """The fault to apply to this request, if any; counts it down.

        Faults of kind ``delay`` only add their ``delay_ms`` and let the next matching
        fault act too, so latency per call can be combined with any other fault.
        """
        delay_ms = 0.0
        with self.lock:
            for fault in self.faults:
                if fault.get("call", call) != call:
                    continue
                if fault.get("site") and fault["site"] != site:
                    continue
                if "rate" in fault:
                    if self.random.random() >= float(fault["rate"]):
                        continue
                else:
                    remaining = fault.get("count", 1)
                    if remaining <= 0:
                        continue
                    fault["count"] = remaining - 1
                if fault.get("kind") == "delay":
                    delay_ms += float(fault.get("delay_ms", 0))
                    continue
                taken = dict(fault)
                taken["delay_ms"] = delay_ms + float(fault.get("delay_ms", 0))
                return taken
        if delay_ms:
            return {"kind": "delay", "delay_ms": delay_ms}
        return None

    def count(self, name):
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + 1

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.log)
            self.log.append(entry)

    def snapshot(self):
        with self.lock:
            return {"sites": copy.deepcopy(self.sites),
                    "partners": sorted(self.partners),
                    "tokens_issued": sum(1 for t in self.tokens.values() if t.get("issued"))}

    # --- the API --------------------------------------------------------------------

    def token(self, form):
        if form.get("grant_type") != "client_credentials":
            raise ApiError(400, "unsupported_grant_type", "Only client_credentials is supported.")
        if form.get("scope") != "jetpack-partner":
            raise ApiError(400, "invalid_scope", "The requested scope is not jetpack-partner.")
        with self.lock:
            partner = self.partners.get(form.get("client_id", ""))
            if partner is None or partner.get("secret") != form.get("client_secret"):
                raise ApiError(400, "invalid_client", "Unknown client_id or wrong client_secret.")
            token = "sbx_" + secrets.token_urlsafe(24)
            self._remember_token(token, partner["id"], "jetpack-partner")
            self.tokens[token]["issued"] = True
        return 200, {"access_token": token, "token_type": "bearer", "blog_id": "0",
                     "blog_url": "0", "scope": "jetpack-partner"}

    def partner_for(self, token):
        """The partner a bearer token belongs to, or the API error for it."""
        record = self.tokens.get(token or "")
        if record is None or record.get("revoked"):
            raise ApiError(403, "invalid_token", "The OAuth2 token is invalid.")
        if record["scope"] != "jetpack-partner":
            raise ApiError(403, "invalid_scope",
                           "This token is not authorized to provision partner sites")
        return self.partners[record["partner"]]

    def find_site(self, site_id):
        if site_id.isdigit() and site_id in self.blog_ids:
            return self.sites[self.blog_ids[site_id]]
        site = self.sites.get(site_id)
        if site is None:
            raise ApiError(403, "invalid_blog", "The blog ID %s is invalid" % site_id)
        return site

    def family_of(self, slug):
        for family, slugs in self.catalogue.items():
            if slug in slugs:
                return family
        return None

    def cancel(self, partner, site_id, form):
        with self.lock:
            site = self.find_site(site_id)
            if site.get("cancel_fails"):
                raise ApiError(400, "invalid_input", "Unable to delete subscription")

            if form.get("cancel-all") in ("true", "1"):
                mine = [p for p in site["products"] if p.get("partner") == partner["id"]]
                site["products"] = [p for p in site["products"] if p not in mine]
                answer = {"success": bool(mine)}
                if mine:
                    answer["activations"] = [p["slug"] for p in mine if not p.get("pending")]
                    answer["pending_activations"] = [p["slug"] for p in mine if p.get("pending")]
                return 200, answer

            slug = form.get("plan")
            if slug:
                targets = [p for p in site["products"] if p["slug"] == slug]
            else:
                targets = [p for p in site["products"]
                           if self.family_of(p["slug"]) == "jetpack-plans"]
            if not targets:
                return 200, {"success": False}

            product = targets[0]
            if not product.get("partner"):
                raise ApiError(400, "not_jps_plan",
                               "The plan for this site was not provisioned by Jetpack Start")
            if product["partner"] != partner["id"]:
                raise ApiError(403, "incorrect_partner_key", "Subscriptions can only be "
                               "cancelled by the oAuth client that created them")
            site["products"].remove(product)
            return 200, {"success": True}

    def status(self, partner, site_id):
        with self.lock:
            if partner.get("disabled"):
                raise ApiError(400, "partner_key_disabled", "This partner key is disabled.")
            site = self.find_site(site_id)
            if any(p.get("test_key") for p in site["products"]):
                raise ApiError(400, "status_unavailable",
                               "Status is not available for sites provisioned with a test key.")
            products = [{"slug": p["slug"],
                         "is_provisioned_by_partner": bool(p.get("partner")),
                         "is_provisioned_by_calling_partner": p.get("partner") == partner["id"],
                         "is_pending": bool(p.get("pending"))} for p in site["products"]]
            return 200, {"blog": {"is_connected": bool(site.get("connected")),
                                  "has_backups_credentials": bool(site.get("ssh_set"))},
                         "products": products}

    def provision(self, partner, form):
        with self.lock:
            if partner.get("disabled"):
                raise ApiError(400, "partner_key_disabled", "This partner key is disabled.")
            siteurl = form.get("siteurl", "")
            if not siteurl:
                raise ApiError(400, "invalid_siteurl", "A siteurl is required.")
            local_user = form.get("local_user") or form.get("local_username")
            if not local_user:
                raise ApiError(400, "invalid_local_user", "A local_user is required.")
            slug = form.get("plan") or "free"
            family = self.family_of(slug)
            if family is None:
                raise ApiError(400, "invalid_plan", "The plan %s is not valid." % slug)

            site = self._site_for_url(siteurl)
            if "://" not in siteurl or not site.get("jetpack_active") or site.get("safe_mode"):
                raise ApiError(400, "method_not_found",
                               "remoteRegister failed: Jetpack could not be reached at %s"
                               % siteurl)
            if site.get("unreachable"):
                raise ApiError(400, "site_inaccessible", "WordPress.com could not reach the site.")
            if site.get("tokens_stale"):
                if form.get("force_register") not in ("true", "1"):
                    raise ApiError(400, "method_not_found",
                                   "remoteProvision failed: the site's tokens do not match")
                site["tokens_stale"] = False
            if str(local_user) not in [str(u) for u in site["users"]]:
                raise ApiError(400, "input_error", "Valid user is required")

            self._place_product(partner, site, slug, family)

            answer = {"success": True, "auth_required": not site.get("connected"),
                      "next_url": "https://wordpress.com/jetpack/connect?site=%s" % site["id"]}
            if site.get("unresolvable"):
                answer["next_url"] = ""
            if form.get("ssh_user"):
                site["ssh_set"] = True
                answer["ssh_set"] = True
            if form.get("ftp_user"):
                answer["ftp_set"] = True
            if form.get("wpcom_user_id"):
                answer["access_token"] = site.get("owner_token") or \
                    "owner_" + secrets.token_urlsafe(16)
            return 200, answer

    def upgrade_paths(self, partner, site_id):
        """Per family, the slugs above what the site holds that its plan does not include."""
        del partner
        with self.lock:
            site = self.find_site(site_id)
            held = [p["slug"] for p in site["products"]]
            included = set()
            for slug in held:
                included |= INCLUDED_IN.get(slug, set())
            paths = {}
            for family, slugs in self.catalogue.items():
                ranks = [slugs.index(slug) for slug in held if slug in slugs]
                floor = max(ranks) if ranks else -1
                paths[family] = [slug for slug in slugs[floor + 1:] if slug not in included]
            return 200, paths

    def _site_for_url(self, siteurl):
        # Host names are case-insensitive on the web; paths are matched exactly.
        def key(url):
            host, _slash, path = url.split("://", 1)[-1].rstrip("/").partition("/")
            return host.lower(), path

        wanted = key(siteurl)
        for site in self.sites.values():
            if key(site["siteurl"]) == wanted:
                return site
        raise ApiError(400, "site_inaccessible", "WordPress.com could not reach %s" % siteurl)

    def _place_product(self, partner, site, slug, family):
        ranks = self.catalogue[family]
        for product in list(site["products"]):
            if family != "jetpack-plans" and slug in INCLUDED_IN.get(product["slug"], ()):
                raise ApiError(400, "plan_includes_product",
                               "The site's plan already includes %s." % slug)
            if self.family_of(product["slug"]) != family:
                continue
            if ranks.index(product["slug"]) > ranks.index(slug):
                raise ApiError(400, "plan_downgrade_disallowed",
                               "The site has a higher plan; cancel it before a downgrade.")
            site["products"].remove(product)

        limit = partner.get("activation_limits", {}).get(slug)
        if limit is not None:
            if limit <= 0:
                raise ApiError(400, "activation_limit_reached",
                               "No activations left for %s on this partner key." % slug)
            partner["activation_limits"][slug] = limit - 1
        site["products"].append({"slug": slug, "partner": partner["id"],
                                 "pending": bool(site.get("unresolvable"))
                                 or not site.get("connected"),
                                 "test_key": bool(partner.get("test_key"))})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A reused connection otherwise waits for delayed ACKs on every answer.
    disable_nagle_algorithm = True
    server_version = "JetpackPartnerSandbox/1"
    sandbox: Sandbox = None

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the default stderr log; the request log is kept in memory."""

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""

        if parsed.path.startswith("/_sandbox/"):
            self._control(method, parsed.path, raw)
            return

        form = self._form(raw)
        token = (self.headers.get("Authorization") or "").partition("Bearer ")[2].strip()
        call, site_id = self._route(method, parsed.path)
        entry = {"time": time.time(), "method": method, "path": parsed.path, "call": call,
                 "site": site_id, "query": query,
                 "form": {k: ("<secret>" if k in SECRET_FIELDS else v) for k, v in form.items()},
                 "token": self.sandbox.token_labels.get(token, "unknown" if token else None)}

        fault = self.sandbox.take_fault(call, site_id)
        entry["fault"] = fault.get("kind") if fault else None
        self.sandbox.record(entry)
        self.sandbox.count(call)

        delay = self.sandbox.latency + (float(fault.get("delay_ms", 0)) / 1000 if fault else 0)
        if delay:
            time.sleep(delay)

        def produce():
            try:
                status, body = self._dispatch(call, method, site_id, form, token)
            except ApiError as exc:
                status, body = exc.status, {"error": exc.code, "message": exc.message}
            entry["status"] = status
            if isinstance(body, dict):
                entry["error"] = body.get("error")
                entry["success"] = body.get("success")
            return status, body

        if fault and self._apply_fault(fault, token, form, produce):
            entry.setdefault("status", "fault")
            return

        status, body = produce()
        self._answer(status, body, query)

    @staticmethod
    def _form(raw):
        try:
            return dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return {}

    @staticmethod
    def _route(method, path):
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/oauth2/token":
            return "token", None
        if method == "POST" and path == "/rest/v1.3/jpphp/provision":
            return "provision", None
        if len(parts) == 5 and parts[:3] == ["rest", "v1.3", "jpphp"] \
                and parts[4] == "partner-cancel" and method == "POST":
            return "cancel", urllib.parse.unquote(parts[3])
        if len(parts) == 5 and parts[:3] == ["rest", "v1.4", "jpphp"] \
                and parts[4] == "status" and method == "GET":
            return "status", urllib.parse.unquote(parts[3])
        if len(parts) == 5 and parts[:3] == ["rest", "v1.3", "jpphp"] \
                and parts[4] == "upgrade-paths" and method == "GET":
            return "upgrade_paths", urllib.parse.unquote(parts[3])
        return "unknown", None

    def _dispatch(self, call, method, site_id, form, token):
        if call == "token":
            return self.sandbox.token(form)
        if call == "unknown":
            return 404, "<html><body><h1>404 Not Found</h1></body></html>"
        partner = self.sandbox.partner_for(token)
        if call == "cancel":
            return self.sandbox.cancel(partner, site_id, form)
        if call == "status":
            return self.sandbox.status(partner, site_id)
        if call == "upgrade_paths":
            return self.sandbox.upgrade_paths(partner, site_id)
        return self.sandbox.provision(partner, form)

    def _apply_fault(self, fault, token, form, produce):
        """Act out a fault. True when it replaced the answer.

        ``http_error`` and ``truncated`` stand for a proxy that answers in the API's place,
        so the call itself never runs; with ``"apply": true``, ``truncated`` and ``drop``
        run it first and lose its answer on the way back. ``slow_body`` always runs the
        call and then dribbles its real answer, ``byte_delay_ms`` per byte.
        """
        kind = fault.get("kind")
        if kind == "http_error":
            status = int(fault.get("status", 502))
            title = "%d %s" % (status, self.responses.get(status, ("Error",))[0])
            html = ("<!DOCTYPE html>\n<html><head><title>%s</title></head><body><h1>%s</h1>"
                    "<hr><center>nginx</center></body></html>" % (title, title))
            headers = {}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            elif fault.get("retry_after_date") is not None:
                headers["Retry-After"] = email.utils.formatdate(
                    time.time() + float(fault["retry_after_date"]), usegmt=True)
            self._send(status, html.encode(), "text/html", headers)
            return True
        if kind == "drop":
            if fault.get("apply"):
                produce()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if kind == "truncated":
            payload = b'{"success": tr'
            if fault.get("apply"):
                payload = json.dumps(produce()[1]).encode()[:-3]
            # The length promises more than is sent, then the connection goes.
            lines = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
                    "Content-Length: %d\r\n\r\n" % (len(payload) + 3)
            self.wfile.write(lines.encode() + payload)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if kind == "revoke_token":
            with self.sandbox.lock:
                if token in self.sandbox.tokens:
                    self.sandbox.tokens[token]["revoked"] = True
            return False
        if kind == "echo_secrets":
            # A misbehaving server that quotes the request back, credentials included.
            quote = urllib.parse.quote_plus
            quoted = ["Authorization: Bearer %s (%s)" % (token, quote(token))]
            for name in sorted(SECRET_FIELDS & set(form)):
                quoted.append("%s=%s (%s)" % (name, form[name], quote(form[name])))
            text = "bad request: " + "; ".join(quoted)
            body = json.dumps({"error": "invalid_request", "message": text,
                               "request": {"headers": {"Authorization": "Bearer " + token},
                                           "form": form}})
            self._send(400, body.encode(), "application/json", {})
            return True
        if kind == "slow_body":
            status, answer = produce()
            body = json.dumps(answer).encode()
            self.wfile.write(("HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: %d\r\n\r\n" % (status, len(body))).encode())
            self.wfile.flush()
            try:
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(float(fault.get("byte_delay_ms", 100)) / 1000)
            except OSError:
                self.close_connection = True
            return True
        return False

    def _answer(self, status, body, query):
        if isinstance(body, str):
            self._send(status, body.encode(), "text/html", {})
            return
        if query.get("http_envelope") in ("true", "1"):
            body = {"code": status, "headers": [{"name": "Content-Type",
                                                 "value": "application/json"}], "body": body}
            status = 200
        indent = 2 if query.get("pretty") in ("true", "1") else None
        self._send(status, json.dumps(body, indent=indent).encode(), "application/json", {})

    def _send(self, status, payload, content_type, headers):
        lines = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("",))[0]),
                 "Content-Type: %s" % content_type,
                 "Content-Length: %d" % len(payload)]
        lines += ["%s: %s" % item for item in headers.items()]
        # One write per answer: split writes stall on Nagle and delayed ACK.
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)

    def _control(self, method, path, raw):
        name = path[len("/_sandbox/"):]
        if method == "GET" and name == "state":
            body = self.sandbox.snapshot()
        elif method == "GET" and name == "log":
            with self.sandbox.lock:
                body = {"requests": list(self.sandbox.log)}
        elif method == "GET" and name == "stats":
            with self.sandbox.lock:
                body = {"counters": dict(self.sandbox.counters), "requests": len(self.sandbox.log)}
        elif method == "POST" and name == "reset":
            self.sandbox.reset()
            body = {"reset": True}
        elif method == "POST" and name == "faults":
            with self.sandbox.lock:
                self.sandbox.faults = json.loads(raw or b"[]")
            body = {"faults": len(self.sandbox.faults)}
        elif method == "POST" and name == "latency":
            with self.sandbox.lock:
                self.sandbox.latency = float(json.loads(raw)["latency_ms"]) / 1000.0
            body = {"latency_ms": self.sandbox.latency * 1000}
        else:
            self._send(404, b'{"error": "unknown_control"}', "application/json", {})
            return
        self._send(200, json.dumps(body).encode(), "application/json", {})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def serve(data_path, host, port, ready_file=None):
    Handler.sandbox = Sandbox(data_path)
    server = Server((host, port), Handler)
    url = "http://%s:%d" % (host, server.server_address[1])
    if ready_file:
        with open(ready_file + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(url + "\n")
        os.replace(ready_file + ".tmp", ready_file)
    signal.signal(signal.SIGTERM, lambda *args: threading.Thread(target=server.shutdown).start())
    print(url, flush=True)
    server.serve_forever()


def start(data_path, host, port, state_dir):
    os.makedirs(state_dir, exist_ok=True)
    url_file = os.path.join(state_dir, "url")
    stop(state_dir, quiet=True)
    if os.path.exists(url_file):
        os.remove(url_file)

    with open(os.path.join(state_dir, "server.out"), "w", encoding="utf-8") as out:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, os.path.abspath(__file__), "serve", "--data", data_path,
             "--host", host, "--port", str(port), "--ready-file", url_file],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(state_dir, "pid"), "w", encoding="utf-8") as handle:
        handle.write(str(process.pid))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(url_file):
            with open(url_file, encoding="utf-8") as handle:
                print(handle.read().strip())
            return 0
        if process.poll() is not None:
            break
        time.sleep(0.05)
    with open(os.path.join(state_dir, "server.out"), encoding="utf-8") as handle:
        sys.stderr.write("sandbox did not start:\n" + handle.read())
    return 1


def stop(state_dir, quiet=False):
    pid_file = os.path.join(state_dir, "pid")
    try:
        with open(pid_file, encoding="utf-8") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        if not quiet:
            print("no sandbox running from %s" % state_dir)
        return 0

    try:
        os.kill(pid, signal.SIGTERM)
        for _attempt in range(100):
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.remove(pid_file)
    if not quiet:
        print("sandbox stopped")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "start"):
        command = commands.add_parser(name)
        command.add_argument("--data", required=True, help="JSON file of partners and sites")
        command.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
        command.add_argument("--port", type=int, default=0, help="0 picks a free port")
        if name == "serve":
            command.add_argument("--ready-file", help="write the URL here once listening")
    commands.add_parser("stop")
    for name in ("start", "stop"):
        commands.choices[name].add_argument("--state-dir", default=".sandbox",
                                            help="where the pid and URL files go")
    args = parser.parse_args(argv)

    if args.command in ("serve", "start") and args.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error("--host must be a loopback address")
    if args.command == "serve":
        serve(os.path.abspath(args.data), args.host, args.port, args.ready_file)
        return 0
    if args.command == "start":
        return start(os.path.abspath(args.data), args.host, args.port, args.state_dir)
    return stop(args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
