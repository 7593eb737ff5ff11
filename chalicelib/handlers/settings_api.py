"""Tenant settings: `/api/v1/backoffice/settings/*` (permission `settings.manage`)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.dependencies import reviewer_directory, sla_settings
from chalicelib.handlers.auth_kinds import ReviewerToken
from chalicelib.handlers.operations import operation
from chalicelib.models.permissions import SETTINGS_MANAGE
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.sla import SlaSettings, SlaSettingsRequest
from chalicelib.sla.service import put_sla_settings

settings_api = Blueprint(__name__)
SETTINGS_MANAGER = ReviewerToken(SETTINGS_MANAGE, argument="admin")


@operation(
    settings_api,
    "GET",
    "/settings/sla",
    auth=SETTINGS_MANAGER,
    summary="The tenant's SLA overrides and escalation reviewer",
    tag="settings",
    response=SlaSettings,
    errors=(403,),
)
def get_sla_settings_route(admin: Reviewer) -> SlaSettings:
    return sla_settings().get(admin.tenant_id)


@operation(
    settings_api,
    "PUT",
    "/settings/sla",
    auth=SETTINGS_MANAGER,
    summary="Replace the tenant's SLA overrides (seconds per state) and escalation reviewer",
    tag="settings",
    body=SlaSettingsRequest,
    response=SlaSettings,
    errors=(403,),
    description="Applies to cases entering a state from now on; every version is kept.",
)
def put_sla_settings_route(admin: Reviewer, body: SlaSettingsRequest) -> SlaSettings:
    return put_sla_settings(sla_settings(), reviewer_directory(), admin, body)
