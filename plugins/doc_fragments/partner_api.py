# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options every plugin that talks to the partner API shares."""

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the WordPress.com public API.
      - Must be C(https://) unless its host is a loopback address, as a local sandbox is.
      - The client never follows a redirect, so the access token is never sent to another host.
      - Set it once for many tasks with C(module_defaults) and C(group/wpcom.jetpack.partner).
      - When not set, the E(JETPACK_PARTNER_API_URL) environment variable is used.
    type: str
    default: https://public-api.wordpress.com
  validate_certs:
    description:
      - Verify the TLS certificate of O(api_url). Leave it on except against a test server.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each answer. Jetpack's own code waits 60 seconds for a
        provision or a cancel.
    type: int
    default: 60
  retries:
    description:
      - How many times a call is tried again after a connection error, a timeout, or an
        HTTP 429, 500, 502, 503 or 504 answer.
      - Waits grow exponentially with jitter, and honour C(Retry-After) in seconds or as
        an HTTP date, up to 60 seconds a wait.
      - V(0) turns retries off.
    type: int
    default: 5
  retry_budget:
    description:
      - Total seconds one call may take, its tries and the waits between them. A wait
        that would end past it ends the call with the last error instead.
      - No try starts after O(retry_budget) seconds. A try whose whole answer is not in
        after O(timeout) seconds counts as a timeout, even while the answer still trickles.
    type: int
    default: 120
"""

    TOKEN = r"""
options:
  access_token:
    description:
      - Partner access token from the M(wpcom.jetpack.jetpack_partner_token) lookup.
      - Never shown in output or logs.
      - When not set, the E(JETPACK_PARTNER_ACCESS_TOKEN) environment variable is used.
    type: str
    required: true
"""

    PLUGIN = r"""
options:
  api_url:
    description:
      - Base URL of the WordPress.com public API.
      - Must be C(https://) unless its host is a loopback address, as a local sandbox is.
    type: str
    default: https://public-api.wordpress.com
    env:
      - name: JETPACK_PARTNER_API_URL
    vars:
      - name: jetpack_api_url
  validate_certs:
    description:
      - Verify the TLS certificate of O(api_url).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the answer.
    type: int
    default: 60
  retries:
    description:
      - How many times the token call is tried again after a connection error, a timeout,
        or an HTTP 429, 500, 502, 503 or 504 answer.
    type: int
    default: 5
"""
