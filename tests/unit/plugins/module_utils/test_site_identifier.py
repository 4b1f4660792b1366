# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Site address to API site identifier: the rules of API.md section 2."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    REDACTED,
    SiteAddressError,
    safe_address,
    site_identifier,
)


# The table of API.md section 2, word for word.
CONTRACT_TABLE = [
    ("https://example.com", "example.com"),
    ("http://example.com/", "example.com"),
    ("example.com/demo", "example.com::demo"),
    ("https://example.com/demo/wp/", "example.com::demo::wp"),
    ("123456789", "123456789"),
]

# The collection's own policy on top of the table.
POLICY_TABLE = [
    # The host is case-insensitive, the path is not.
    ("https://Example.com/Demo/wp/", "example.com::Demo::wp"),
    ("HTTPS://EXAMPLE.COM/Shop", "example.com::Shop"),
    ("HtTp://Example.Com", "example.com"),
    ("example.com/CamelCase/Path", "example.com::CamelCase::Path"),
    # www. names another site and stays.
    ("www.example.com", "www.example.com"),
    ("https://WWW.Example.com/", "www.example.com"),
    ("http://www.example.com/blog", "www.example.com::blog"),
    # A port stays, with or without a scheme and a path.
    ("example.com:8080", "example.com:8080"),
    ("https://example.com:8443/", "example.com:8443"),
    ("http://Example.com:8080/Blog/", "example.com:8080::Blog"),
    ("https://example.com:443", "example.com:443"),
    ("example.com:08080", "example.com:8080"),
    ("example.com:1", "example.com:1"),
    ("example.com:65535", "example.com:65535"),
    # Internationalised hosts become their IDNA form; the path keeps its letters.
    ("https://bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.example/Straße", "xn--bcher-kva.example::Straße"),
    ("https://例え.テスト/", "xn--r8jz45g.xn--zckzah"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("https://bücher.example:8080/x", "xn--bcher-kva.example:8080::x"),
    # Every trailing slash goes.
    ("https://example.com///", "example.com"),
    ("example.com/demo//", "example.com::demo"),
    # Blog IDs are kept as they are.
    ("1", "1"),
    ("0123", "0123"),
]

REFUSALS = [
    ("", "is empty"),
    ("https://example.com/?p=1", "query string"),
    ("example.com?", "query string"),
    ("https://example.com/shop?utm_source=x", "query string"),
    ("https://example.com/#top", "fragment"),
    ("example.com#", "fragment"),
    ("user:pw@example.com", "user info"),
    ("https://user:pw@example.com/", "user info"),
    ("https://admin@example.com", "user info"),
    ("@example.com", "user info"),
    ("exa mple.com", "white space"),
    (" example.com", "white space"),
    ("example.com ", "white space"),
    ("example.com/my blog", "white space"),
    ("example.com\t", "white space"),
    ("example.com\n", "white space"),
    ("example.com\u00a0", "white space"),
    ("example.com\u3000", "white space"),
    (" ", "white space"),
    ("https://", "empty host"),
    ("https:///demo", "empty host"),
    ("//example.com", "empty host"),
    ("/demo", "empty host"),
    (":8080", "empty host"),
    ("example.com/a:b", "':' or '/' written into a path segment"),
    ("example.com/a%3Ab", "':' or '/' written into a path segment"),
    ("example.com/a%2fb", "':' or '/' written into a path segment"),
    ("example.com/%2e%2E/x", "'.' or '..'"),
    ("example.com//blog", "empty path segment"),
    ("example.com/a//b/", "empty path segment"),
    ("https://admin:1234/5678@example.com", "user info"),
    ("example.com/@me", "user info"),
    ("https:/example.com", "malformed scheme"),
    ("example.com/a/..", "'.' or '..'"),
    ("example.com/./a", "'.' or '..'"),
    ("ftp://example.com", "scheme 'ftp'"),
    ("javascript://example.com", "scheme 'javascript'"),
    ("htt p://example.com", "white space"),
    ("1http://example.com", "malformed scheme"),
    ("example.com:0", "port '0'"),
    ("example.com:65536", "port '65536'"),
    ("example.com:http", "port 'http'"),
    ("example.com:", "port ''"),
    ("example.com:-1", "port '-1'"),
    ("[::1]", "IPv6"),
    ("https://[2001:db8::1]:8080/", "IPv6"),
    ("123:8080", "all-digit host"),
    ("https://123/", "all-digit host"),
    ("example..com", "not a valid host name"),
    ("-example.com", "not a valid host name"),
    ("example.com.", "not a valid host name"),
    ("exa$mple.com", "not a valid host name"),
    ("example.com\\evil.com", "not a valid host name"),
    ("xn--zz.example", "not a valid IDNA name"),
]


@pytest.mark.parametrize("address, expected", CONTRACT_TABLE)
def test_the_contract_table(address, expected):
    assert site_identifier(address) == expected


@pytest.mark.parametrize("address, expected", POLICY_TABLE)
def test_the_collection_policy(address, expected):
    assert site_identifier(address) == expected


@pytest.mark.parametrize("address, reason", REFUSALS)
def test_refused_addresses_say_why(address, reason):
    with pytest.raises(SiteAddressError) as caught:
        site_identifier(address)

    assert reason in str(caught.value)


@pytest.mark.parametrize("value", [None, 123456789, b"example.com", ["example.com"]])
def test_only_strings_are_addresses(value):
    with pytest.raises(SiteAddressError, match="must be a string"):
        site_identifier(value)


@pytest.mark.parametrize("address", [
    "example.com:\u00b2",      # superscript two: isdigit() says yes, int() says no
    "example.com:\u0668\u0660",  # Arabic-Indic digits
    "example.com:\uff18\uff10",  # full-width digits
])
def test_a_port_in_other_scripts_digits_is_refused_not_a_crash(address):
    with pytest.raises(SiteAddressError, match="port"):
        site_identifier(address)


@pytest.mark.parametrize("address", ["\u00b2", "\u0661\u0662\u0663", "\uff11\uff12"])
def test_digits_of_other_scripts_are_no_blog_id(address):
    # Such an ID would go into the path as given and name no site WordPress.com knows.
    try:
        result = site_identifier(address)
    except SiteAddressError:
        return

    assert result.isascii() and result != address


def test_www_and_bare_host_stay_two_sites():
    assert site_identifier("www.example.com") != site_identifier("example.com")


def test_path_case_makes_two_sites_and_host_case_does_not():
    assert site_identifier("example.com/Blog") != site_identifier("example.com/blog")
    assert site_identifier("EXAMPLE.com/blog") == site_identifier("example.com/blog")


def test_ports_make_distinct_sites():
    assert site_identifier("example.com:8080") != site_identifier("example.com")
    assert site_identifier("example.com:8080") != site_identifier("example.com:8081")


def test_user_info_is_masked_when_an_address_is_shown():
    shown = safe_address("https://admin:hunter2@example.com/")

    assert "hunter2" not in shown and "admin" not in shown
    assert shown == "https://%s@example.com/" % REDACTED
    assert safe_address("example.com/demo") == "example.com/demo"


def test_refusal_messages_do_not_repeat_user_info():
    with pytest.raises(SiteAddressError) as caught:
        site_identifier("https://admin:hunter2@example.com/")

    assert "hunter2" not in str(caught.value)


# --- properties over generated addresses -------------------------------------------

_LABEL = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)
_HOST = st.builds(lambda labels, tld: ".".join(labels + [tld]),
                  st.lists(_LABEL, min_size=1, max_size=3),
                  st.sampled_from(["com", "org", "example", "test"]))
_SEGMENT = st.text(alphabet=string.ascii_letters + string.digits + "-_~", min_size=1,
                   max_size=10).filter(lambda s: s not in (".", ".."))
_PATH = st.lists(_SEGMENT, max_size=4)
_PORT = st.one_of(st.none(), st.integers(min_value=1, max_value=65535))


def _address(scheme, host, port, segments, trailing):
    authority = host if port is None else "%s:%d" % (host, port)
    path = "/".join(segments)
    return scheme + authority + ("/" + path if path else "") + trailing


@settings(max_examples=200, deadline=None)
@given(host=_HOST, port=_PORT, segments=_PATH,
       scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
       trailing=st.sampled_from(["", "/", "//"]), upper=st.booleans())
def test_spelling_of_scheme_host_case_and_slashes_never_changes_the_site(
        host, port, segments, scheme, trailing, upper):
    plain = _address("", host, port, segments, "")
    variant = _address(scheme, host.upper() if upper else host, port, segments, trailing)

    expected = "::".join([host if port is None else "%s:%d" % (host, port)] + segments)
    assert site_identifier(variant) == site_identifier(plain) == expected


@settings(max_examples=200, deadline=None)
@given(host=_HOST, port=_PORT, first=_PATH, second=_PATH)
def test_two_different_paths_never_name_one_site(host, port, first, second):
    one = site_identifier(_address("https://", host, port, first, ""))
    other = site_identifier(_address("https://", host, port, second, ""))

    assert (one == other) == (first == second)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_an_identifier_or_a_refusal_never_a_crash(text):
    try:
        result = site_identifier(text)
    except SiteAddressError:
        return

    assert result
    assert not any(c.isspace() for c in result)
    assert not set(result) & set("/?#@")
    assert result.split("::")[0].isascii()
