# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the site identifier rules (API.md section 2), over generated addresses.

A site is modelled as (host, port, path segments). Each generated site is written out in
many allowed spellings, and every spelling must map to one identifier, which no other
site's spelling may ever map to. Each refused form is generated too, and must be refused.
"""

from __future__ import annotations

import idna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    SiteAddressError,
    site_identifier,
)

# Enough examples for thousands of addresses, few enough to stay well under 20 s.
EXAMPLES = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# No '--' in third and fourth place: IDNA keeps that for its own A-labels.
ASCII_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1,
                      max_size=12).filter(
    lambda label: label[0] != "-" and label[-1] != "-" and label[2:4] != "--")
# Letters that IDNA 2008 accepts in a label and that upper- and lower-case one to one.
UNICODE_LABEL = st.text(alphabet="abcdeklmnoüéñøåçäö", min_size=1, max_size=8).filter(
    lambda label: not label.isascii())
LABEL = st.one_of(ASCII_LABEL, ASCII_LABEL, UNICODE_LABEL)
HOST = st.lists(LABEL, min_size=1, max_size=4).map(".".join).filter(
    lambda host: not host.replace(".", "").isdigit() or "." in host)
PORT = st.one_of(st.none(), st.integers(min_value=1, max_value=65535))
# Path segments keep their case and may hold anything but the characters that separate
# or end a path, white space, ':' (which the identifier uses for '/'), '@' (read as user
# info) and '%' (a percent-encoded ':' or '/' is refused too).
SEGMENT = st.text(alphabet=st.characters(
    blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
    blacklist_characters="/?#:@%\t\n\r\x0b\x0c\x85\u1680\u180e"), min_size=1,
    max_size=8).filter(
    lambda segment: segment not in (".", "..") and not any(c.isspace() for c in segment))
PATH = st.lists(SEGMENT, max_size=3).map(tuple)
SITE = st.tuples(HOST, PORT, PATH).filter(lambda site: not site[0].isdigit())


def canonical(site):
    """The identifier a site must get, computed without the code under test."""
    host, port, path = site
    labels = [idna.encode(label, uts46=True).decode("ascii") for label in host.split(".")]
    text = ".".join(labels).lower()
    if port is not None:
        text += ":%d" % port
    return "::".join([text] + list(path))


def random_case(draw, text):
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.upper() if flip and char.isascii() else char
                   for char, flip in zip(text, flips))


@st.composite
def spelling(draw, site):
    """One of the many ways to write a site's address that must name that same site."""
    host, port, path = site
    scheme = draw(st.sampled_from(["", "http://", "https://", "HTTPS://", "Http://"]))
    written_host = random_case(draw, host)
    if draw(st.booleans()) and not host.isascii():
        written_host = idna.encode(host, uts46=True).decode("ascii")
    address = scheme + written_host
    if port is not None:
        address += ":" + draw(st.sampled_from(["", "0", "00"])) + str(port)
    if path:
        address += "/" + "/".join(path)
    return address + "/" * draw(st.integers(min_value=0, max_value=3))


@st.composite
def site_and_spelling(draw):
    site = draw(SITE)
    return site, draw(spelling(site))


@EXAMPLES
@given(site_and_spelling())
def test_every_spelling_of_a_site_maps_to_its_identifier(pair):
    site, address = pair
    assert site_identifier(address) == canonical(site)


@EXAMPLES
@given(st.tuples(site_and_spelling(), site_and_spelling()))
def test_two_different_sites_never_share_an_identifier(pairs):
    (first, first_address), (second, second_address) = pairs
    if canonical(first) != canonical(second):
        assert site_identifier(first_address) != site_identifier(second_address)
    else:
        assert site_identifier(first_address) == site_identifier(second_address)


@EXAMPLES
@given(SITE, st.data())
def test_near_neighbours_stay_apart(site, data):
    """www., a port, the case of a path and a path segment each name another site."""
    host, port, path = site
    address = data.draw(spelling(site))
    identifier = site_identifier(address)

    assert site_identifier(data.draw(spelling(("www." + host, port, path)))) != identifier
    other_port = 8080 if port != 8080 else 8443
    assert site_identifier(data.draw(spelling((host, other_port, path)))) != identifier
    assert site_identifier(data.draw(spelling((host, port, path + ("x",))))) != identifier
    cased = tuple(segment.swapcase() for segment in path)
    if cased != path:
        assert site_identifier(data.draw(spelling((host, port, cased)))) != identifier


@EXAMPLES
@given(site_and_spelling())
def test_an_identifier_read_back_as_an_address_is_the_same_site(pair):
    _site, address = pair
    identifier = site_identifier(address)
    assert site_identifier(identifier.replace("::", "/")) == identifier
    assert identifier.isascii() or any(not part.isascii() for part in identifier.split("::")[1:])
    assert not identifier.isdigit()


@EXAMPLES
@given(st.integers(min_value=0, max_value=10 ** 12))
def test_a_blog_id_is_itself_and_no_address_becomes_one(number):
    assert site_identifier(str(number)) == str(number)
    with pytest.raises(SiteAddressError):
        site_identifier("https://%d/" % number)


def _inject(defect, site, address, draw):
    host, port, path = site
    bare = address.split("://", 1)[-1]
    scheme = address[:len(address) - len(bare)]
    authority, _slash, rest = bare.partition("/")
    if defect == "query":
        return address + "?" + draw(st.text(max_size=5))
    if defect == "fragment":
        return address + "#" + draw(st.text(max_size=5))
    if defect == "userinfo":
        return scheme + draw(st.sampled_from(["user@", "u:pw@", ":@", "@"])) + bare
    if defect == "whitespace":
        where = draw(st.integers(min_value=0, max_value=len(address)))
        space = draw(st.sampled_from([" ", "\t", "\n", "\u00a0", "\u2003"]))
        return address[:where] + space + address[where:]
    if defect == "empty host":
        return (scheme or "https://") + ("" if port is None else ":%d" % port) + "/" + rest
    if defect == "colon in path":
        return scheme + authority + "/" + rest.rstrip("/") + draw(st.sampled_from(
            ["/a:b", "/:", "/x::y"]))
    if defect == "bad port":
        return scheme + host + ":" + draw(st.sampled_from(
            ["", "0", "65536", "99999", "80a", "-1", "+80", "８０"])) + "/" + rest
    if defect == "dot segment":
        return scheme + authority + "/" + draw(st.sampled_from([".", "..", "a/..", "./b"]))
    if defect == "other scheme":
        return draw(st.sampled_from(["ftp://", "file://", "javascript://", "ws://"])) + bare
    if defect == "ipv6":
        return scheme + "[::1]" + "/" + rest
    raise AssertionError(defect)


DEFECTS = ["query", "fragment", "userinfo", "whitespace", "empty host", "colon in path",
           "bad port", "dot segment", "other scheme", "ipv6"]


@EXAMPLES
@given(site_and_spelling(), st.sampled_from(DEFECTS), st.data())
def test_every_refused_form_is_refused(pair, defect, data):
    site, address = pair
    bad = _inject(defect, site, address, data.draw)

    with pytest.raises(SiteAddressError):
        site_identifier(bad)
