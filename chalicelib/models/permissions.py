"""The permission catalogue: every permission a role can hold, with what it allows. Plain data
with no imports of the domain, so the API models (which state it as an enum) and the rules in
`chalicelib/auth/permissions.py` read the same list."""

from __future__ import annotations

from collections.abc import Mapping

CASES_READ = "cases.read"
CASES_READ_UNMASKED = "cases.read_unmasked"
CASES_CLAIM = "cases.claim"
CASES_DECIDE = "cases.decide"
CASES_APPROVE_SECOND = "cases.approve_second"
CASES_ASSIGN_OTHERS = "cases.assign_others"
OVERRIDE_CRITERIA = "cases.override_criteria"
NOTES_WRITE = "notes.write"
MESSAGES_WRITE = "messages.write"
WEBHOOKS_MANAGE = "webhooks.manage"
USERS_MANAGE = "users.manage"
ROLES_MANAGE = "roles.manage"
ANALYTICS_READ = "analytics.read"
SETTINGS_MANAGE = "settings.manage"
LAYOUTS_MANAGE = "layouts.manage"
DEFINITIONS_MANAGE = "definitions.manage"
VIEWS_SHARE = "views.share"

# The catalogue: every permission a role can hold, with what it allows.
PERMISSIONS: Mapping[str, str] = {
    CASES_READ: "See the inbox, cases, their documents and history",
    CASES_READ_UNMASKED: "See fields a layout masks, in clear",
    CASES_CLAIM: "Claim an unassigned case and let go of one's own",
    CASES_DECIDE: "Decide documents and cases assigned to oneself",
    CASES_APPROVE_SECOND: "Confirm (or return) another reviewer's approval under four-eyes",
    CASES_ASSIGN_OTHERS: "Assign and reassign cases to anyone, and decide any case",
    OVERRIDE_CRITERIA: "Approve over unmet acceptance criteria, with a justification",
    NOTES_WRITE: "Write internal notes on cases",
    MESSAGES_WRITE: "Write messages the customer sees",
    WEBHOOKS_MANAGE: "Manage webhook subscriptions and replay deliveries",
    USERS_MANAGE: "Invite, change and deactivate the tenant's users",
    ROLES_MANAGE: "Define the tenant's custom roles",
    ANALYTICS_READ: "See the team's analytics and export them",
    SETTINGS_MANAGE: "Change the tenant's settings (SLAs)",
    LAYOUTS_MANAGE: "Edit case layouts",
    DEFINITIONS_MANAGE: "Publish workflow definitions",
    VIEWS_SHARE: "Share saved inbox views with the tenant",
}
