"""Domain events: the one registry of event types, and the event as published on the bus.

Every committed fact is an audit record whose `action` is one of `EVENT_TYPES`; the outbox
publishes it to EventBridge with that name as `detail-type`. The registry says, per type, which
webhook integrators get (if any) and which EventBridge rules route it to a queue: the webhook
fan-out, `infra/resources.py` (the rules' patterns), docs/webhooks.md and docs/events.md (tested
against it) all read it. Adding an event type is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from chalicelib.models.case import AuditRecord

if TYPE_CHECKING:
    from chalicelib.models.admin import AdminAuditRecord

EVENT_SOURCE = "kyc.backoffice"


class Rule(StrEnum):
    """The EventBridge rules on the bus (their logical ids in infra/resources.py)."""

    WEBHOOKS = "WebhookEventsRule"  # -> webhook queue: signed deliveries to integrators
    WORKFLOW_START = "CaseCreatedRule"  # -> starts the case's Step Functions execution
    WORKFLOW_SYNC = "CaseStateChangedRule"  # -> retries moving the execution on
    PAGE_FETCH = "PagesPendingRule"  # -> fetches remote pages (when pendingPageCount > 0)
    METRICS = "MetricsEventsRule"  # -> metrics queue: the analytics aggregates
    SLA = "SlaEventsRule"  # -> SLA queue: arms and disarms the case's SLA timer
    PLUGINS = "PluginEventsRule"  # -> plugin queue: screens again what a run changed


@dataclass(frozen=True)
class EventType:
    name: str
    meaning: str
    # The webhook `type` integrators get (Ballerine's names where they exist); webhook events
    # are routed by Rule.WEBHOOKS.
    webhook: str | None = None
    rules: tuple[Rule, ...] = ()

    @property
    def routed_by(self) -> tuple[Rule, ...]:
        return ((Rule.WEBHOOKS,) if self.webhook else ()) + self.rules


EVENT_TYPES: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType(
            "case.created",
            "a workflow run opened a case",
            rules=(Rule.WORKFLOW_START, Rule.PAGE_FETCH, Rule.METRICS, Rule.SLA),
        ),
        EventType(
            "case.context_updated",
            "a workflow run updated the entity's active case",
            rules=(Rule.PAGE_FETCH, Rule.PLUGINS),
        ),
        EventType(
            "case.state_changed",
            "the case moved to another state of its workflow",
            webhook="workflow.state.changed",
            rules=(Rule.WORKFLOW_SYNC, Rule.METRICS, Rule.SLA),
        ),
        EventType(
            "case.completed",
            "the case reached a final state",
            webhook="workflow.completed",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "document.decision_changed",
            "a document's decision changed (a reviewer, or new pages reset it)",
            webhook="workflow.context.document.changed",
        ),
        EventType(
            "case.assigned",
            "the case's assignee changed",
            webhook="case.assigned",
            rules=(Rule.METRICS,),
        ),
        EventType("case.note_added", "a reviewer added a note", webhook="case.note_added"),
        EventType(
            "case.message_added",
            "a reviewer or the customer wrote a customer-visible message (not its text)",
        ),
        EventType(
            "collection.link_created",
            "a collection link was issued for the open round (never its URL or token)",
        ),
        EventType(
            "collection.submitted", "the customer submitted new pages for a collection round"
        ),
        EventType(
            "case.criteria_overridden",
            "an approval went past the case's unmet acceptance criteria",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "case.sla_breached",
            "the case passed its state's SLA deadline: flagged and escalated",
            webhook="case.sla_breached",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "case.approval_pending",
            "a maker's decision awaits a second approval (four-eyes); nothing moved",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "case.approval_confirmed",
            "a checker confirmed the pending approval; the case moved with it",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "case.approval_returned",
            "a checker returned the pending approval with a comment",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "case.approval_voided",
            "the pending approval was void: the evidence changed, or the case moved on",
            rules=(Rule.METRICS,),
        ),
        EventType(
            "workflow.context.changed",
            "a plugin (vendor check) recorded a new result on the case",
            webhook="workflow.context.changed",
        ),
        EventType(
            "case.hit_resolved",
            "a reviewer dismissed a screening hit as a false positive or confirmed it",
        ),
        EventType(
            "case.failed",
            "a plugin with onError fail failed after its retries: the case is failed",
            webhook="workflow.failed",
        ),
        EventType("case.flagged", "the system raised a flag on the case"),
        EventType("case.unflagged", "the system cleared a flag of the case"),
        EventType("workflow.waiting", "the case's execution parked its task token"),
        EventType("document.page_stored", "a remote page was fetched and stored"),
        EventType("document.page_fetch_failed", "a remote page could not be fetched"),
        # Tenant administration (the admin trail): about a user or a role, not a case.
        EventType("role.created", "a tenant admin defined a custom role"),
        EventType("role.updated", "a custom role's name or permissions changed"),
        EventType("role.deleted", "a custom role no one held was deleted"),
        EventType("user.invited", "a user was invited (a Cognito account and their roles)"),
        EventType("user.roles_changed", "a user's roles changed"),
        EventType("user.deactivated", "a user was deactivated (their open cases released)"),
        EventType("user.activated", "a deactivated user was reactivated"),
        EventType("view.created", "a reviewer saved an inbox view (personal or shared)"),
        EventType("view.updated", "a saved inbox view's name, filters or sharing changed"),
        EventType("view.deleted", "a saved inbox view was deleted"),
        EventType("layout.saved", "a tenant admin saved a new version of a case layout"),
        EventType("layout.rolled_back", "a case layout was rolled back to an earlier version"),
        EventType(
            "workflow_definition.published",
            "a tenant admin published a new version of a workflow definition",
        ),
    )
}


def webhook_type(event_type: str) -> str | None:
    event = EVENT_TYPES.get(event_type)
    return event.webhook if event else None


def detail_types(rule: Rule) -> list[str]:
    """The `detail-type`s a rule's pattern matches, in registry order."""
    return [name for name, event in EVENT_TYPES.items() if rule in event.routed_by]


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

    @property
    def resource(self) -> str:
        return f"case/{self.case_id}"

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


class AdminEvent(BaseModel):
    """A tenant-level fact from the admin trail, on the bus like a DomainEvent but about a user
    or a role (`subjectType`, `subjectId`) instead of a case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)

    event_id: str
    type: str
    tenant_id: str
    subject_type: str
    subject_id: str
    occurred_at: str
    actor: dict[str, Any]
    data: dict[str, Any]

    @property
    def resource(self) -> str:
        return f"{self.subject_type}/{self.subject_id}"

    @classmethod
    def from_admin_audit(cls, record: AdminAuditRecord) -> AdminEvent:
        return cls(
            event_id=record.event_id,
            type=record.action,
            tenant_id=record.tenant_id,
            subject_type=record.subject_type,
            subject_id=record.subject_id,
            occurred_at=record.at,
            actor=record.actor.model_dump(exclude_none=True),
            data={"before": record.before, "after": record.after, **record.details},
        )


BusEvent = DomainEvent | AdminEvent
