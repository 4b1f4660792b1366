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
  - wpcom.jetpack.partner_api.token
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: none
    details:
      - In check mode the task fails without sending anything.
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
    type: int
    default: 16
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
notes:
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
"""

RETURN = r"""
totals:
  description: How many sites ended in each outcome.
  returned: always
  type: dict
  sample: {"cancelled": 9800, "already_gone": 150, "unknown_site": 40, "failed": 10}
sites:
  description: One entry per distinct site, in the order given.
  returned: always
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
  returned: always
  type: float
"""
