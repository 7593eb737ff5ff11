"""Changing a tenant's SLA settings (permission `settings.manage`): validated against the
workflow definitions and the tenant's reviewers, kept with who changed them and when."""

from __future__ import annotations

from chalicelib.auth.directory import ReviewerDirectory
from chalicelib.auth.permissions import permissions_of
from chalicelib.errors import InvalidRequest
from chalicelib.ids import utc_now
from chalicelib.models.permissions import CASES_DECIDE
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.sla import MAX_SLA_SECONDS, SlaSettings, SlaSettingsRequest
from chalicelib.observability import logger
from chalicelib.sla.settings import SlaSettingsStore
from chalicelib.workflows.registry import latest_definitions


def _problems(
    request: SlaSettingsRequest, tenant_id: str, directory: ReviewerDirectory
) -> list[dict[str, str]]:
    # The bundled definitions and the tenant's own (their newest versions).
    waiting = {d.id: set(d.waiting_states) for d in latest_definitions(tenant_id)}
    problems: list[dict[str, str]] = []
    for workflow, states in request.workflows.items():
        if workflow not in waiting:
            problems.append({"path": f"workflows.{workflow}", "message": "no such workflow"})
            continue
        for state, seconds in states.items():
            path = f"workflows.{workflow}.{state}"
            if state not in waiting[workflow]:
                problems.append({"path": path, "message": "not a waiting state of the workflow"})
            elif not 0 < seconds <= MAX_SLA_SECONDS:
                problems.append({"path": path, "message": f"seconds in (0, {MAX_SLA_SECONDS}]"})
    if request.escalate_to is not None:
        reviewer = directory.get_reviewer(tenant_id, request.escalate_to)
        if (
            reviewer is None
            or not reviewer.active
            or CASES_DECIDE not in permissions_of(reviewer.roles)
        ):
            problems.append({"path": "escalateTo", "message": "not a reviewer of this tenant"})
    return problems


def put_sla_settings(
    store: SlaSettingsStore,
    directory: ReviewerDirectory,
    admin: Reviewer,
    request: SlaSettingsRequest,
) -> SlaSettings:
    problems = _problems(request, admin.tenant_id, directory)
    if problems:
        raise InvalidRequest("invalid SLA settings", details=problems)
    settings = SlaSettings(
        workflows=request.workflows,
        escalate_to=request.escalate_to,
        business_hours=request.business_hours,
        updated_by=admin.id,
        updated_at=utc_now(),
    )
    store.put(admin.tenant_id, settings)
    logger.info("SLA settings changed", extra={"tenant": admin.tenant_id, "by": admin.id})
    return settings
