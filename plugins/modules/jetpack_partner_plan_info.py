#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: jetpack_partner_plan_info
short_description: Read the Jetpack plans and products of sites from the partner API
version_added: 0.1.0
description:
  - Reads the status of one site or of a list of sites (the API's v1.4 status call) and
    returns their plans and products in one stable shape.
  - Changes nothing, so it always reports no change and runs the same in check mode.
  - A site WordPress.com does not know, and a site whose status cannot be read (one
    provisioned with a partner's non-billed test key), are reported in the list, not as
    a failure. A disabled partner key or a bad token fails the task.
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
    support: full
    details:
      - Only reads; check mode changes nothing about what it does.
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
  site:
    description:
      - One site's address or WordPress.com blog ID, named as in
        M(wpcom.jetpack.jetpack_partner_plan).
      - Mutually exclusive with O(sites); one of the two is required.
    type: str
  sites:
    description:
      - A list of site addresses or blog IDs. The answers keep the list's order.
      - Mutually exclusive with O(site); one of the two is required.
    type: list
    elements: str
  concurrency:
    description:
      - Status calls in flight at once for O(sites), from 1 to 32.
    type: int
    default: 4
notes:
  - Runs on the controller, inside the action plugin of the same name, whatever the
    host of the task; the host needs no Python. Its arguments never go into a module
    payload file or ansible-core's C(ANSIBLE_DEBUG) output.
  - Every address is checked before any request; one bad address fails the task and
    nothing is read.
seealso:
  - module: wpcom.jetpack.jetpack_partner_plan
"""

EXAMPLES = r"""
- name: Read what one site carries
  wpcom.jetpack.jetpack_partner_plan_info:
    site: https://blog.example.com
    access_token: "{{ jetpack_token }}"
  register: jetpack_status

- name: Show its plan
  ansible.builtin.debug:
    msg: "{{ jetpack_status.sites[0].plan | default('no plan', true) }}"

- name: Read many sites at once, in check mode too
  wpcom.jetpack.jetpack_partner_plan_info:
    sites: "{{ jetpack_sites }}"
    api_url: "{{ jetpack_api_url }}"
    access_token: "{{ jetpack_token }}"
    concurrency: 8
  check_mode: true
  register: jetpack_status
"""

RETURN = r"""
sites:
  description: One entry per site, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    site:
      description: The address or blog ID as given.
      type: str
      sample: https://blog.example.com
    site_id:
      description: The site identifier put in the API path.
      type: str
      sample: blog.example.com
    found:
      description: False when WordPress.com does not know the site (C(invalid_blog)).
      type: bool
    status_available:
      description: False when the status could not be read; RV(sites[].msg) says why.
      type: bool
    connected:
      description: Whether the site is connected to WordPress.com; null when unknown.
      type: bool
    has_backups_credentials:
      description: Whether Jetpack Backup has credentials for the site; null when unknown.
      type: bool
    plan:
      description: Slug of the site's plan (C(jetpack-plans) family), or null.
      type: str
      sample: premium
    products:
      description: The plans and products, in the API's order.
      type: list
      elements: dict
      contains:
        slug:
          description: Slug of the plan or product.
          type: str
          sample: jetpack-backup-daily
        family:
          description: Its upgrade family, or null for a slug the collection does not know.
          type: str
          sample: jetpack-backup
        pending:
          description: True while the owner has not finished the connection.
          type: bool
        provisioned_by_partner:
          description: Whether a hosting partner provisioned it.
          type: bool
        provisioned_by_calling_partner:
          description: Whether the partner of O(access_token) provisioned it.
          type: bool
    error_code:
      description: The API's error code, when the status could not be read.
      type: str
      sample: invalid_blog
    msg:
      description: Why the status is not there, when it is not.
      type: str
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wpcom.jetpack.plugins.module_utils._module_common import (
    check_connection_options,
    client_for,
    partner_api_argument_spec,
    site_id_or_fail,
)
from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    PartnerApiError,
    parse_status,
    site_plan,
    status_error_text,
)

# Errors that concern the partner, not one site: no other site would read any better.
PARTNER_ERRORS = frozenset(["partner_key_disabled", "invalid_scope"])


def site_info(client, site, site_id):
    entry = {"site": site, "site_id": site_id, "found": True, "status_available": True,
             "connected": None, "has_backups_credentials": None, "plan": None,
             "products": [], "error_code": None, "msg": None}
    try:
        status = parse_status(client.status(site_id))
    except PartnerApiError as exc:
        if exc.error_code in PARTNER_ERRORS or exc.is_token_error:
            raise
        entry.update(status_available=False, error_code=exc.error_code,
                     msg=status_error_text(site_id, exc))
        if exc.error_code == "invalid_blog":
            entry.update(found=False, msg="WordPress.com knows no site %s" % site_id)
        return entry

    entry.update(connected=status["connected"],
                 has_backups_credentials=status["has_backups_credentials"],
                 plan=site_plan(status), products=status["products"])
    return entry


def argument_spec():
    spec = partner_api_argument_spec()
    spec.update(site=dict(type="str"), sites=dict(type="list", elements="str"),
                concurrency=dict(type="int", default=4))
    return spec


MODULE_CONSTRAINTS = dict(mutually_exclusive=[("site", "sites")],
                          required_one_of=[("site", "sites")])


def run(module):
    """The module's work; ``module`` is an AnsibleModule or the action plugin's stand-in."""
    params = module.params

    check_connection_options(module)
    if not 1 <= params["concurrency"] <= 32:
        module.fail_json(msg="option concurrency: must be from 1 to 32, got %d"
                             % params["concurrency"])
    option = "site" if params["site"] is not None else "sites"
    addresses = [params["site"]] if option == "site" else params["sites"]
    site_ids = [site_id_or_fail(module, address, option) for address in addresses]

    client = client_for(module, pool_size=params["concurrency"])

    try:
        with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
            entries = list(pool.map(lambda pair: site_info(client, *pair),
                                    zip(addresses, site_ids)))
    except PartnerApiError as exc:
        module.fail_json(msg=status_error_text(exc.call.partition(" ")[2], exc),
                         sites=[], **exc.as_result())
    finally:
        client.close()

    module.exit_json(changed=False, sites=entries)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                      **MODULE_CONSTRAINTS))


if __name__ == "__main__":
    main()
