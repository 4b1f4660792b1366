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
  - Provisions (O(state=present)) a Jetpack plan or standalone product for one site, or
    cancels (O(state=absent)) what the calling hosting partner provisioned for it.
  - The site is named by its address or its WordPress.com blog ID; the address is turned
    into the API's site identifier by fixed rules, returned as RV(site_id).
  - With O(state=present), the site's status is read first and decides what happens. The
    same plan already provisioned by this partner, active or pending activation, is no
    change. A higher plan over a lower one of the same family is an upgrade. A lower plan
    over a higher one fails with C(plan_downgrade_disallowed), unless
    O(allow_downgrade=true). A standalone product that the site's plan already includes is
    no change, with a message saying so.
  - With O(state=absent), a site that has no plan left, a plan that was not provisioned
    through the partner API, and a site WordPress.com does not know are all reported as no
    change.
  - A provision whose answer was lost on the way back (connection error, HTTP 500, 502 or
    504) is not sent again blindly; the site's status is read, and the provision is sent
    again only when the plan is not there.
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
      - Only the site's status (and, for a standalone product on a site with a plan, its
        upgrade paths) is read; nothing that changes the site is sent.
      - C(changed) is what a real run would report. What a real run would return from the
        provision answer (RV(auth_required), RV(next_url)) is null in check mode.
      - On a site whose status cannot be read (a site provisioned with a partner's test
        key), check mode fails, as it cannot tell what a real run would do.
  diff_mode:
    support: full
    details:
      - V(before) and V(after) list the site's products, each with its slug, whether it
        is pending, and whether it was provisioned by a partner and by this partner.
      - Diff mode reads the site's status also with O(state=absent).
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
      - The site's address, as V(https://example.com) or V(example.com/blog), or its
        WordPress.com blog ID, as V(123456789).
      - For a WordPress install in a subdirectory, give the home address, not the
        address of the core files; give those in O(siteurl).
      - The scheme and trailing slashes are dropped, the host is lower-cased and turned
        into its IDNA form, and C(/) becomes C(::). A port and the case of the path are
        kept, and C(www.) is never dropped, so one address never names another site.
      - An address with a query string, a fragment, user info, white space, C(:) in its
        path or an empty host is refused before any request is sent.
    type: str
    required: true
  state:
    description:
      - V(present) provisions O(plan) for the site, V(absent) cancels it.
    type: str
    choices: [absent, present]
    default: present
  plan:
    description:
      - Slug of a plan, V(free), V(personal), V(premium) or V(professional) (lowest
        first), or of a standalone product, V(jetpack-backup-daily),
        V(jetpack-backup-realtime), V(jetpack-scan) or V(jetpack-anti-spam).
      - A slug this collection does not know, such as V(complete), is sent all the same,
        with a warning; the server decides. Its rank is unknown, so it is only ever
        compared with the same slug.
      - Required if O(state=present).
      - With O(state=absent), the product to cancel; standalone products can only be
        cancelled by slug. Without it, the site's plan is cancelled.
      - Mutually exclusive with O(cancel_all).
    type: str
  local_user:
    description:
      - User name, ID or e-mail of an existing user of the WordPress site, who will own
        the plan.
      - Required if O(state=present).
    type: str
  siteurl:
    description:
      - The URL where the site's WordPress core files live, with its scheme, sent as the
        provision's C(siteurl).
      - Give it when WordPress sits in a subdirectory of the home address in O(site), as
        V(https://example.com/wp) for O(site=example.com).
      - Defaults to O(site) when that has a scheme, and to C(https://) followed by O(site)
        when it has none. Required if O(site) is a blog ID and O(state=present).
    type: str
  allow_downgrade:
    description:
      - What to do when the site has a higher plan of the same family than O(plan),
        which WordPress.com refuses to downgrade (C(plan_downgrade_disallowed)).
      - V(false) fails without sending anything.
      - V(true) does it the documented way, cancelling the higher plan and then
        provisioning O(plan). It only works for a higher plan this partner provisioned.
        Between the two calls the site carries neither plan.
    type: bool
    default: false
  cancel_all:
    description:
      - With O(state=absent), cancel everything the calling partner provisioned for the
        site, plans and standalone products (the API's C(cancel-all)).
      - Mutually exclusive with O(plan).
    type: bool
    default: false
  force_register:
    description:
      - Re-register the site even when WordPress.com already holds tokens for it.
      - Without it, a provision that fails because the site's tokens no longer match
        (C(method_not_found), C(remoteProvision)) is sent once more with it.
    type: bool
    default: false
  force_connect:
    description:
      - Re-connect O(local_user) even when tokens exist.
    type: bool
    default: false
  onboarding:
    description:
      - Send the owner through Jetpack's onboarding wizard.
    type: bool
    default: false
  wpcom_user_id:
    description:
      - For partner keys allowed to, the WordPress.com user to connect without
        interaction. The owner access token the answer may then carry is never returned;
        RV(owner_token_returned) says whether there was one.
    type: int
  wpcom_user_email:
    description:
      - E-mail address used to register the owner on WordPress.com, instead of the site
        user's own.
    type: str
  partner_tracking_id:
    description:
      - Tag for the activation, sent as the C(partner-tracking-id) query parameter.
    type: str
  ssh_user:
    description:
      - SSH user for Jetpack Backup. Requires one of O(ssh_password) or
        O(ssh_private_key).
    type: str
  ssh_password:
    description:
      - SSH password for O(ssh_user). Never shown.
      - Mutually exclusive with O(ssh_private_key). Requires O(ssh_user).
    type: str
    aliases: [ssh_pass]
  ssh_private_key:
    description:
      - The content (not the path) of an SSH private key for O(ssh_user). Never shown.
      - Mutually exclusive with O(ssh_password). Requires O(ssh_user).
    type: str
  ssh_host:
    description:
      - SSH host; the server uses the host of O(siteurl) when it is not given.
      - Requires O(ssh_user).
    type: str
  ssh_port:
    description:
      - SSH port; the server uses 22 when it is not given. Requires O(ssh_user).
    type: int
  ftp_user:
    description:
      - FTP user for Jetpack Backup.
    type: str
  ftp_password:
    description:
      - FTP password for O(ftp_user). Never shown. Requires O(ftp_user).
    type: str
    aliases: [ftp_pass]
  ftp_host:
    description:
      - FTP host. Requires O(ftp_user).
    type: str
  ftp_port:
    description:
      - FTP port; the server uses 21 when it is not given. Requires O(ftp_user).
    type: int
notes:
  - Runs on the controller, inside the action plugin of the same name, whatever the
    host of the task; the host needs no Python. Its arguments never go into a module
    payload file or ansible-core's C(ANSIBLE_DEBUG) output.
  - Set C(no_log) on no task; the token and every password and key are already hidden.
    Do set it on any task that stores the result of the
    M(wpcom.jetpack.jetpack_partner_token) lookup in a fact.
  - To cancel many sites in one task, use M(wpcom.jetpack.jetpack_partner_decommission),
    which is far faster than a loop over this module.
  - With O(state=present) the site's status must be readable. Sites provisioned with a
    partner's non-billed test key have none; the module then fails without provisioning.
  - A site WordPress.com does not know yet reads as a site with nothing on it, so the
    first provision of a new site is sent.
  - Only plans and products of known families are ranked for upgrades and downgrades
    (C(jetpack-plans), C(jetpack-backup)); an unknown slug goes to the server as it is.
seealso:
  - module: wpcom.jetpack.jetpack_partner_plan_info
  - module: wpcom.jetpack.jetpack_partner_decommission
  - plugin: wpcom.jetpack.jetpack_partner_token
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Provision Jetpack Premium for a new site
  wpcom.jetpack.jetpack_partner_plan:
    site: https://blog.example.com
    plan: premium
    local_user: admin
    access_token: "{{ jetpack_token }}"
  register: jetpack

- name: Tell the owner where to finish the connection
  ansible.builtin.debug:
    msg: "Visit {{ jetpack.next_url }}"
  when: jetpack.auth_required | default(false)

- name: Work on one site with the API set once for the block
  module_defaults:
    group/wpcom.jetpack.partner:
      api_url: "{{ jetpack_api_url }}"
      access_token: "{{ jetpack_token }}"
  block:
    - name: Provision Jetpack Backup with SSH credentials, WordPress in a subdirectory
      wpcom.jetpack.jetpack_partner_plan:
        site: example.com
        siteurl: https://example.com/wp
        plan: jetpack-backup-daily
        local_user: admin@example.com
        ssh_user: backup
        ssh_private_key: "{{ lookup('ansible.builtin.file', 'backup_key') }}"
        ssh_port: 2222

    - name: Move a site from Professional down to Personal (cancel, then provision)
      wpcom.jetpack.jetpack_partner_plan:
        site: shop.example.com
        plan: personal
        local_user: admin
        allow_downgrade: true

    - name: Cancel a standalone backup product
      wpcom.jetpack.jetpack_partner_plan:
        site: example.com
        plan: jetpack-backup-daily
        state: absent

    - name: Cancel everything this partner provisioned for a site
      wpcom.jetpack.jetpack_partner_plan:
        site: 123456789
        cancel_all: true
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
    - What happened, or in check mode what would happen.
    - With O(state=present), V(provisioned) the plan was new to the site; V(upgraded) it
      replaced a lower one; V(downgraded) the higher plan was cancelled and this one
      provisioned; V(already_present) this partner had already provisioned it;
      V(included_in_plan) the site's plan already includes this product; V(failed) the
      provision did not go through.
    - With O(state=absent), V(cancelled); V(already_gone) there was nothing for this
      partner to cancel; V(unknown_site) WordPress.com knows no such site, with a warning;
      V(failed) the plan was not cancelled.
  returned: when the module got as far as deciding
  type: str
  sample: provisioned
replaced:
  description: Slug of the lower (upgrade) or higher (downgrade) plan that gave way.
  returned: when O(state=present) and a plan was replaced
  type: str
  sample: personal
pending:
  description:
    - Whether O(plan) waits for the owner to finish the connection (pending activation).
      A pending plan counts as present.
    - In check mode, for a provision still to be sent, a guess from whether the site is
      connected.
  returned: when O(state=present)
  type: bool
  sample: false
auth_required:
  description:
    - Whether the owner must visit RV(next_url) to finish the connection.
    - Null when no provision answer was received (no change, check mode, or an answer
      recovered from status after it was lost).
  returned: when O(state=present)
  type: bool
  sample: true
next_url:
  description:
    - Where the owner finishes the connection, or a single sign-on link to wp-admin.
      Empty when WordPress.com cannot resolve the site's host yet (pending activation).
    - Null when no provision answer was received.
  returned: when O(state=present)
  type: str
  sample: https://wordpress.com/jetpack/connect?site=example.com
recovered:
  description: True when the provision's answer was lost and the status showed the plan.
  returned: when O(state=present) and a provision was sent
  type: bool
  sample: false
owner_token_returned:
  description: Whether the answer carried an access token for the owner (never shown).
  returned: when O(state=present) and a provision answer was received
  type: bool
  sample: false
ssh_set:
  description: Whether the SSH credentials were stored, as the answer says.
  returned: when the answer says
  type: bool
ssh_error:
  description: Why the SSH credentials were not stored, as the answer says.
  returned: when the answer says
  type: str
ftp_set:
  description: Whether the FTP credentials were stored, as the answer says.
  returned: when the answer says
  type: bool
ftp_error:
  description: Why the FTP credentials were not stored, as the answer says.
  returned: when the answer says
  type: str
activations:
  description: With O(cancel_all), the slugs that were cancelled.
  returned: when the cancel answer lists them
  type: list
  elements: str
pending_activations:
  description: With O(cancel_all), the pending slugs that were cancelled.
  returned: when the cancel answer lists them
  type: list
  elements: str
notes:
  description: What the module did on its own, such as a retry with force_register.
  returned: when O(state=present)
  type: list
  elements: str
error_code:
  description: The API's error code, or the reason the module refused to send.
  returned: on failure, and with O(state=absent) when the API answered with one
  type: str
  sample: incorrect_partner_key
http_status:
  description: The HTTP status of the API's error answer.
  returned: when the API answered with an error
  type: int
  sample: 403
"""

from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wpcom.jetpack.plugins.module_utils._module_common import (
    check_connection_options,
    client_for,
    partner_api_argument_spec,
    site_id_or_fail,
)
from ansible_collections.wpcom.jetpack.plugins.module_utils._partner_api import (
    ALREADY_PRESENT,
    CANCELLED,
    DOWNGRADED,
    FAILED,
    INCLUDED_IN_PLAN,
    KNOWN_SLUGS,
    PLANS_FAMILY,
    PROVISIONED,
    UNKNOWN_SITE,
    UPGRADED,
    PartnerApiError,
    cancel_outcome,
    check_plan_slug,
    decide_provision,
    family_of,
    offered_slugs,
    predict_after,
    predict_cancel,
    products_view,
    provision_error_text,
    provision_plan,
    safe_address,
    site_plan,
    status_error_text,
)

# Provision answer fields passed on as they come.
ANSWER_FIELDS = ("ssh_set", "ssh_error", "ftp_set", "ftp_error")


def argument_spec():
    spec = partner_api_argument_spec()
    spec.update(
        site=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["absent", "present"]),
        plan=dict(type="str"),
        local_user=dict(type="str"),
        siteurl=dict(type="str"),
        allow_downgrade=dict(type="bool", default=False),
        cancel_all=dict(type="bool", default=False),
        force_register=dict(type="bool", default=False),
        force_connect=dict(type="bool", default=False),
        onboarding=dict(type="bool", default=False),
        wpcom_user_id=dict(type="int"),
        wpcom_user_email=dict(type="str"),
        partner_tracking_id=dict(type="str", no_log=False),
        ssh_user=dict(type="str"),
        ssh_password=dict(type="str", no_log=True, aliases=["ssh_pass"]),
        ssh_private_key=dict(type="str", no_log=True),
        ssh_host=dict(type="str"),
        ssh_port=dict(type="int"),
        ftp_user=dict(type="str"),
        ftp_password=dict(type="str", no_log=True, aliases=["ftp_pass"]),
        ftp_host=dict(type="str"),
        ftp_port=dict(type="int"),
    )
    return spec


MODULE_CONSTRAINTS = dict(
    required_if=[("state", "present", ("plan", "local_user"))],
    # plan and cancel_all are checked by hand: this would also refuse cancel_all=false.
    mutually_exclusive=[("ssh_password", "ssh_private_key")],
    required_by={
        "ssh_password": "ssh_user",
        "ssh_private_key": "ssh_user",
        "ssh_host": "ssh_user",
        "ssh_port": "ssh_user",
        "ftp_password": "ftp_user",
        "ftp_host": "ftp_user",
        "ftp_port": "ftp_user",
    },
)


def check_options(module, site_id):
    """Fail, before any request, on option values that cannot work."""
    params = module.params
    if params["plan"] is not None:
        problem = check_plan_slug(params["plan"])
        if problem:
            module.fail_json(msg="option plan: '%s' %s" % (params["plan"], problem),
                             site_id=site_id)
        if params["plan"] not in KNOWN_SLUGS:
            module.warn("plan '%s' is not a slug this collection knows; sending it as given"
                        % params["plan"])

    if params["state"] == "absent":
        if params["plan"] and params["cancel_all"]:
            module.fail_json(msg="options plan and cancel_all: give one or the other",
                             site_id=site_id)
        return

    if params["ssh_user"] and not (params["ssh_password"] or params["ssh_private_key"]):
        module.fail_json(msg="option ssh_user: requires one of ssh_password or "
                             "ssh_private_key", site_id=site_id)
    for name in ("ssh_port", "ftp_port"):
        if params[name] is not None and not 0 < params[name] < 65536:
            module.fail_json(msg="option %s: must be from 1 to 65535, got %d"
                             % (name, params[name]), site_id=site_id)
    if params["cancel_all"]:
        module.fail_json(msg="option cancel_all: only applies with state=absent",
                         site_id=site_id)


def provision_siteurl(module, site_id):
    """The ``siteurl`` to send: the core files' URL, always with its scheme."""
    params = module.params
    siteurl = params["siteurl"]
    option = "siteurl"
    if siteurl is None:
        if site_id.isdigit():
            module.fail_json(msg="option siteurl: required when site is a blog ID; give the "
                                 "URL of the WordPress core files, with https://",
                             site_id=site_id)
        option = "site"
        siteurl = params["site"] if "://" in params["site"] else "https://" + params["site"]

    try:
        parts = urlsplit(siteurl)
        parts.port
    except ValueError as exc:
        module.fail_json(msg="option %s: '%s' is not a URL (%s)"
                         % (option, safe_address(siteurl), exc), site_id=site_id)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        module.fail_json(msg="option %s: '%s' must start with https:// or http:// and name a "
                             "host" % (option, safe_address(siteurl)), site_id=site_id)
    if parts.username or parts.password or parts.query or parts.fragment:
        module.fail_json(msg="option %s: '%s' must not carry user info, a query string or a "
                             "fragment" % (option, safe_address(siteurl)), site_id=site_id)
    return siteurl.rstrip("/")


def provision_form(module, siteurl):
    params = module.params
    form = {"plan": params["plan"], "siteurl": siteurl, "local_user": params["local_user"]}
    for name in ("force_register", "force_connect", "onboarding"):
        if params[name]:
            form[name] = "true"
    fields = {"wpcom_user_id": "wpcom_user_id", "wpcom_user_email": "wpcom_user_email",
              "ssh_user": "ssh_user", "ssh_password": "ssh_pass",
              "ssh_private_key": "ssh_private_key", "ssh_host": "ssh_host",
              "ssh_port": "ssh_port", "ftp_user": "ftp_user", "ftp_password": "ftp_pass",
              "ftp_host": "ftp_host", "ftp_port": "ftp_port"}
    for option, field in fields.items():
        if params[option] is not None:
            form[field] = str(params[option])
    return form


def read_status(module, client, site_id):
    try:
        return client.site_status(site_id)
    except PartnerApiError as exc:
        module.fail_json(msg=status_error_text(site_id, exc), site_id=site_id,
                         **exc.as_result())


def diff_of(site_id, before, after):
    return {"before": {"site_id": site_id, "products": products_view(before)},
            "after": {"site_id": site_id, "products": products_view(after)}}


def included_product(module, client, site_id, status, slug):
    """The plan that already includes standalone product ``slug``, or None.

    Asked of upgrade-paths (API.md section 8) only for a known product on a site with a
    plan: what it no longer offers, and the site does not hold, its plan includes.
    """
    plan = site_plan(status)
    if plan is None or family_of(slug) in (None, PLANS_FAMILY):
        return None

    try:
        offered = offered_slugs(client.upgrade_paths(site_id))
    except PartnerApiError as exc:
        module.warn("could not read the upgrade paths of %s, so whether its plan includes %s "
                    "is the server's to say (%s)" % (site_id, slug, exc.message))
        return None
    return None if slug in offered else plan


def present(module, client, site_id, siteurl):
    params = module.params
    slug = params["plan"]
    form = provision_form(module, siteurl)
    if params["partner_tracking_id"]:
        form["partner-tracking-id"] = params["partner_tracking_id"]

    before = read_status(module, client, site_id)
    decision = decide_provision(before, slug, params["allow_downgrade"])
    result = {"site_id": site_id, "changed": False, "pending": None, "auth_required": None,
              "next_url": None, "notes": []}
    if decision["action"] == "refuse":
        module.fail_json(msg="%s: %s" % (site_id, decision["msg"]),
                         error_code=decision["error_code"], **result)

    if decision["action"] == "provision" and slug not in {p["slug"] for p in before["products"]}:
        plan = included_product(module, client, site_id, before, slug)
        if plan is not None:
            decision = {"action": "none", "replaces": None, "included_in": plan,
                        "msg": "the site's plan %s already includes %s; nothing to provision"
                               % (plan, slug)}

    if decision["action"] == "none":
        held = [p for p in before["products"] if p["slug"] == slug]
        result.update(outcome=INCLUDED_IN_PLAN if decision.get("included_in") else ALREADY_PRESENT,
                      pending=held[0]["pending"] if held else False, msg=decision["msg"])
        if module._diff:
            result["diff"] = diff_of(site_id, before, before)
        module.exit_json(**result)

    outcomes = {"provision": PROVISIONED, "upgrade": UPGRADED, "downgrade": DOWNGRADED}
    result.update(changed=True, outcome=outcomes[decision["action"]], msg=decision["msg"])
    if decision["replaces"] is not None:
        result["replaced"] = decision["replaces"]["slug"]

    if module.check_mode:
        result["pending"] = not before["connected"]
        if module._diff:
            after = predict_after(before, slug, decision["action"], decision["replaces"],
                                  result["pending"])
            result["diff"] = diff_of(site_id, before, after)
        module.exit_json(**result)

    if decision["action"] == "downgrade":
        cancelled = cancel_outcome(client, site_id, plan=decision["replaces"]["slug"])
        if cancelled["outcome"] != CANCELLED:
            module.fail_json(msg="downgrade of %s: could not cancel %s first, nothing was "
                                 "provisioned: %s" % (site_id, decision["replaces"]["slug"],
                                                      cancelled["msg"]),
                             error_code=cancelled["error_code"],
                             **dict(result, changed=False, outcome=FAILED))

    try:
        answer, notes = provision_plan(client, form, site_id)
    except PartnerApiError as exc:
        result.update(exc.as_result())
        # After the cancel of a downgrade the site has changed even though this failed.
        result["changed"] = decision["action"] == "downgrade"
        result["outcome"] = FAILED
        result.pop("msg")
        msg = provision_error_text(site_id, exc)
        if decision["action"] == "downgrade":
            msg = "%s was cancelled for the downgrade, so %s now carries no plan of that " \
                  "family; %s" % (decision["replaces"]["slug"], site_id, msg)
        module.fail_json(msg=msg, **result)

    if answer.get("recovered"):
        pending = answer["pending"]
    else:
        pending = bool(answer.get("auth_required")) or answer.get("next_url") == ""
    result.update(pending=pending, auth_required=answer.get("auth_required"),
                  next_url=client.redact(answer.get("next_url")),
                  recovered=bool(answer.get("recovered")), notes=notes)
    if not answer.get("recovered"):
        result["owner_token_returned"] = answer["owner_token_returned"]
    for field in ANSWER_FIELDS:
        if field in answer:
            # An error text from the site may quote the credentials it was given.
            value = answer[field]
            result[field] = client.redact(value) if isinstance(value, str) else value
    for note in notes:
        module.warn(note)
    if module._diff:
        after = predict_after(before, slug, decision["action"], decision["replaces"], pending)
        result["diff"] = diff_of(site_id, before, after)
    module.exit_json(**result)


def absent(module, client, site_id):
    params = module.params
    before = None
    if module.check_mode or module._diff:
        try:
            before = client.site_status(site_id)
        except PartnerApiError as exc:
            if module.check_mode:
                module.fail_json(msg=status_error_text(site_id, exc), site_id=site_id,
                                 **exc.as_result())
            else:
                # A diff is a view of the change; it must not stop the cancel itself.
                module.warn("no diff for %s: %s" % (site_id, status_error_text(site_id, exc)))

    if module.check_mode:
        outcome, code, after = predict_cancel(before, params["plan"], params["cancel_all"])
        result = {"site_id": site_id, "outcome": outcome, "changed": outcome == CANCELLED,
                  "error_code": code}
        if module._diff:
            result["diff"] = diff_of(site_id, before, after)
        if outcome == UNKNOWN_SITE:
            module.warn("site '%s' is unknown to WordPress.com: nothing would be cancelled. "
                        "If the address is mistyped, the real site still has its plan"
                        % site_id)
        if outcome == FAILED:
            module.fail_json(msg="%s: a cancel would fail: the plan was provisioned by another "
                                 "partner, and only that partner can cancel it" % site_id,
                             **result)
        result["msg"] = "check mode: %s would be %s" % (site_id, outcome)
        module.exit_json(**result)

    result = cancel_outcome(client, site_id, plan=params["plan"],
                            cancel_all=params["cancel_all"])

    warning = result.pop("warning", None)
    if warning:
        module.warn(warning)
    failed = result.pop("failed")
    if module._diff and before is not None:
        after = before
        if result["outcome"] == CANCELLED:
            after = predict_cancel(before, params["plan"], params["cancel_all"])[2]
        result["diff"] = diff_of(site_id, before, after)
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


def run(module):
    """The module's work; ``module`` is an AnsibleModule or the action plugin's stand-in."""
    check_connection_options(module)
    site_id = site_id_or_fail(module, module.params["site"])
    check_options(module, site_id)
    siteurl = None
    if module.params["state"] == "present":
        siteurl = provision_siteurl(module, site_id)

    client = client_for(module)

    if module.params["state"] == "present":
        present(module, client, site_id, siteurl)
    absent(module, client, site_id)


def main():
    run(AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                      **MODULE_CONSTRAINTS))


if __name__ == "__main__":
    main()
