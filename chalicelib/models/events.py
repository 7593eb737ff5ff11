"""Domain events as published on the EventBridge bus."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from chalicelib.models.case import AuditRecord

EVENT_SOURCE = "kyc.backoffice"


class DomainEvent(BaseModel):
    """The `detail` of an EventBridge entry (camelCase on the bus); `detail-type` is `type`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)

    event_id: str
    type: str
    tenant_id: str
    case_id: str
    occurred_at: str
    actor: dict[str, Any]
    data: dict[str, Any]

    @classmethod
    def from_audit(cls, record: AuditRecord) -> DomainEvent:
        return cls(
            event_id=record.event_id,
            type=record.action,
            tenant_id=record.tenant_id,
            case_id=record.case_id,
            occurred_at=record.at,
            actor=record.actor.model_dump(exclude_none=True),
            data={"before": record.before, "after": record.after, **record.details},
        )
