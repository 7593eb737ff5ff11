"""Reviewers' actions on plugin results: re-run a plugin (through the plugin worker, outside
the execution) and judge a screening hit (dismiss as a false positive, or confirm the match),
with a required reason. A judgement is kept by hit id, so it holds across re-runs that find
the same list entry for the same person."""

from __future__ import annotations

import json
from typing import Literal, Protocol

from chalicelib.auth.permissions import require_may_change_case
from chalicelib.cases import queries
from chalicelib.cases.store import CaseStore
from chalicelib.decisions.transitions import audit_record, reviewer_actor
from chalicelib.errors import CaseCompleted, NotFound, VersionConflict
from chalicelib.ids import utc_now
from chalicelib.models.case import Case, DecidedBy, HitResolution
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.definition import PluginSpec
from chalicelib.workflows.registry import get_definition


class MessageQueue(Protocol):
    def send(self, body: str) -> None: ...


def _plugin(case: Case, name: str) -> PluginSpec:
    definition = get_definition(
        case.workflow_definition_id, case.workflow_definition_version, tenant_id=case.tenant_id
    )
    spec = definition.plugin(name)
    if spec is None:
        raise NotFound(f"the case's workflow has no plugin `{name}`")
    return spec


def request_rerun(
    store: CaseStore,
    queue: MessageQueue,
    reviewer: Reviewer,
    case_id: str,
    plugin: str,
    *,
    request_id: str | None,
) -> PluginSpec:
    """Queue a re-run of `plugin` for the plugin worker (it records a new result version)."""
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    require_may_change_case(reviewer, case)
    spec = _plugin(case, plugin)
    if case.status != "active":
        raise CaseCompleted(f"the case is {case.status}: its checks cannot run again")
    queue.send(
        json.dumps(
            {
                "kind": "rerun",
                "tenantId": case.tenant_id,
                "caseId": case.case_id,
                "plugin": spec.name,
                "actor": reviewer_actor(reviewer).model_dump(),
                "requestId": request_id,
            }
        )
    )
    return spec


def resolve_hit(
    store: CaseStore,
    reviewer: Reviewer,
    case_id: str,
    plugin: str,
    hit_id: str,
    *,
    status: Literal["dismissed", "confirmed"],
    reason: str,
    expected_version: int,
    request_id: str | None,
) -> Case:
    """Record the reviewer's judgement of a hit of the plugin's latest result (audited as
    `case.hit_resolved`); 409 if the case moved on since the reviewer saw it."""
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    require_may_change_case(reviewer, case)
    _plugin(case, plugin)
    if case.status != "active":
        raise CaseCompleted(f"the case is {case.status}")
    if case.version != expected_version:
        raise VersionConflict("the case changed since you loaded it; reload and try again")
    result = case.vendor_results.get(plugin)
    hit = next((h for h in result.hits if h["id"] == hit_id), None) if result else None
    if hit is None:
        raise NotFound(f"the latest result of `{plugin}` has no hit `{hit_id}`")
    now = utc_now()
    previous = case.hit_resolutions.get(hit_id)
    updated = case.model_copy(deep=True)
    updated.hit_resolutions[hit_id] = HitResolution(
        plugin=plugin,
        status=status,
        reason=reason,
        by=DecidedBy(id=reviewer.id, name=reviewer.name),
        at=now,
    )
    updated.updated_at = now
    audit = audit_record(
        updated,
        "case.hit_resolved",
        actor=reviewer_actor(reviewer),
        at=now,
        request_id=request_id,
        before={"status": previous.status if previous else None},
        after={"status": status},
        details={
            "plugin": plugin,
            "hitId": hit_id,
            "status": status,
            "reason": reason,
            "listId": hit.get("listId"),
            "entryId": hit.get("entryId"),
            "entityId": case.entity_id,
            "workflowDefinitionId": case.workflow_definition_id,
        },
    )
    return store.update_case(updated, expected_version=case.version, audit=audit)
