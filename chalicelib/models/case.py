"""Domain records of a case as the case store keeps them.

A case holds two kinds of data, kept apart: the integrator's `context` (exactly as sent, merged
on re-runs, unknown fields kept, inline page bytes moved to S3) and the records the system
decides or derives itself (document decisions, page history, page storage, and the fields
later capabilities fill). `Case.facts` joins both into the one read-only view that every
reader uses: rules, the case view, webhook payloads and the Ballerine-compatible outputs.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

CaseStatus = Literal["active", "completed", "failed"]
DecisionStatus = Literal["pending", "approved", "rejected", "revision"]
ActorType = Literal["integrator", "reviewer", "system", "customer"]
PageStorageStatus = Literal["stored", "pending", "failed"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class OpenRecord(BaseModel):
    """An integrator's object seen through a typed lens: camelCase on the wire, unknown kept."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", defer_build=True
    )


class Actor(Record):
    type: ActorType
    id: str
    name: str | None = None


class PageStorage(Record):
    """Where a page's bytes are: kept beside the context so a fetch never bumps the case version."""

    status: PageStorageStatus
    key: str | None = None
    content_type: str | None = None
    size: int | None = None
    error: str | None = None
    source_uri: str | None = None
    updated_at: str


class WorkflowTransition(Record):
    """A committed state change that the case's Step Functions execution must follow.

    Transitions are numbered per case in commit order (`seq` 1, 2, ...); the workflow sync
    delivers them to the execution strictly in that order (see `cases.workflow_runtime`)."""

    seq: int
    event: str
    from_state: str
    to_state: str
    at: str


class InflightTransition(WorkflowTransition):
    """A transition claimed by the workflow sync whose task token is being (re)sent. Only the
    lease holder sends; an expired (or released, "") lease can be taken over by a retry."""

    token: str
    lease_until: str = ""


class DecidedBy(Record):
    id: str
    name: str | None = None


class DocumentDecision(Record):
    """A reviewer's decision on one document; `pending` until someone decides."""

    status: DecisionStatus = "pending"
    reason: str | None = None
    comment: str | None = None
    decided_by: DecidedBy | None = None
    decided_at: str | None = None
    # Ballerine's free-text reason, kept where Ballerine has one (rejected / revision).
    rejection_reason: str | None = None
    revision_reason: str | None = None

    def ballerine(self) -> dict[str, Any]:
        """The decision as it sits in Ballerine's `context.documents[i].decision`."""
        rendered: dict[str, Any] = {
            "status": self.status,
            "reason": self.reason,
            "comment": self.comment,
            "decidedBy": self.decided_by.model_dump() if self.decided_by else None,
            "decidedAt": self.decided_at,
        }
        if self.rejection_reason is not None:
            rendered["rejectionReason"] = self.rejection_reason
        if self.revision_reason is not None:
            rendered["revisionReason"] = self.revision_reason
        return rendered

    @classmethod
    def from_ballerine(cls, value: Any) -> DocumentDecision:
        """Read a decision written inside the context by code before the case facts existed."""
        if not isinstance(value, dict):
            return cls()
        status = value.get("status")
        decided_by = value.get("decidedBy")
        return cls(
            status=status if status in ("approved", "rejected", "revision") else "pending",
            reason=_text(value.get("reason")),
            comment=_text(value.get("comment")),
            decided_by=(
                DecidedBy(id=str(decided_by["id"]), name=_text(decided_by.get("name")))
                if isinstance(decided_by, dict) and decided_by.get("id")
                else None
            ),
            decided_at=_text(value.get("decidedAt")),
            rejection_reason=_text(value.get("rejectionReason")),
            revision_reason=_text(value.get("revisionReason")),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class DocumentPage(OpenRecord):
    """A page of a document as the integrator sent it (plus our `id`; inline bytes are in S3)."""

    id: str = ""
    provider: str = ""
    uri: str | None = None
    type: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    ballerine_file_id: str | None = None


class PageSet(Record):
    """Pages a document had before a re-run replaced them."""

    replaced_at: str | None = None
    # Kept exactly as the integrator sent them (with our ids): they are shown back as sent.
    pages: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def document_pages(self) -> list[DocumentPage]:
        return [DocumentPage.model_validate(page) for page in self.pages]

    def ballerine(self) -> dict[str, Any]:
        return {"replacedAt": self.replaced_at, "pages": copy.deepcopy(self.pages)}


class DocumentRecord(Record):
    """What the system keeps about one document: never read from the integrator's context."""

    decision: DocumentDecision = Field(default_factory=DocumentDecision)
    page_history: list[PageSet] = Field(default_factory=list)  # newest first


class CaseDocument(Record):
    """One document of the case facts: the integrator's fields joined with its record."""

    id: str
    type: str
    category: str
    issuer: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    version: int | None = None
    pages: list[DocumentPage] = Field(default_factory=list)
    decision: DocumentDecision = Field(default_factory=DocumentDecision)
    page_history: list[PageSet] = Field(default_factory=list)

    @property
    def status(self) -> DecisionStatus:
        return self.decision.status


PluginRunStatus = Literal["succeeded", "failed"]
HitResolutionStatus = Literal["dismissed", "confirmed"]


class PluginResult(Record):
    """One run of a plugin (a vendor check of the workflow definition), recorded by the back
    office itself: never the integrator's `context.pluginsOutput`, which cannot forge one.

    `version` counts the plugin's runs on the case (a re-run records the next); `input_digest`
    is the sha256 of the mapped input, so a reader knows which facts the result was about."""

    plugin: str
    provider: str
    # The provider's version, or for screening the versions of the lists it screened against.
    provider_version: str | None = None
    version: int = Field(default=1, ge=1)
    status: PluginRunStatus
    trigger: str = "ingest"
    started_at: str
    finished_at: str
    input_digest: str
    data: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    # The digest of the Step Functions task token the run answered: a redelivered message for
    # a run already recorded is not recorded twice.
    run_key: str | None = None

    @property
    def hits(self) -> list[dict[str, Any]]:
        """The screening hits of the result (`data.hits`), each with its `id`."""
        hits = self.data.get("hits")
        return (
            [h for h in hits if isinstance(h, dict) and h.get("id")]
            if isinstance(hits, list)
            else []
        )


class HitResolution(Record):
    """A reviewer's judgement of one screening hit: a false positive (`dismissed`) or a true
    match (`confirmed`). Keyed by the hit's id, which names the list entry and the screened
    person, so it holds across re-runs that find the same entry again."""

    plugin: str
    status: HitResolutionStatus
    reason: str
    by: DecidedBy
    at: str


# The flag a case carries while an approval is pending (the inbox filters on it).
AWAITING_SECOND_APPROVAL = "awaiting_second_approval"


class PendingApproval(Record):
    """A maker's first approval under four-eyes, pinned to the evidence digest it saw
    (`evidence_digest(case)` when the maker decided). A checker confirms it, or returns it."""

    decision: str
    evidence_digest: str
    maker: DecidedBy
    requested_at: str
    reason: str | None = None
    comment: str | None = None
    # The decision came from deciding the last document (auto-resolution), not the case route.
    automatic: bool = False
    # The maker approved past unmet criteria: `{by, justification, criteria}` (already audited).
    criteria_override: dict[str, Any] | None = None
    # `evidence_parts` when the maker decided: what changed, if the digest no longer matches.
    evidence_parts: dict[str, str] = Field(default_factory=dict)
    # The state the decision was made in: a case that moved on since cannot confirm it.
    state: str | None = None


class RequestedDocument(Record):
    """One item of a collection round: a document to re-upload (`document_id`), or a document
    type the case does not have yet (`document_id` None)."""

    document_id: str | None = None
    type: str
    category: str
    reason: str | None = None
    message: str | None = None

    @property
    def key(self) -> str:
        """How the customer's answer names this item."""
        return self.document_id or f"new:{self.category}:{self.type}"


class CollectionRound(Record):
    """One round of asking the customer to re-upload documents (numbered 1, 2, ... per case).

    `link_generation` is the generation of the round's valid links: "new link" bumps it, which
    revokes every link minted before (a link carries the generation it was minted for)."""

    round_id: str
    number: int = 1
    document_ids: list[str] = Field(default_factory=list)
    requested: list[RequestedDocument] = Field(default_factory=list)
    message: str | None = None
    reason: str | None = None
    sent_at: str
    sent_by: DecidedBy | None = None
    expires_at: str | None = None
    link_generation: int = 1
    completed_at: str | None = None
    completed_by: Literal["customer", "integrator"] | None = None

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class SlaTimer(Record):
    """The deadline of the state the case is in. Each arming bumps `generation`; a timer message
    acts only while the case still carries its generation (docs/sla.md). No `due_at`: the
    state has no SLA (the clock does not run)."""

    state: str
    due_at: str | None = None
    generation: int = 0
    status: Literal["on_track", "at_risk", "breached"] = "on_track"
    entered_at: str | None = None
    # When 80 % of the budget is gone, on the same (business) clock as `due_at`.
    at_risk_at: str | None = None


class Case(Record):
    # Fields the DynamoDB store keeps as JSON text rather than maps: free-form integrator
    # data whose numbers must survive exactly (a DynamoDB map would turn them into Decimal).
    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"context", "config", "document_records", "vendor_results", "hit_resolutions"}
    )
    # What is not evidence a reviewer judges: how the case moves (state, assignment, versions,
    # the execution's bookkeeping, timers, requests to the customer) and the four-eyes record
    # itself. Every other field is evidence (`evidence_digest`), so a record a later capability
    # adds is pinned by a pending approval unless it is listed here.
    NOT_EVIDENCE: ClassVar[frozenset[str]] = frozenset(
        {
            "state", "status", "version", "assignee_id", "created_at", "updated_at",
            "resolved_at", "config", "flags", "task_token", "task_token_state",
            "workflow_transitions", "execution_state", "execution_delivered",
            "execution_inflight", "records_version", "pending_approval", "collection_rounds",
            "sla_timer",
        }
    )  # fmt: skip
    # Bumped when the stored shape of the system's records changes; items without it were
    # written before the records left the context and are migrated when read.
    RECORDS_VERSION: ClassVar[int] = 1

    case_id: str
    tenant_id: str
    workflow_definition_id: str
    workflow_definition_version: int
    state: str
    status: CaseStatus = "active"
    version: int = 1
    assignee_id: str | None = None
    # When the current assignee got the case, and when anyone first did; how many times it was
    # sent back for a re-upload. Carried in the domain events so analytics measures durations
    # from the case's own times, whatever order the events arrive in.
    assigned_at: str | None = None
    first_assigned_at: str | None = None
    revision_rounds: int = 0
    created_at: str
    updated_at: str
    resolved_at: str | None = None
    entity_type: Literal["individual", "business"]
    entity_id: str
    ballerine_entity_id: str
    entity_name: str
    context: dict[str, Any]
    config: dict[str, Any] = Field(default_factory=dict)
    page_storage: dict[str, PageStorage] = Field(default_factory=dict)
    task_token: str | None = None
    task_token_state: str | None = None
    flags: list[str] = Field(default_factory=list)
    # Written with the case (versioned): transitions the execution has not followed yet. A
    # writer keeps only those with seq > execution_delivered, so the list stays short.
    workflow_transitions: list[WorkflowTransition] = Field(default_factory=list)
    # Written only by the workflow sync and the task-token parker (never bump `version`): the
    # state the execution waits in (or is about to), how many transitions it has been sent, and
    # the one being sent right now.
    execution_state: str | None = None
    execution_delivered: int = 0
    execution_inflight: InflightTransition | None = None
    # The system's own records, written with the case (versioned). Document ids key them.
    records_version: int = RECORDS_VERSION
    document_records: dict[str, DocumentRecord] = Field(default_factory=dict)
    # The latest result of each plugin (by plugin name), and the reviewers' judgements of
    # screening hits (by hit id; see `HitResolution`).
    vendor_results: dict[str, PluginResult] = Field(default_factory=dict)
    hit_resolutions: dict[str, HitResolution] = Field(default_factory=dict)
    pending_approval: PendingApproval | None = None
    collection_rounds: list[CollectionRound] = Field(default_factory=list)
    sla_timer: SlaTimer | None = None

    @property
    def facts(self) -> CaseFacts:
        return CaseFacts(self)

    @property
    def open_round(self) -> CollectionRound | None:
        """The collection round waiting on the customer, if any (only the newest can be open)."""
        latest = self.collection_rounds[-1] if self.collection_rounds else None
        return latest if latest is not None and latest.is_open else None

    @property
    def documents(self) -> list[CaseDocument]:
        return self.facts.documents

    @property
    def context_documents(self) -> list[dict[str, Any]]:
        """The documents of the integrator's context, as sent (with our ids)."""
        documents = self.context.get("documents")
        return [d for d in documents if isinstance(d, dict)] if isinstance(documents, list) else []

    @property
    def entity_data(self) -> dict[str, Any]:
        return (self.context.get("entity") or {}).get("data") or {}

    @property
    def documents_needing_decision(self) -> int:
        return self.facts.documents_needing_decision

    def document_record(self, document_id: str) -> DocumentRecord:
        """The record of a document, created on first use (a document starts pending)."""
        return self.document_records.setdefault(document_id, DocumentRecord())

    def next_transition_seq(self) -> int:
        return max([t.seq for t in self.workflow_transitions] + [self.execution_delivered]) + 1

    def undelivered_transitions(self) -> list[WorkflowTransition]:
        return sorted(
            (t for t in self.workflow_transitions if t.seq > self.execution_delivered),
            key=lambda t: t.seq,
        )

    def pending_pages(self) -> list[tuple[str, str]]:
        """(page id, uri) of remote pages still waiting to be fetched."""
        return [
            (page_id, storage.source_uri)
            for page_id, storage in self.page_storage.items()
            if storage.status == "pending" and storage.source_uri
        ]


def evidence(case: Case) -> dict[str, Any]:
    """What a reviewer judged when deciding: the integrator's context (entity, documents and
    their pages, custom data, its check results), the system's records (document decisions and
    page history, page storage, vendor results) and anything else not in `Case.NOT_EVIDENCE`."""
    data = case.model_dump(mode="json", exclude=set(Case.NOT_EVIDENCE))
    # When a page's storage was last touched is not evidence (a retried fetch), what it holds is.
    for storage in data.get("page_storage", {}).values():
        storage.pop("updated_at", None)
    return data


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def evidence_digest(case: Case) -> str:
    """sha256 of the case's evidence as canonical JSON (sorted keys, no whitespace): equal
    digests mean the checker sees what the maker saw."""
    return _digest(evidence(case))


def evidence_parts(case: Case) -> dict[str, str]:
    """A digest per evidence field, so that a changed digest can say what changed."""
    return {field: _digest(value)[:16] for field, value in evidence(case).items()}


class CaseFacts:
    """The read-only view of a case: the integrator's context joined with the system's records.

    Everything that shows or judges a case reads this, so a document's decision and its page
    history come from the case's records and never from what an integrator put in the context.
    """

    # Ballerine keeps third-party results under `pluginsOutput`; some integrators send their own
    # key. Either way it is the integrator's data, not a check the back office ran.
    INTEGRATOR_RESULT_KEYS = ("pluginsOutput", "thirdPartyData")

    def __init__(self, case: Case) -> None:
        self.case = case
        self.documents = [self._document(raw) for raw in case.context_documents if raw.get("id")]

    def _document(self, raw: dict[str, Any]) -> CaseDocument:
        record = self.case.document_records.get(raw["id"]) or DocumentRecord()
        version = raw.get("version")
        return CaseDocument(
            id=str(raw["id"]),
            type=str(raw.get("type", "")),
            category=str(raw.get("category", "")),
            issuer=_mapping(raw.get("issuer")),
            properties=_mapping(raw.get("properties")),
            version=version if isinstance(version, int) else None,
            pages=[DocumentPage.model_validate(p) for p in raw.get("pages") or [] if p],
            decision=record.decision,
            page_history=record.page_history,
        )

    def document(self, document_id: str) -> CaseDocument | None:
        return next((d for d in self.documents if d.id == document_id), None)

    @property
    def documents_needing_decision(self) -> int:
        """Documents a reviewer still has to decide (re-upload requests wait on the customer)."""
        return sum(1 for doc in self.documents if doc.status == "pending")

    @property
    def integrator_results(self) -> dict[str, Any]:
        """Check results the integrator supplied in its context (not verified by us)."""
        context = self.case.context
        return {
            name: value
            for key in self.INTEGRATOR_RESULT_KEYS
            if isinstance(context.get(key), dict)
            for name, value in context[key].items()
        }

    @property
    def ubos(self) -> list[dict[str, Any]]:
        return self._people("ubos")

    @property
    def directors(self) -> list[dict[str, Any]]:
        return self._people("directors")

    def _people(self, key: str) -> list[dict[str, Any]]:
        """UBOs or directors: under `entity.data` (Ballerine's) or `entity` itself."""
        entity = _mapping(self.case.context.get("entity"))
        value = self.case.entity_data.get(key) or entity.get(key)
        return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []

    def rule_data(self) -> dict[str, Any]:
        """The facts acceptance criteria judge (JSON Logic data; see docs/workflow-definitions.md).
        Absent facts stay absent (not empty) so that a rule reading them is `unknown`."""
        entity = _mapping(self.case.context.get("entity"))
        has_people = {
            key: bool(self.case.entity_data.get(key) or entity.get(key))
            for key in ("ubos", "directors")
        }
        return copy.deepcopy(
            {
                "case": {
                    "state": self.case.state,
                    "status": self.case.status,
                    "workflowDefinitionId": self.case.workflow_definition_id,
                },
                "entity": {
                    "id": self.case.entity_id,
                    "type": self.case.entity_type,
                    "name": self.case.entity_name,
                    "data": self.case.entity_data,
                    "ubos": self.ubos if has_people["ubos"] else None,
                    "directors": self.directors if has_people["directors"] else None,
                },
                "documents": [
                    {
                        "id": doc.id,
                        "type": doc.type,
                        "category": doc.category,
                        "issuer": doc.issuer,
                        "properties": doc.properties,
                        "pageCount": len(doc.pages),
                        "decision": {"status": doc.status, "reason": doc.decision.reason},
                    }
                    for doc in self.documents
                ],
                "customData": self.case.context.get("customData"),
                "vendorResults": self.vendor_results,
                "integratorResults": self.integrator_results,
            }
        )

    @property
    def vendor_results(self) -> dict[str, dict[str, Any]]:
        """Each plugin's latest result as rules read it. A result with screening hits also
        counts them by the reviewers' judgement: `unresolvedHits` (not judged yet),
        `confirmedHits`, `dismissedHits`; absent when the run failed, so a rule reading them
        is `unknown`, never `met`."""
        results: dict[str, dict[str, Any]] = {}
        for name, result in self.case.vendor_results.items():
            view: dict[str, Any] = {
                "status": result.status,
                "provider": result.provider,
                "version": result.version,
                "data": result.data,
            }
            if result.status == "succeeded" and "hits" in result.data:
                judged = [self.case.hit_resolutions.get(hit["id"]) for hit in result.hits]
                view["hits"] = len(judged)
                view["unresolvedHits"] = sum(1 for j in judged if j is None)
                view["confirmedHits"] = sum(1 for j in judged if j and j.status == "confirmed")
                view["dismissedHits"] = sum(1 for j in judged if j and j.status == "dismissed")
            results[name] = view
        return results

    def ballerine_context(self) -> dict[str, Any]:
        """The context as Ballerine shows it: the integrator's, with each document's decision
        (and, once pages were replaced, its `pageHistory`) rendered in place from the records."""
        context = copy.deepcopy(self.case.context)
        for raw in context.get("documents") or []:
            if not isinstance(raw, dict) or not raw.get("id"):
                continue
            record = self.case.document_records.get(raw["id"]) or DocumentRecord()
            raw["decision"] = record.decision.ballerine()
            raw.pop("pageHistory", None)
            if record.page_history:
                raw["pageHistory"] = [entry.ballerine() for entry in record.page_history]
        return context


def migrate_legacy_records(case: Case) -> Case:
    """A case written before the records left the context kept each document's decision and
    page history inside `context.documents[i]`: move them into the case's records."""
    context = copy.deepcopy(case.context)
    records: dict[str, DocumentRecord] = {}
    for raw in context.get("documents") or []:
        if not isinstance(raw, dict) or not raw.get("id"):
            continue
        history = raw.pop("pageHistory", None) or []
        records[str(raw["id"])] = DocumentRecord(
            decision=DocumentDecision.from_ballerine(raw.pop("decision", None)),
            page_history=[
                PageSet(
                    replaced_at=_text(entry.get("replacedAt")),
                    pages=[p for p in entry.get("pages") or [] if isinstance(p, dict)],
                )
                for entry in history
                if isinstance(entry, dict)
            ],
        )
    return case.model_copy(
        update={
            "context": context,
            "document_records": records,
            "records_version": Case.RECORDS_VERSION,
        }
    )


class AuditRecord(Record):
    """An append-only fact about a case; the audit trail and the outbox are the same record."""

    event_id: str
    tenant_id: str
    case_id: str
    action: str
    at: str
    actor: Actor
    request_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class NoteRecord(Record):
    """A reviewer's plain-text note on a case; notes are never edited or deleted."""

    note_id: str
    tenant_id: str
    case_id: str
    text: str
    author_id: str
    author_name: str
    created_at: str


class MessageRecord(Record):
    """A customer-visible message on a case (a note, in contrast, never leaves the back
    office); plain text, never edited or deleted."""

    message_id: str
    tenant_id: str
    case_id: str
    text: str
    author: Actor
    created_at: str
