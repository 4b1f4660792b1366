# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the wpcom.jetpack collection. Its API may change
# in any release without notice; do not import it from other collections.

"""Argument spec and client construction shared by the collection's modules."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    DEFAULT_API_URL,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    PartnerClient,
    SiteAddressError,
    check_api_url,
    safe_address,
    site_identifier,
)


def partner_api_argument_spec():
    """Options of the ``partner_api`` doc fragment, with the token."""
    return dict(
        api_url=dict(type="str", default=DEFAULT_API_URL,
                     fallback=(env_fallback, ["JETPACK_PARTNER_API_URL"])),
        access_token=dict(type="str", required=True, no_log=True,
                          fallback=(env_fallback, ["JETPACK_PARTNER_ACCESS_TOKEN"])),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=DEFAULT_TIMEOUT),
        retries=dict(type="int", default=DEFAULT_RETRIES),
        retry_budget=dict(type="int", default=DEFAULT_RETRY_BUDGET),
    )


def check_connection_options(module):
    """Fail, before any request, on connection options that cannot work."""
    params = module.params
    problem = check_api_url(params["api_url"])
    if problem:
        module.fail_json(msg="option api_url: %s" % problem)
    for name, low in (("timeout", 1), ("retries", 0), ("retry_budget", 0)):
        if params[name] < low:
            module.fail_json(msg="option %s: must be %d or more, got %d"
                             % (name, low, params[name]))
    if not params["access_token"] or not params["access_token"].strip():
        module.fail_json(msg="option access_token: is empty; get one with the "
                             "wpcom.jetpack.jetpack_partner_token lookup")


def site_id_or_fail(module, address, option="site"):
    try:
        return site_identifier(address)
    except SiteAddressError as exc:
        module.fail_json(msg="option %s: '%s' %s" % (option, safe_address(address), exc))


def client_for(module, pool_size=1):
    """A client configured from the module's options, after they have been checked."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    return PartnerClient(
        api_url=params["api_url"],
        access_token=params["access_token"].strip(),
        timeout=params["timeout"],
        validate_certs=params["validate_certs"],
        retries=params["retries"],
        retry_budget=params["retry_budget"],
        pool_size=pool_size,
        log=module.debug,
    )
