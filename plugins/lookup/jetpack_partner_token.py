# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: jetpack_partner_token
short_description: Get a Jetpack partner access token from partner credentials
version_added: 0.1.0
description:
  - Exchanges a Jetpack hosting partner's ID and secret for an API access token with the
    C(jetpack-partner) scope, for M(wpcom.jetpack.jetpack_partner_plan) and the other
    modules of this collection.
  - Keep the secret in Ansible Vault. White space around the ID or the secret is trimmed.
  - One token is requested per distinct set of credentials and O(api_url) in a process;
    later uses in the same process get the same token without a request. Ansible runs
    each task in a process of its own, so this covers every item of one task's loop, not
    a whole play; to use one token for a whole play, store it once with
    M(ansible.builtin.set_fact) and C(no_log), as the C(wpcom.jetpack.decommission) role
    does.
author:
  - wpcom.jetpack contributors (!UNKNOWN)
requirements:
  - requests
extends_documentation_fragment:
  - wpcom.jetpack.partner_api.plugin
options:
  _terms:
    description: Not used. Terms given are ignored with a warning.
    required: false
  partner_id:
    description:
      - The partner ID (OAuth client ID) that Automattic gave the hosting partner.
    type: str
    required: true
    env:
      - name: JETPACK_PARTNER_ID
    vars:
      - name: jetpack_partner_id
  partner_secret:
    description:
      - The partner secret that goes with O(partner_id). Never shown.
    type: str
    required: true
    env:
      - name: JETPACK_PARTNER_SECRET
    vars:
      - name: jetpack_partner_secret
notes:
  - Set C(no_log) on a task that stores the token in a fact; the token is a secret.
  - Nothing documents when a token expires. A module answered that the token is invalid
    or revoked only needs a new token from this lookup.
seealso:
  - module: wpcom.jetpack.jetpack_partner_plan
"""

EXAMPLES = r"""
- name: Get a partner token once, from credentials kept in Vault
  ansible.builtin.set_fact:
    jetpack_token: >-
      {{ lookup('wpcom.jetpack.jetpack_partner_token',
                partner_id=jetpack_partner_id,
                partner_secret=jetpack_partner_secret,
                api_url=jetpack_api_url) }}
  no_log: true
"""

RETURN = r"""
_raw:
  description: A one-element list holding the access token.
  type: list
  elements: str
"""

import hashlib
import threading

from ansible.errors import AnsibleError, AnsibleOptionsError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    HAS_REQUESTS,
    PartnerApiError,
    PartnerClient,
    check_api_url,
)

display = Display()

# Tokens already fetched in this process, keyed by API and a digest of the credentials,
# so the items of one task's loop share one token request (API.md section 1). Each task
# runs in a process of its own: a play keeps one token by storing it in a fact.
_TOKENS = {}
_TOKENS_LOCK = threading.Lock()

_OAUTH_ADVICE = {
    "invalid_client": "the partner ID or secret is wrong; check jetpack_partner_id and the "
                      "vaulted jetpack_partner_secret",
    "unsupported_grant_type": "the API refused the client_credentials grant",
    "invalid_scope": "this partner may not use the jetpack-partner scope",
}


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if terms:
            display.warning("lookup wpcom.jetpack.jetpack_partner_token takes no terms; "
                            "%d ignored" % len(terms))

        partner_id = str(self.get_option("partner_id") or "").strip()
        partner_secret = str(self.get_option("partner_secret") or "").strip()
        api_url = self.get_option("api_url")
        if not partner_id:
            raise AnsibleOptionsError("option partner_id: is empty; set jetpack_partner_id "
                                      "or JETPACK_PARTNER_ID")
        if not partner_secret:
            raise AnsibleOptionsError("option partner_secret: is empty; set "
                                      "jetpack_partner_secret or JETPACK_PARTNER_SECRET")
        problem = check_api_url(api_url)
        if problem:
            raise AnsibleOptionsError("option api_url: %s" % problem)
        if self.get_option("timeout") < 1 or self.get_option("retries") < 0:
            raise AnsibleOptionsError("option timeout: must be 1 or more, and retries 0 or more")
        if not HAS_REQUESTS:
            raise AnsibleError("lookup wpcom.jetpack.jetpack_partner_token needs the Python "
                               "library 'requests' on the controller")

        digest = hashlib.sha256(("%s\0%s" % (partner_id, partner_secret)).encode()).hexdigest()
        key = (api_url.rstrip("/"), digest)
        with _TOKENS_LOCK:
            token = _TOKENS.get(key)
            if token is None:
                token = self._fetch(api_url, partner_id, partner_secret)
                _TOKENS[key] = token
            else:
                display.vvv("jetpack_partner_token: reusing the token for partner %s" % partner_id)
        return [token]

    def _fetch(self, api_url, partner_id, partner_secret):
        client = PartnerClient(api_url=api_url, timeout=self.get_option("timeout"),
                               validate_certs=self.get_option("validate_certs"),
                               retries=self.get_option("retries"), log=display.vvv)
        display.vvv("jetpack_partner_token: requesting a token for partner %s" % partner_id)
        try:
            return client.request_token(partner_id, partner_secret)
        except PartnerApiError as exc:
            advice = _OAUTH_ADVICE.get(exc.error_code)
            message = client.redact(exc.message)
            if advice:
                message = "%s: %s" % (message, advice)
            raise AnsibleError("jetpack_partner_token: %s" % message) from None
        finally:
            client.close()
