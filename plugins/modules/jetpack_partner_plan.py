#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wpcom.jetpack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: jetpack_partner_plan
short_description: Provision or cancel a Jetpack plan through the WordPress.com partner API
version_added: 0.1.0
description:
  - Cancels (O(state=absent)) the Jetpack plan or product that the calling hosting partner
    provisioned for one site.
  - The site is named by its address or its WordPress.com blog ID; the address is turned
    into the API's site identifier by fixed rules, returned as RV(site_id).
  - A site that has no plan left, a plan that was not provisioned through the partner API,
    and a site WordPress.com does not know are all reported as no change.
author:
  - wpcom.jetpack contributors
requirements:
  - requests
extends_documentation_fragment:
  - wpcom.jetpack.partner_api
  - wpcom.jetpack.partner_api.token
attributes:
  check_mode:
    support: none
    details:
      - Check mode arrives with O(state=present), which reads the site's status first.
  diff_mode:
    support: none
  action_group:
    support: full
    membership:
      - wpcom.jetpack.partner
options:
  site:
    description:
      - The site's address, as V(https://example.com) or V(example.com/blog), or its
        WordPress.com blog ID, as V(123456789).
      - For a WordPress install in a subdirectory, give the home address, not the
        address of the core files.
      - The scheme and trailing slashes are dropped, the host is lower-cased and turned
        into its IDNA form, and C(/) becomes C(::). A port and the case of the path are
        kept, and C(www.) is never dropped, so one address never names another site.
      - An address with a query string, a fragment, user info, white space, C(:) in its
        path or an empty host is refused before any request is sent.
    type: str
    required: true
  state:
    description:
      - V(absent) cancels the plan.
      - V(present) is not available yet and fails without sending anything.
    type: str
    choices: [absent, present]
    default: absent
  plan:
    description:
      - Slug of the plan or product to cancel, such as V(professional) or
        V(jetpack-backup-daily). Standalone products can only be cancelled by slug.
      - Without it, the site's plan is cancelled.
      - A slug this collection does not know is sent all the same, with a warning; the
        server decides.
    type: str
  local_user:
    description:
      - The site user who owns the plan. Used by O(state=present).
    type: str
notes:
  - Set C(no_log) on no task: the token is already hidden. Do set it on any task that
    stores the result of the M(wpcom.jetpack.jetpack_partner_token) lookup in a fact.
  - To cancel many sites in one task, use M(wpcom.jetpack.jetpack_partner_decommission),
    which is far faster than a loop over this module.
seealso:
  - module: wpcom.jetpack.jetpack_partner_decommission
  - plugin: wpcom.jetpack.jetpack_partner_token
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Cancel the Jetpack plan of a site being torn down
  wpcom.jetpack.jetpack_partner_plan:
    site: https://blog.example.com
    state: absent
    access_token: "{{ jetpack_token }}"

- name: Cancel a standalone backup product, with the API set once for the block
  module_defaults:
    group/wpcom.jetpack.partner:
      api_url: "{{ jetpack_api_url }}"
      access_token: "{{ jetpack_token }}"
  block:
    - name: Cancel Jetpack Backup Daily on a site in a subdirectory
      wpcom.jetpack.jetpack_partner_plan:
        site: example.com/shop
        plan: jetpack-backup-daily
        state: absent
"""

RETURN = r"""
site_id:
  description: The site identifier that was put in the API path.
  returned: always
  type: str
  sample: example.com::shop
outcome:
  description:
    - What happened to the site's plan.
    - V(cancelled) the plan was cancelled; V(already_gone) there was nothing for this
      partner to cancel; V(unknown_site) WordPress.com knows no such site, with a warning;
      V(failed) the plan was not cancelled.
  returned: when a request was sent
  type: str
  sample: cancelled
error_code:
  description: The API's error code, when it answered with one.
  returned: when the API answered with an error
  type: str
  sample: incorrect_partner_key
http_status:
  description: The HTTP status of the API's error answer.
  returned: when the API answered with an error
  type: int
  sample: 403
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wpcom.jetpack.plugins.module_utils._module_common import (
    check_connection_options,
    client_for,
    partner_api_argument_spec,
    site_id_or_fail,
)
from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    KNOWN_SLUGS,
    cancel_outcome,
    check_plan_slug,
)


def argument_spec():
    spec = partner_api_argument_spec()
    spec.update(
        site=dict(type="str", required=True),
        state=dict(type="str", default="absent", choices=["absent", "present"]),
        plan=dict(type="str"),
        local_user=dict(type="str"),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=False)
    params = module.params

    check_connection_options(module)
    site_id = site_id_or_fail(module, params["site"])
    if params["plan"] is not None:
        problem = check_plan_slug(params["plan"])
        if problem:
            module.fail_json(msg="option plan: '%s' %s" % (params["plan"], problem), site_id=site_id)
        if params["plan"] not in KNOWN_SLUGS:
            module.warn("plan '%s' is not a slug this collection knows; sending it as given"
                        % params["plan"])
    if params["state"] == "present":
        module.fail_json(msg="option state: 'present' is not available yet in this release; "
                             "nothing was sent", site_id=site_id)

    client = client_for(module)

    result = cancel_outcome(client, site_id, plan=params["plan"])

    warning = result.pop("warning", None)
    if warning:
        module.warn(warning)
    if result["failed"]:
        result.pop("failed")
        module.fail_json(**result)
    result.pop("failed")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
