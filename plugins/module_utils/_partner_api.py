# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the wpcom.jetpack collection. Its API may change
# in any release without notice; do not import it from other collections.

"""One client for the WordPress.com Jetpack partner API, shared by every plugin.

The rules it follows are written down in the collection's API contract (API.md):
section 1 for the token, 2 for site identifiers, 3 to 5 for the calls, 7 for the shape
of answers. The client keeps one HTTP session, so many calls from one process (the bulk
decommission runs thousands from a thread pool) reuse a bounded set of connections.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import random
import re
import threading
import time
import traceback
from urllib.parse import quote, unquote, urlsplit

try:
    import requests
    import urllib3
    from requests.adapters import HTTPAdapter

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

try:
    import idna

    HAS_IDNA = True
except ImportError:
    HAS_IDNA = False


DEFAULT_API_URL = "https://public-api.wordpress.com"
DEFAULT_TIMEOUT = 60
DEFAULT_RETRIES = 5
DEFAULT_RETRY_BUDGET = 120
REDACTED = "********"

# API.md section 6, lowest first within each family.
PLAN_FAMILIES = {
    "jetpack-plans": ["free", "personal", "premium", "professional"],
    "jetpack-backup": ["jetpack-backup-daily", "jetpack-backup-realtime"],
    "jetpack-scan": ["jetpack-scan"],
    "jetpack-anti-spam": ["jetpack-anti-spam"],
}
KNOWN_SLUGS = frozenset(slug for slugs in PLAN_FAMILIES.values() for slug in slugs)

# Connection failures and these statuses are worth another try (API.md section 7).
RETRY_STATUSES = frozenset([429, 500, 502, 503, 504])

# Backoff: the first wait is from 0.25 to 0.5 s, and each step doubles up to 30 s. No wait,
# a server's Retry-After included, is longer than a minute.
BACKOFF_BASE = 0.5
MAX_BACKOFF = 30.0
MAX_WAIT = 60.0

# A provision answered by these may still have been carried out (API.md section 7).
LOST_ANSWER_STATUSES = frozenset([500, 502, 504])

# Error codes that mean the bearer token itself is no good (API.md section 1, policy).
TOKEN_ERROR_CODES = frozenset(["invalid_token", "authorization_required", "token_expired"])

_SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ASCII_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
# str.isdigit() also accepts digits of other scripts and superscripts, which int() refuses.
_ASCII_DIGITS = re.compile(r"[0-9]+\Z")


class SiteAddressError(ValueError):
    """A site address that this collection refuses to turn into an identifier."""


class PartnerApiError(Exception):
    """An API call that did not succeed, described without any secret."""

    def __init__(self, call, message, status=None, error_code=None, api_message=None):
        super().__init__(message)
        self.call = call
        self.message = message
        self.status = status
        self.error_code = error_code
        self.api_message = api_message
        # Set by the client for failures another try may cure: the answer was lost, or
        # the server said to come back later.
        self.retryable = False
        # Set when the request may have been carried out although its answer never came.
        self.may_have_applied = False
        # Seconds the server asked the client to wait (Retry-After), when it did.
        self.retry_after = None

    @property
    def is_token_error(self):
        return self.error_code in TOKEN_ERROR_CODES or self.status == 401

    def as_result(self):
        """The fields a module puts in its result for this error."""
        return {"error_code": self.error_code, "http_status": self.status}


def family_of(slug):
    """Name of the upgrade family of a known slug, or None."""
    for family, slugs in PLAN_FAMILIES.items():
        if slug in slugs:
            return family
    return None


def check_plan_slug(slug):
    """Return an error text for a slug that cannot be one, or None.

    Unknown but well-formed slugs pass: the server decides (API.md section 6).
    """
    if not _SLUG_PATTERN.match(slug or ""):
        return "is not a plan or product slug (lower-case letters, digits, '-' and '_')"
    return None


def site_identifier(address):
    """Turn a site address or blog ID into the ``{site}`` part of an API path.

    API.md section 2, with this collection's policy: the scheme and trailing slashes go,
    the host is lower-cased and IDNA-encoded, the port and the case of the path stay,
    ``www.`` stays, and anything that could make one address name another site is refused.
    """
    if not isinstance(address, str):
        raise SiteAddressError("must be a string, got %s" % type(address).__name__)

    if address == "":
        raise SiteAddressError("is empty")

    if re.search(r"\s", address):
        raise SiteAddressError("contains white space")

    if _ASCII_DIGITS.match(address):
        return address

    # Checked first, so that no part of a password is ever quoted in another complaint.
    if "@" in address:
        raise SiteAddressError("contains '@', which reads as user info; never put "
                               "credentials in a site address")

    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:/(?!/)", address):
        raise SiteAddressError("has a malformed scheme; write https://")

    rest = address
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", rest)
    if scheme_match:
        if scheme_match.group(1).lower() not in ("http", "https"):
            raise SiteAddressError("has scheme '%s'; only http:// or https://"
                                   % scheme_match.group(1))
        rest = rest[scheme_match.end():]
    elif "://" in rest:
        raise SiteAddressError("has a malformed scheme")

    if "?" in rest:
        raise SiteAddressError("has a query string; give the host and path only")

    if "#" in rest:
        raise SiteAddressError("has a fragment; give the host and path only")

    authority, slash, path = rest.partition("/")
    host, port = _split_port(authority)
    host = _normalise_host(host)
    if _ASCII_DIGITS.match(host):
        raise SiteAddressError("has an all-digit host, which would read as a blog ID")

    identifier = host if port is None else "%s:%s" % (host, port)
    segments = path.rstrip("/").split("/") if slash and path.strip("/") else []
    for segment in segments:
        if ":" in segment or re.search(r"%(2[fF]|3[aA])", segment):
            raise SiteAddressError("has ':' or '/' written into a path segment (plain or "
                                   "percent-encoded); the identifier reserves them")
        if unquote(segment) in (".", ".."):
            raise SiteAddressError("has a '.' or '..' segment in its path")
        if segment == "":
            raise SiteAddressError("has an empty path segment ('//')")

    return "::".join([identifier] + segments)


def _split_port(authority):
    if authority.startswith("["):
        raise SiteAddressError("has an IPv6 literal host, which a site identifier cannot carry")

    host, colon, port = authority.partition(":")
    if not colon:
        return host, None

    if not _ASCII_DIGITS.match(port) or not 0 < int(port) < 65536:
        raise SiteAddressError("has port '%s'; a port is a number from 1 to 65535" % port)
    return host, str(int(port))


def _normalise_host(host):
    if host == "":
        raise SiteAddressError("has an empty host")

    if host.isascii():
        host = host.lower()
        labels = host.split(".")
        if any(not _ASCII_LABEL.match(label) for label in labels):
            raise SiteAddressError("has host '%s', which is not a valid host name" % host)
        if host.startswith("xn--") or ".xn--" in host:
            _idna_encode(host)
        return host

    return _idna_encode(host)


def _idna_encode(host):
    try:
        if HAS_IDNA:
            return idna.encode(host, uts46=True).decode("ascii").lower()
        return host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError) as exc:
        raise SiteAddressError("has host '%s', which is not a valid IDNA name (%s)" % (host, exc))


def safe_address(address):
    """The address as it may be shown: everything up to its last '@' is masked."""
    text = str(address)
    if "@" in text:
        text = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", r"\1" + REDACTED + "@", text)
    return text


def is_loopback_host(host):
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_api_url(api_url):
    """Return an error text for an unusable ``api_url``, or None."""
    try:
        parts = urlsplit(api_url)
        port = parts.port
    except ValueError as exc:
        return "is not a URL (%s)" % exc

    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an https:// URL such as %s" % DEFAULT_API_URL
    if parts.username or parts.password:
        return "must not carry user info"
    if parts.query or parts.fragment:
        return "must not have a query string or fragment"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "must use https:// unless its host is a loopback address (got http://%s)" % (
            parts.hostname if port is None else "%s:%s" % (parts.hostname, port)
        )
    return None


def read_answer(status, body, headers=None):
    """Decode an answer into ``(status, data, headers)``.

    Reads an ``http_envelope`` wrapper wherever it appears (API.md section 7) and gives
    back the real status and headers. ``data`` is None when the body is not JSON.
    """
    headers = dict(headers or {})
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None

    if isinstance(data, dict) and "code" in data and "body" in data and "headers" in data:
        try:
            status = int(data["code"])
        except (TypeError, ValueError):
            return status, data, headers
        for item in data.get("headers") or []:
            if isinstance(item, dict) and "name" in item:
                headers[str(item["name"])] = str(item.get("value", ""))
        data = data["body"]
    return status, data, headers


def error_in(data):
    """The ``(code, message)`` of an error answer in either shape, or ``(None, None)``."""
    if not isinstance(data, dict):
        return None, None

    code = data.get("error") if isinstance(data.get("error"), str) else None
    code = code or data.get("error_code")
    message = data.get("message") or data.get("error_description") or data.get("error_message")
    if code:
        return str(code), str(message) if message else None
    return None, None


def retry_after_seconds(value, now=None):
    """Seconds to wait for a ``Retry-After`` header in seconds or as an HTTP date."""
    if value is None:
        return None

    value = str(value).strip()
    if _ASCII_DIGITS.match(value):
        return float(value)

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Redactor:
    """Replaces every known secret in text about to be shown.

    A server or proxy that quotes a request back may encode any part of it, so each
    character of a secret is matched as itself, as its %XX escape in either case, as
    ``+`` for a space, and as ``\\/`` for a ``/`` in JSON text.
    """

    def __init__(self):
        self._secrets = set()
        self._pattern = None
        self._lock = threading.Lock()

    def add(self, secret):
        if not secret or len(str(secret)) < 4:
            return
        with self._lock:
            self._secrets.add(str(secret))
            self._pattern = re.compile("|".join(
                _any_encoding(item) for item in sorted(self._secrets, key=len, reverse=True)))

    def __call__(self, text):
        if text is None:
            return None
        text = str(text)
        with self._lock:
            pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern else text


def _any_encoding(secret):
    parts = []
    for char in secret:
        escaped = "".join("%" + "".join("[%s%s]" % (digit.lower(), digit)
                                        for digit in "%02X" % byte)
                          for byte in char.encode("utf-8"))
        forms = [re.escape(char), escaped]
        if char == " ":
            forms.append(r"\+")
        if char == "/":
            forms.append(r"\\/")
        parts.append("(?:%s)" % "|".join(forms))
    return "".join(parts)


class _BodyTimeout(Exception):
    """The answer's body did not arrive whole within the call's timeout."""


def _is_timeout(exc):
    if isinstance(exc, requests.Timeout):
        return True
    if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
        return True
    # requests wraps a read timeout met while streaming a body in a ConnectionError.
    inner = exc.args[0] if isinstance(exc, requests.ConnectionError) and exc.args else None
    return isinstance(inner, urllib3.exceptions.ReadTimeoutError)


def _never_sent(exc):
    """True when the request surely did not reach the server: no connection was made."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout,
                        urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
        return True
    inner = exc.args[0] if isinstance(exc, requests.ConnectionError) and exc.args else None
    reason = getattr(inner, "reason", None)
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError))


def _body_kind(body, headers):
    """A few words on what came back instead of JSON, without quoting it."""
    content_type = ""
    for name, value in headers.items():
        if str(name).lower() == "content-type":
            content_type = str(value).split(";", maxsplit=1)[0].strip()
    start = body[:256].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")) or content_type == "text/html":
        return "an HTML page, as a proxy or a wrong api_url sends"
    if start.startswith((b"{", b"[")):
        return "JSON cut short"
    return "%d bytes of %s" % (len(body), content_type or "unknown type")


class PartnerClient:
    """The partner API over one ``requests`` session.

    Thread-safe for the calls below: the bulk decommission shares one instance between
    its workers, and the connection pool is sized to that number of workers.
    """

    def __init__(self, api_url=DEFAULT_API_URL, access_token=None, timeout=DEFAULT_TIMEOUT,
                 validate_certs=True, retries=DEFAULT_RETRIES, retry_budget=DEFAULT_RETRY_BUDGET,
                 pool_size=10, log=None, sleep=time.sleep):
        if not HAS_REQUESTS:
            raise RuntimeError("the Python library 'requests' is required")

        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.retry_budget = retry_budget
        self.redact = Redactor()
        self._log = log or (lambda message: None)
        self._sleep = sleep
        self._random = random.Random()
        self._token = None
        self.set_token(access_token)

        self.session = requests.Session()
        self.session.verify = validate_certs
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = "wpcom.jetpack-ansible"

    def set_token(self, access_token):
        self._token = access_token
        self.redact.add(access_token)

    def close(self):
        self.session.close()

    # --- the calls -----------------------------------------------------------------

    def request_token(self, partner_id, partner_secret):
        """Exchange partner credentials for an access token (API.md section 1)."""
        partner_id = str(partner_id).strip()
        partner_secret = str(partner_secret).strip()
        self.redact.add(partner_secret)
        form = {
            "grant_type": "client_credentials",
            "scope": "jetpack-partner",
            "client_id": partner_id,
            "client_secret": partner_secret,
        }
        data = self._call("POST", "/oauth2/token", "token request for partner %s" % partner_id,
                          form=form, authorised=False)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise PartnerApiError("token request", "token request for partner %s: the answer "
                                  "carried no access_token" % partner_id)
        self.redact.add(token)
        return token

    def cancel(self, site_id, plan=None, cancel_all=False, lost=None):
        """Cancel a plan or product (API.md section 4). Returns the decoded answer.

        ``lost``, a list, collects the failures of attempts that may have cancelled the
        plan although their answer never arrived.
        """
        form = {}
        if plan:
            form["plan"] = plan
        if cancel_all:
            form["cancel-all"] = "true"
        return self._call("POST", "/rest/v1.3/jpphp/%s/partner-cancel" % quote(site_id, safe=":"),
                          "cancel %s" % site_id, form=form, lost=lost)

    def status(self, site_id):
        """Read what a site carries (API.md section 5)."""
        return self._call("GET", "/rest/v1.4/jpphp/%s/status" % quote(site_id, safe=":"),
                          "status %s" % site_id)

    def site_status(self, site_id):
        """The status in the shape of ``parse_status``; an unknown site reads as empty.

        WordPress.com answers ``invalid_blog`` for a site it does not know, which carries
        nothing: every decision built on status treats it so.
        """
        try:
            return parse_status(self.status(site_id))
        except PartnerApiError as exc:
            if exc.error_code != "invalid_blog":
                raise
            return empty_status()

    def provision(self, form, retry=True):
        """Provision a plan (API.md section 3). ``form`` holds the fields as sent."""
        for key in ("ssh_pass", "ssh_private_key", "ftp_pass"):
            self.redact.add(form.get(key))
        form = dict(form)
        path = "/rest/v1.3/jpphp/provision"
        tracking = form.pop("partner-tracking-id", None)
        if tracking:
            # A query parameter, not a form field (API.md section 3).
            path += "?partner-tracking-id=" + quote(str(tracking), safe="")
        return self._call("POST", path, "provision %s" % form.get("siteurl"), form=form,
                          retry=retry)

    def upgrade_paths(self, site_id):
        """What can still be provisioned on a site, by family (API.md section 8)."""
        return self._call("GET", "/rest/v1.3/jpphp/%s/upgrade-paths" % quote(site_id, safe=":"),
                          "upgrade-paths %s" % site_id)

    def provision_once(self, form, site_id):
        """Provision without ever provisioning twice by accident.

        A provision whose answer was lost (connection error, HTTP 500, 502 or 504) may
        have been carried out all the same, so instead of sending it again blindly, the
        site's status is read first: if the plan is there for this partner, the lost
        answer is replaced by one marked ``recovered``; if not, the provision is sent
        again. 429 and 503 mean the request was not handled and are simply retried.
        """
        slug = form.get("plan")
        spent = 0.0
        attempt = 0
        while True:
            attempt += 1
            began = time.monotonic()
            try:
                return self.provision(form, retry=False)
            except PartnerApiError as exc:
                error = exc
            spent += time.monotonic() - began

            if not error.retryable:
                raise error
            # Checked even after the last try, so a plan that did arrive is never
            # reported as a failure.
            if error.may_have_applied:
                recovered = self._provision_recovered(error, site_id, slug)
                if recovered:
                    return recovered

            if attempt > self.retries:
                raise self._gave_up(error, attempt)
            wait = self._next_wait(attempt, error.retry_after)
            if spent + wait > self.retry_budget:
                raise self._gave_up(error, attempt, budget=True)
            self._log("%s: attempt %d failed (%s); retrying in %.1f s"
                      % (error.call, attempt, error.error_code or error.status, wait))
            self._sleep(wait)
            spent += wait

    def _provision_recovered(self, error, site_id, slug):
        """The answer to give when a provision whose answer was lost did arrive, or None."""
        try:
            status = self.site_status(site_id)
        except PartnerApiError as status_error:
            error.message = "%s; the plan may have been provisioned all the same, and the " \
                            "site's status could not be read to tell (%s)" \
                            % (error.message, status_error.message)
            error.args = (error.message,)
            error.retryable = False
            raise error from None

        held = [p for p in status["products"]
                if p["slug"] == slug and p["provisioned_by_calling_partner"]]
        if not held:
            return None
        self._log("%s: the answer was lost but the site carries %s: not sent again"
                  % (error.call, slug))
        return {"success": True, "recovered": True, "auth_required": None,
                "next_url": None, "pending": held[0]["pending"]}

    def _next_wait(self, attempt, retry_after):
        """Seconds to wait before try ``attempt + 1``: what the server asked, or a backoff."""
        if retry_after is None:
            # Equal jitter: the wait never drops below half its step, so the steps grow.
            step = min(MAX_BACKOFF, BACKOFF_BASE * 2 ** (attempt - 1))
            retry_after = step / 2 + self._random.uniform(0, step / 2)
        return min(retry_after, MAX_WAIT)

    # --- transport -----------------------------------------------------------------

    def _call(self, method, path, call, form=None, authorised=True, retry=True, lost=None):
        """Send one call, retrying what is safe to retry, and return its decoded answer.

        The budget counts the time spent in attempts plus the waits asked of ``sleep``, so
        a test that fakes ``sleep`` sees the decisions a real run would make.
        """
        url = self.api_url + path
        headers = {"Accept": "application/json"}
        if authorised:
            if not self._token:
                raise PartnerApiError(call, "%s: no access token was given" % call)
            headers["Authorization"] = "Bearer %s" % self._token

        spent = 0.0
        attempt = 0
        while True:
            attempt += 1
            began = time.monotonic()
            result, error, wait = self._attempt(method, url, call, form, headers)
            spent += time.monotonic() - began
            if error is None:
                return result

            if not error.retryable:
                raise error
            if lost is not None and error.may_have_applied:
                lost.append(error.error_code or error.status)
            if not retry or attempt > self.retries:
                raise self._gave_up(error, attempt)

            wait = self._next_wait(attempt, wait)
            if spent + wait > self.retry_budget:
                raise self._gave_up(error, attempt, budget=True)

            self._log("%s: attempt %d failed (%s); retrying in %.1f s"
                      % (call, attempt, error.error_code or error.status, wait))
            self._sleep(wait)
            spent += wait

    def _attempt(self, method, url, call, form, headers):
        """One try: ``(answer, None, None)`` or ``(None, error, retry_after_or_None)``."""
        deadline = time.monotonic() + self.timeout
        try:
            response = self.session.request(method, url, data=form, headers=headers,
                                            timeout=self.timeout, allow_redirects=False,
                                            stream=True, verify=self.session.verify)
            try:
                body = self._read_body(response, deadline)
            finally:
                response.close()
        except _BodyTimeout:
            return None, self._lost(call, "no whole answer within %s s" % self.timeout,
                                    "timeout"), None
        except requests.exceptions.SSLError as exc:
            return None, PartnerApiError(call, "%s: %s" % (call, self._describe_exception(exc)),
                                         error_code="tls_error"), None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            code = "timeout" if _is_timeout(exc) else "connection_error"
            error = self._lost(call, self._describe_exception(exc), code)
            error.may_have_applied = not _never_sent(exc)
            return None, error, None

        result = self._decode(call, response, body)
        if not isinstance(result, PartnerApiError):
            return result, None, None
        if result.status in RETRY_STATUSES:
            result.retryable = True
            result.may_have_applied = result.status in LOST_ANSWER_STATUSES
            return None, result, result.retry_after
        if result.retryable:
            result.may_have_applied = True
        return None, result, None

    @staticmethod
    def _lost(call, reason, code):
        error = PartnerApiError(call, "%s: %s" % (call, reason), error_code=code)
        error.retryable = True
        error.may_have_applied = True
        return error

    @staticmethod
    def _read_body(response, deadline):
        """The whole body, read against one deadline.

        ``requests`` restarts its read timeout on every byte, so a server that dribbles
        its answer would otherwise hold a call far longer than ``timeout``.
        """
        raw = response.raw
        read = getattr(raw, "read1", None) or raw.read
        chunks = []
        while True:
            if time.monotonic() > deadline:
                raise _BodyTimeout()
            chunk = read(65536, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def _gave_up(self, error, attempts, budget=False):
        if attempts > 1 or budget:
            if budget:
                why = "the retry budget of %s s would be passed" % self.retry_budget
            else:
                why = "%d attempts" % attempts
            error.message = "%s (gave up after %d attempt(s): %s)" % (error.message, attempts,
                                                                      why)
            error.args = (error.message,)
        return error

    def _describe_exception(self, exc):
        # Only class names and fixed texts: an exception's own text can carry a URL, a
        # header or a form field echoed back by a proxy.
        if _is_timeout(exc):
            return "no answer within %s s" % self.timeout
        if isinstance(exc, requests.exceptions.SSLError):
            return "TLS verification failed (%s); check the certificate of api_url, or set " \
                   "validate_certs=false only for a test server" % exc.__class__.__name__
        if isinstance(exc, (requests.ConnectionError, urllib3.exceptions.ProtocolError,
                            requests.exceptions.ChunkedEncodingError, OSError)):
            return "connection failed or was cut off before a whole answer arrived (%s)" \
                % exc.__class__.__name__
        return "request failed (%s)" % exc.__class__.__name__

    def _decode(self, call, response, body):
        """The decoded answer of a successful call, or a PartnerApiError describing it."""
        status, data, headers = read_answer(response.status_code, body, response.headers)
        result = self._interpret(call, status, data, headers, body)
        if isinstance(result, PartnerApiError):
            # From the envelope's headers when there is one (API.md section 7).
            asked = [value for name, value in headers.items() if name.lower() == "retry-after"]
            result.retry_after = retry_after_seconds(asked[0]) if asked else None
        return result

    def _interpret(self, call, status, data, headers, body):
        code, api_message = error_in(data)
        api_message = self.redact(api_message)

        if 300 <= status < 400:
            return PartnerApiError(call, "%s: HTTP %d redirect, which this client does not follow "
                                   "(the access token goes to api_url only); set api_url to "
                                   "the API's final address" % (call, status), status=status)
        if code:
            return PartnerApiError(call, self._error_text(call, status, code, api_message),
                                   status=status, error_code=code, api_message=api_message)
        if status >= 400 or data is None:
            if not body or not body.strip():
                shape = "an empty body"
            elif data is None:
                shape = "a body that is not JSON (%s)" % _body_kind(body, headers)
            else:
                shape = "no error code"
            text = "%s: HTTP %d with %s" % (call, status, shape)
            if status == 404 and data is None:
                text += "; a wrong api_url is the likely cause"
            elif status in (401, 403):
                text += "; the access token is invalid or revoked: get a new one with the " \
                        "wpcom.jetpack.jetpack_partner_token lookup"
            error = PartnerApiError(call, text, status=status,
                                    error_code="not_json" if data is None else None)
            # A 2xx whose body was cut short is an answer lost on the way: safe calls retry.
            error.retryable = status < 300
            return error
        return data

    @staticmethod
    def _error_text(call, status, code, api_message):
        text = "%s: HTTP %d %s" % (call, status, code)
        if api_message:
            text += " (%s)" % api_message
        if code in TOKEN_ERROR_CODES or status == 401:
            text += "; the access token is invalid or revoked: get a new one with the " \
                    "wpcom.jetpack.jetpack_partner_token lookup"
        return text


# --- cancel outcomes, shared by the single-site module and the bulk action -----------

CANCELLED = "cancelled"
ALREADY_GONE = "already_gone"
UNKNOWN_SITE = "unknown_site"
FAILED = "failed"

_CANCEL_FAILURE_ADVICE = {
    "incorrect_partner_key": "its plan was provisioned by another partner, and only that "
                             "partner can cancel it; the site still carries the plan",
    "invalid_scope": "the access token is not a Jetpack partner token; get one with the "
                     "wpcom.jetpack.jetpack_partner_token lookup",
    "invalid_input": "WordPress.com could not remove the subscription; the plan may still "
                     "be active; run again later or contact Jetpack partner support",
    "partner_key_disabled": "the partner key is disabled; contact Jetpack partner support",
}


def cancel_outcome(client, site_id, plan=None, cancel_all=False):
    """Cancel and classify the answer (API.md section 4) as a dict for a result.

    Keys: ``site_id``, ``outcome`` (cancelled, already_gone, unknown_site, failed),
    ``changed``, ``failed``, ``msg``, ``error_code``, and ``warning`` when there is one.
    """
    result = {"site_id": site_id, "error_code": None, "warning": None}
    lost = []
    try:
        answer = client.cancel(site_id, plan=plan, cancel_all=cancel_all, lost=lost)
    except PartnerApiError as exc:
        return dict(result, **classify_cancel_error(site_id, exc))

    if isinstance(answer, dict) and answer.get("success") is True:
        result.update(outcome=CANCELLED, changed=True, failed=False,
                      msg="cancelled the plan of %s" % site_id)
        for key in ("activations", "pending_activations"):
            if key in answer:
                result[key] = answer[key]
        return result

    if isinstance(answer, dict) and answer.get("success") is False and lost:
        # The attempt whose answer was lost found the plan and cancelled it: the retry
        # then finds nothing. Reporting "no change" would hide this run's own cancel.
        result.update(outcome=CANCELLED, changed=True, failed=False, answer_lost=True,
                      msg="the plan of %s is gone: an attempt whose answer was lost (%s) "
                          "cancelled it, and the retry found nothing left"
                          % (site_id, lost[0]))
        return result

    if isinstance(answer, dict) and answer.get("success") is False:
        result.update(outcome=ALREADY_GONE, changed=False, failed=False,
                      msg="%s has no plan to cancel" % site_id)
        return result

    result.update(outcome=FAILED, changed=False, failed=True, error_code="unexpected_answer",
                  msg="cancel %s: the answer had no 'success' field; the plan may or may not "
                      "be cancelled, run again to find out" % site_id)
    return result


def classify_cancel_error(site_id, exc):
    code = exc.error_code
    base = {"changed": False, "error_code": code, "http_status": exc.status}
    if code == "not_jps_plan":
        return dict(base, outcome=ALREADY_GONE, failed=False,
                    msg="%s has a plan that was not provisioned through the partner API; "
                        "nothing for this partner to cancel" % site_id)
    if code == "invalid_blog":
        warning = ("site '%s' is unknown to WordPress.com: nothing was cancelled. If the "
                   "address is mistyped, the real site still has its plan" % site_id)
        return dict(base, outcome=UNKNOWN_SITE, failed=False, msg=warning, warning=warning)

    advice = _CANCEL_FAILURE_ADVICE.get(code)
    if advice is None and exc.is_token_error:
        advice = "the access token is invalid or revoked; get a new one with the " \
                 "wpcom.jetpack.jetpack_partner_token lookup"
    if advice is None and exc.may_have_applied:
        advice = "the last answer was lost on the way, so the plan may or may not have been " \
                 "cancelled; run again to find out (a plan already gone then shows as no " \
                 "change)"
    if advice is None:
        # An answer nobody documented still has to tell the operator where the site stands.
        advice = "the cancel did not go through, so the site may still carry its plan; " \
                 "fix the cause the API names and run again (a plan already gone then " \
                 "shows as no change)"
    msg = "could not cancel the plan of %s: %s (%s)" % (site_id, advice, exc.message)
    return dict(base, outcome=FAILED, failed=True, msg=msg)


# --- status, plans and provisioning (API.md sections 3, 5, 6 and 8) ------------------

PLANS_FAMILY = "jetpack-plans"

# Provision outcomes of the single-site module.
PROVISIONED = "provisioned"
UPGRADED = "upgraded"
DOWNGRADED = "downgraded"
ALREADY_PRESENT = "already_present"
INCLUDED_IN_PLAN = "included_in_plan"


def rank_of(slug):
    """Position of a known slug in its family, lowest first; None for an unknown slug."""
    family = family_of(slug)
    return None if family is None else PLAN_FAMILIES[family].index(slug)


def empty_status():
    """The status of a site WordPress.com does not know yet: it carries nothing."""
    return {"known": False, "connected": False, "has_backups_credentials": False,
            "products": []}


def parse_status(data):
    """A v1.4 status answer (API.md section 5) in the collection's stable shape.

    ``known``, ``connected``, ``has_backups_credentials`` and ``products``, each product
    with ``slug``, ``family`` (None for a slug the collection does not know), ``pending``,
    ``provisioned_by_partner`` and ``provisioned_by_calling_partner``, in the API's order.
    The deprecated v1.3 product fields are read too, so either answer gives the same shape.
    """
    if not isinstance(data, dict) or not isinstance(data.get("products") or [], list):
        raise PartnerApiError("status", "status: the answer is not a JSON object with a list "
                              "of products", error_code="unexpected_answer")

    blog = data.get("blog") if isinstance(data.get("blog"), dict) else {}
    products = []
    for item in data.get("products") or []:
        slug = item.get("slug") or item.get("product") if isinstance(item, dict) else None
        if not slug:
            continue
        by_partner = item.get("is_provisioned_by_partner", item.get("is_partner_product"))
        pending = item.get("is_pending", item.get("has_pending_product"))
        products.append({
            "slug": str(slug),
            "family": family_of(str(slug)),
            "pending": bool(pending),
            "provisioned_by_partner": bool(by_partner),
            "provisioned_by_calling_partner": bool(item.get("is_provisioned_by_calling_partner")),
        })

    connected = blog.get("is_connected", data.get("is_connected"))
    credentials = blog.get("has_backups_credentials", data.get("has_backups_credentials"))
    return {"known": True, "connected": bool(connected),
            "has_backups_credentials": bool(credentials), "products": products}


def products_view(status):
    """What a diff shows of a site: its products, without the derived family."""
    keys = ("slug", "pending", "provisioned_by_partner", "provisioned_by_calling_partner")
    return [{key: product[key] for key in keys} for product in status["products"]]


def site_plan(status):
    """Slug of the plan (jetpack-plans family) a site carries, or None."""
    for product in status["products"]:
        if product["family"] == PLANS_FAMILY:
            return product["slug"]
    return None


def status_error_text(site_id, exc):
    """Why a status could not be read, and what to do about it."""
    if exc.error_code == "partner_key_disabled":
        return "status %s: the partner key is disabled; contact Jetpack partner support " \
               "(%s)" % (site_id, exc.message)
    if exc.error_code == "invalid_scope" or exc.is_token_error:
        return "status %s: the access token is not a valid partner token; get one with the " \
               "wpcom.jetpack.jetpack_partner_token lookup (%s)" % (site_id, exc.message)
    return ("cannot read the status of %s, so this module cannot tell what the site carries "
            "and sends nothing that changes it. Sites provisioned with a partner's non-billed "
            "test key have no status; manage those by hand. (%s)" % (site_id, exc.message))


def decide_provision(status, slug, allow_downgrade=False):
    """What provisioning ``slug`` on a site in ``status`` would do (API.md sections 3, 6).

    Returns a dict with ``action`` (none, provision, upgrade, downgrade, refuse),
    ``replaces`` (the product it takes the place of, or None) and ``msg``. A pending
    product counts as present. ``refuse`` means a real run would fail, for the reason in
    ``msg`` and the code in ``error_code``.
    """
    products = status["products"]
    for product in products:
        if product["slug"] != slug:
            continue
        if product["provisioned_by_calling_partner"]:
            state = "pending activation" if product["pending"] else "active"
            return {"action": "none", "replaces": None,
                    "msg": "%s is already provisioned by this partner (%s)" % (slug, state)}
        who = "another partner" if product["provisioned_by_partner"] \
            else "someone outside the partner API (bought directly, for example)"
        return {"action": "refuse", "replaces": None, "error_code": "held_elsewhere",
                "msg": "the site already carries %s, provisioned by %s; this partner cannot "
                       "take it over: its owner must cancel it first" % (slug, who)}

    family = family_of(slug)
    if family is None:
        return {"action": "provision", "replaces": None,
                "msg": "%s is not a slug this collection knows: the server decides" % slug}

    same_family = [p for p in products if p["family"] == family]
    if not same_family:
        return {"action": "provision", "replaces": None, "msg": "provision %s" % slug}

    current = max(same_family, key=lambda p: rank_of(p["slug"]))
    if rank_of(current["slug"]) < rank_of(slug):
        return {"action": "upgrade", "replaces": current,
                "msg": "upgrade %s to %s" % (current["slug"], slug)}

    if not allow_downgrade:
        return {"action": "refuse", "replaces": current,
                "error_code": "plan_downgrade_disallowed",
                "msg": "plan_downgrade_disallowed: the site has %s, higher than %s in the %s "
                       "family, and WordPress.com refuses a downgrade. The documented way is "
                       "to cancel %s, then provision %s: set allow_downgrade to true to do "
                       "that" % (current["slug"], slug, family, current["slug"], slug)}
    if not current["provisioned_by_calling_partner"]:
        return {"action": "refuse", "replaces": current, "error_code": "held_elsewhere",
                "msg": "the site has %s, higher than %s, provisioned by another partner or "
                       "outside the partner API; this partner cannot cancel it, so it cannot "
                       "downgrade" % (current["slug"], slug)}
    return {"action": "downgrade", "replaces": current,
            "msg": "cancel %s, then provision %s" % (current["slug"], slug)}


def offered_slugs(answer):
    """Every slug an upgrade-paths answer (API.md section 8) still offers.

    Reads a mapping of family to slugs, or a list of families each with its slugs under
    ``products`` or ``slugs``, with or without an ``upgrade_paths`` wrapper.
    """
    if isinstance(answer, dict) and "upgrade_paths" in answer:
        answer = answer["upgrade_paths"]
    if isinstance(answer, dict):
        families = list(answer.values())
    else:
        families = answer if isinstance(answer, list) else []

    offered = set()
    for family in families:
        if isinstance(family, dict):
            family = family.get("products") or family.get("slugs") or []
        for item in family if isinstance(family, list) else []:
            slug = item.get("slug") if isinstance(item, dict) else item
            if isinstance(slug, str):
                offered.add(slug)
    return offered


def predict_after(status, slug, action, replaces, pending):
    """The site's status after a provision decided by decide_provision."""
    after = dict(status, known=True, products=[dict(p) for p in status["products"]])
    if action in ("none", "refuse"):
        return after
    if replaces is not None:
        after["products"] = [p for p in after["products"] if p["slug"] != replaces["slug"]]
    after["products"].append({"slug": slug, "family": family_of(slug), "pending": bool(pending),
                              "provisioned_by_partner": True,
                              "provisioned_by_calling_partner": True})
    return after


def predict_cancel(status, plan=None, cancel_all=False):
    """What a cancel (API.md section 4) would do to a site in ``status``.

    Returns ``(outcome, error_code, after)``, the outcome as cancel_outcome names it.
    Without ``plan``, the cancel takes the site's plan, as the API does.
    """
    products = status["products"]
    if not status["known"]:
        return UNKNOWN_SITE, "invalid_blog", status

    if cancel_all:
        kept = [p for p in products if not p["provisioned_by_calling_partner"]]
        if len(kept) == len(products):
            return ALREADY_GONE, None, status
        return CANCELLED, None, dict(status, products=kept)

    if plan:
        targets = [p for p in products if p["slug"] == plan]
    else:
        targets = [p for p in products if p["family"] == PLANS_FAMILY]
    if not targets:
        return ALREADY_GONE, None, status

    target = targets[0]
    if not target["provisioned_by_partner"]:
        return ALREADY_GONE, "not_jps_plan", status
    if not target["provisioned_by_calling_partner"]:
        return FAILED, "incorrect_partner_key", status
    return CANCELLED, None, dict(status, products=[p for p in products if p is not target])


_PROVISION_ADVICE = {
    "activation_limit_reached": "the partner key has no activations left for this plan; "
                                "cancel plans no longer used or ask Jetpack partner support "
                                "for a higher limit",
    "partner_key_disabled": "the partner key is disabled; contact Jetpack partner support",
    "site_inaccessible": "WordPress.com could not reach the site at siteurl; check that the "
                         "site is online, public, not in maintenance mode and not behind a "
                         "firewall that blocks WordPress.com, and that siteurl is right",
    "invalid_local_user": "local_user must name an existing user of the WordPress site (login, "
                          "ID or e-mail)",
    "input_error": "local_user must name an existing user of the WordPress site (login, ID or "
                   "e-mail); create the user or give another",
    "invalid_siteurl": "siteurl must be the full URL of the WordPress core files, with scheme",
    "invalid_plan": "the server does not know this plan or product, or the partner key does "
                    "not allow it; check the slug",
    "plan_downgrade_disallowed": "the site has a higher plan; set allow_downgrade to true to "
                                 "cancel it first and provision the lower one",
    "invalid_scope": "the access token is not a Jetpack partner token; get one with the "
                     "wpcom.jetpack.jetpack_partner_token lookup",
}


def is_remote_provision_error(exc):
    return exc.error_code == "method_not_found" and "remoteprovision" in (
        exc.api_message or "").lower()


def provision_error_text(site_id, exc):
    """A provision failure, with what to do about it (API.md section 3)."""
    if exc.error_code == "method_not_found" and not is_remote_provision_error(exc):
        return ("could not provision %s: WordPress.com could not register the site "
                "(remoteRegister). Install and activate Jetpack on the site (and take it out "
                "of safe mode), or give siteurl with its scheme, https:// for a site that "
                "redirects http to https; not retried (%s)" % (site_id, exc.message))
    if is_remote_provision_error(exc):
        return ("could not provision %s: the site's Jetpack tokens do not match WordPress.com "
                "even after re-registering with force_register; reconnect Jetpack from the "
                "site's wp-admin (%s)" % (site_id, exc.message))
    advice = _PROVISION_ADVICE.get(exc.error_code)
    if advice is None and exc.is_token_error:
        advice = _PROVISION_ADVICE["invalid_scope"]
    if advice is None:
        return "could not provision %s: %s" % (site_id, exc.message)
    return "could not provision %s: %s (%s)" % (site_id, advice, exc.message)


def provision_plan(client, form, site_id):
    """Provision, with the recoveries of API.md section 3; returns ``(answer, notes)``.

    A ``remoteProvision`` kind of ``method_not_found`` is sent once more with
    ``force_register``. The owner's ``access_token`` that an answer may carry is taken
    out and only its presence kept, as ``owner_token_returned``.
    """
    notes = []
    try:
        answer = client.provision_once(form, site_id)
    except PartnerApiError as exc:
        if not is_remote_provision_error(exc) or form.get("force_register") == "true":
            raise
        notes.append("the site's Jetpack tokens no longer matched WordPress.com "
                     "(method_not_found, remoteProvision): provisioned again with "
                     "force_register")
        answer = client.provision_once(dict(form, force_register="true"), site_id)

    if not isinstance(answer, dict) or answer.get("success") is not True:
        raise PartnerApiError("provision %s" % site_id, "provision %s: the answer did not say "
                              "success; run again to find out whether the plan is there"
                              % site_id, error_code="unexpected_answer")
    answer = dict(answer)
    owner_token = answer.pop("access_token", None)
    client.redact.add(owner_token)
    answer["owner_token_returned"] = bool(owner_token)
    return answer, notes
