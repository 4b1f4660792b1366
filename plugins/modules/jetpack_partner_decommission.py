#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin of the same name, on the controller; this file
# carries its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: jetpack_partner_decommission
short_description: Cancel the Jetpack plans of many sites in one task
version_added: 0.1.0
description:
  - Cancels, through the WordPress.com partner API, the Jetpack plan of every site in
    O(sites), with a bounded number of requests in flight over one pool of connections.
  - Each site gets the same outcome as with M(wpcom.jetpack.jetpack_partner_plan) and
    O(wpcom.jetpack.jetpack_partner_plan#module:state=absent), and a second run changes
    nothing.
  - Every address is checked before the first request; one bad address fails the task
    with nothing sent. Two addresses that name the same site are cancelled once.
  - Prints a progress line every O(progress_interval) seconds or every tenth of the
    sites (at most every 1000) while it works.
  - Runs on the controller, whatever the host of the task.
author:
  - wpcom.jetpack contributors (!UNKNOWN)
requirements:
  - requests
extends_documentation_fragment:
  - wpcom.jetpack.partner_api
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - In check mode each site's status is read instead, and each site gets the outcome
        a real run would give it, without any cancel being sent.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
  action_group:
    support: full
    membership:
      - wpcom.jetpack.partner
options:
  sites:
    description:
      - Addresses or blog IDs of the sites to decommission, with the rules of
        O(wpcom.jetpack.jetpack_partner_plan#module:site).
    type: list
    elements: str
    required: true
  plan:
    description:
      - Slug of the plan or product to cancel on every site. Without it, each site's plan
        is cancelled.
    type: str
  cancel_all:
    description:
      - Cancel everything this partner provisioned for each site, plans and products.
      - Mutually exclusive with O(plan).
    type: bool
    default: false
  concurrency:
    description:
      - How many requests are in flight at once, from 1 to 64.
      - A run takes about N sites x the API's answer time / O(concurrency). Throttling
        answers (HTTP 429) are waited out as the API asks; lower this if they are
        frequent.
    type: int
    default: 32
  report_path:
    description:
      - Where to write a report of every site's outcome, as C(<report_path>.json) and
        C(<report_path>.csv). A trailing C(.json) is dropped first.
      - Both files are written to a temporary name and renamed, so a reader never sees
        half a report.
    type: path
  progress_interval:
    description:
      - Seconds between progress lines. V(0) prints none.
    type: int
    default: 5
  access_token:
    description:
      - Partner access token from the M(wpcom.jetpack.jetpack_partner_token) lookup.
      - Never shown in output or logs.
      - When neither this nor O(partner_id) is set, the E(JETPACK_PARTNER_ACCESS_TOKEN)
        environment variable is used.
      - Mutually exclusive with O(partner_id).
    type: str
  partner_id:
    description:
      - Partner ID, to get the access token inside the task instead of O(access_token).
        The one token request of the run is then sent only after every address has
        passed its checks.
      - Requires O(partner_secret). Mutually exclusive with O(access_token).
    type: str
  partner_secret:
    description:
      - Partner secret that goes with O(partner_id). Keep it in Ansible Vault. Never shown.
    type: str
  validate_only:
    description:
      - Only check the addresses and return their identifiers as RV(site_ids), sending
        nothing and needing no credentials. A pipeline can run this first, before it gets
        a token.
    type: bool
    default: false
notes:
  - A run stops early, with the sites not yet tried reported as failed (error code
    C(not_attempted)), when the API refuses the access token or when as many sites in a
    row as O(concurrency) (at least 3) cannot reach the API even after retries.
  - A run cut short leaves nothing half done on any site; running it again cancels what
    is left and reports the rest as already gone.
seealso:
  - module: wpcom.jetpack.jetpack_partner_plan
  - plugin: wpcom.jetpack.jetpack_partner_token
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Cancel the Jetpack plans of every site on a retired server
  wpcom.jetpack.jetpack_partner_decommission:
    sites: "{{ jetpack_sites }}"
    access_token: "{{ jetpack_token }}"
    report_path: /var/log/jetpack/decommission-{{ ansible_date_time.date }}
  register: teardown

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ teardown.totals }}"

- name: Check a list of addresses before anything is sent
  wpcom.jetpack.jetpack_partner_decommission:
    sites: "{{ jetpack_sites }}"
    validate_only: true
  register: checked

- name: Decommission with the partner credentials, one token for the whole task
  wpcom.jetpack.jetpack_partner_decommission:
    sites: "{{ checked.site_ids }}"
    partner_id: "{{ jetpack_partner_id }}"
    partner_secret: "{{ jetpack_partner_secret }}"
"""

RETURN = r"""
site_ids:
  description: The identifier of each distinct site, in the order given.
  returned: when O(validate_only=true)
  type: list
  elements: str
  sample: ["example.com", "example.com::shop", "123456789"]
totals:
  description: How many sites ended in each outcome.
  returned: unless O(validate_only=true)
  type: dict
  sample: {"cancelled": 9800, "already_gone": 150, "unknown_site": 40, "failed": 10}
sites:
  description: One entry per distinct site, in the order given.
  returned: unless O(validate_only=true)
  type: list
  elements: dict
  contains:
    site:
      description: The address as given.
      type: str
    site_id:
      description: The identifier put in the API path.
      type: str
    outcome:
      description: V(cancelled), V(already_gone), V(unknown_site) or V(failed).
      type: str
    changed:
      description: Whether this site's plan was cancelled by this run.
      type: bool
    error_code:
      description: The API's error code, if it answered with one.
      type: str
    msg:
      description: What happened, and what to do for a failure.
      type: str
report:
  description: Paths of the JSON and CSV reports.
  returned: when O(report_path) is set
  type: dict
  sample: {"json": "/var/log/jetpack/run.json", "csv": "/var/log/jetpack/run.csv"}
elapsed:
  description: Seconds the cancels took.
  returned: unless O(validate_only=true)
  type: float
"""
