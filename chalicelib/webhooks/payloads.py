"""The webhook body: `{type, timestamp, data}` built from a domain event and its case.

`data` is what an integrator needs to act without calling back: the ids (ours and theirs), the
previous and new state, the decision with reason and comment, the documents' decisions, the
reviewer, and times. The whole context stays behind `GET .../workflows/{id}/context`.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.models.case import Case
from chalicelib.models.events import DomainEvent, webhook_type

_DOCUMENT_DECISION_FIELDS = ("reason", "comment", "decidedAt", "decidedBy")
# Event details that only duplicate what the case gives us (or are internal snapshots).
_DROPPED_DETAILS = ("before", "after")


def document_decisions(case: Case) -> list[dict[str, Any]]:
    documents = []
    for doc in case.documents:
        decision = doc.decision.ballerine()
        documents.append(
            {
                "id": doc.id,
                "type": doc.type,
                "category": doc.category,
                "decision": {
                    "status": doc.status,
                    **{k: decision[k] for k in _DOCUMENT_DECISION_FIELDS if decision.get(k)},
                },
            }
        )
    return documents


def build_body(event: DomainEvent, case: Case | None) -> dict[str, Any]:
    kind = webhook_type(event.type)
    if kind is None:
        raise ValueError(f"no webhook for {event.type}")
    details = {k: v for k, v in event.data.items() if k not in _DROPPED_DETAILS}
    before = event.data.get("before") or {}
    after = event.data.get("after") or {}
    actor = event.actor
    data: dict[str, Any] = {
        **details,
        "eventId": event.event_id,
        "caseId": event.case_id,
        "workflowRuntimeId": event.case_id,  # Ballerine's name for the same id
        "occurredAt": event.occurred_at,
        "actor": actor,
        "reviewer": (
            {"id": actor.get("id"), "name": actor.get("name")}
            if actor.get("type") == "reviewer"
            else None
        ),
    }
    if case is not None:
        data.update(
            workflowDefinitionId=case.workflow_definition_id,
            workflowDefinitionVersion=case.workflow_definition_version,
            entityId=case.entity_id,
            ballerineEntityId=case.ballerine_entity_id,
            entity={"id": case.entity_id, "type": case.entity_type, "name": case.entity_name},
            createdAt=case.created_at,
        )
    if kind in ("workflow.state.changed", "workflow.completed"):
        data.setdefault("previousState", before.get("state"))
        data.setdefault("newState", details.get("finalState") or after.get("state"))
        if after.get("status"):
            data.setdefault("status", after["status"])
    if kind == "workflow.completed":
        data.setdefault("status", "completed")
        data.setdefault("resolvedAt", case.resolved_at if case else None)
    if kind.startswith("workflow.") and case is not None:
        data["documents"] = document_decisions(case)
    return {"type": kind, "timestamp": event.occurred_at, "data": data}


def serialize(body: dict[str, Any]) -> str:
    # Compact and stable: the same bytes are signed and sent on every attempt.
    return json.dumps(body, separators=(",", ":"), sort_keys=False, default=str)
