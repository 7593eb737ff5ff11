"""Ingestion: a workflow run becomes a new case, or updates the entity's active case."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.cases.store import ActiveCaseExists, CaseStore
from chalicelib.collection.rounds import close_open_round
from chalicelib.decisions.service import RESUBMITTED, decision_resets, definition_of
from chalicelib.decisions.transitions import apply_event
from chalicelib.documents.content_types import sniff_content_type
from chalicelib.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    Unprocessable,
    VersionConflict,
)
from chalicelib.ids import new_id, stable_id, utc_now
from chalicelib.models.case import (
    Actor,
    AuditRecord,
    Case,
    DocumentDecision,
    PageSet,
    PageStorage,
)
from chalicelib.models.run import INLINE_PROVIDERS, Document, Page, RunRequest
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import UnknownWorkflowDefinition, get_definition

MAX_ATTEMPTS = 5


class PageStorageBackend(Protocol):
    def put_page(self, key: str, content: bytes, content_type: str) -> None: ...


# The bytes and content type of each inline page, by (document index, page index).
InlinePages = dict[tuple[int, int], tuple[bytes, str]]


@dataclass(frozen=True)
class RunOutcome:
    case: Case
    created: bool


def entity_display_name(entity_type: str, data: dict[str, Any], fallback: str) -> str:
    if entity_type == "business":
        name = data.get("companyName") or data.get("name")
    else:
        name = " ".join(str(data[k]) for k in ("firstName", "lastName") if data.get(k))
    return str(name or fallback)[:200]


def page_key(tenant_id: str, case_id: str, document_id: str, page_id: str) -> str:
    return f"tenants/{tenant_id}/cases/{case_id}/documents/{document_id}/pages/{page_id}"


def run_workflow(
    request: RunRequest,
    *,
    tenant_id: str,
    store: CaseStore,
    pages: PageStorageBackend,
    request_id: str | None = None,
) -> RunOutcome:
    definition = _definition_for(request, tenant_id)
    # Every page is checked before any is uploaded: a rejected run leaves nothing in S3.
    inline = _inline_pages(request.context.documents)
    actor = Actor(type="integrator", id=tenant_id)
    for _ in range(MAX_ATTEMPTS):
        active_id = store.find_active_case_id(tenant_id, definition.id, request.context.entity.id)
        existing = store.get_case(tenant_id, active_id) if active_id else None
        try:
            if existing is not None and existing.status == "active":
                updated = _update_case(existing, request, inline, store, pages, actor, request_id)
                return RunOutcome(updated, created=False)
            case = _create_case(
                definition, request, inline, tenant_id, store, pages, actor, request_id
            )
            return RunOutcome(case, created=True)
        except (VersionConflict, ActiveCaseExists):
            continue  # another run for the same entity won the race: read again and merge
    raise Conflict("the case is being changed by concurrent requests; retry")


def _definition_for(request: RunRequest, tenant_id: str) -> WorkflowDefinition:
    try:
        definition = get_definition(request.workflow_id, tenant_id=tenant_id)
    except UnknownWorkflowDefinition as exc:
        raise NotFound(f"unknown workflowId `{request.workflow_id}`") from exc
    entity_type = request.context.entity.type
    if definition.entity_type and definition.entity_type != entity_type:
        raise Unprocessable(
            f"workflow `{definition.id}` reviews {definition.entity_type} entities, "
            f"not {entity_type}",
            details=[{"path": "context.entity.type", "message": "entity type not accepted"}],
        )
    return definition


def _create_case(
    definition: WorkflowDefinition,
    request: RunRequest,
    inline: InlinePages,
    tenant_id: str,
    store: CaseStore,
    pages: PageStorageBackend,
    actor: Actor,
    request_id: str | None,
) -> Case:
    now = utc_now()
    case_id = new_id("case")
    context = request.context.model_dump(mode="json", by_alias=True, exclude_unset=True)
    documents, page_storage = _store_documents(
        request.context.documents, inline, tenant_id, case_id, pages, now
    )
    context["documents"] = documents
    entity = request.context.entity
    case = Case(
        case_id=case_id,
        tenant_id=tenant_id,
        workflow_definition_id=definition.id,
        workflow_definition_version=definition.version,
        state=definition.initial_state,
        # The execution starts in the initial state: its first task token is parked for it
        # even if a decision moves the case on before the token arrives.
        execution_state=definition.initial_state,
        created_at=now,
        updated_at=now,
        entity_type=entity.type,
        entity_id=entity.id,
        ballerine_entity_id=stable_id("ent", tenant_id, entity.type, entity.id),
        entity_name=entity_display_name(entity.type, entity.data, entity.id),
        context=context,
        config=request.config or {},
        page_storage=page_storage,
    )
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=tenant_id,
        case_id=case_id,
        action="case.created",
        at=now,
        actor=actor,
        request_id=request_id,
        after={"state": case.state, "status": case.status},
        details={
            "workflowDefinitionId": definition.id,
            "workflowDefinitionVersion": definition.version,
            "entity": {"id": entity.id, "type": entity.type},
            "ballerineEntityId": case.ballerine_entity_id,
            "documentCount": len(documents),
            "pendingPageCount": len(case.pending_pages()),
        },
    )
    store.create_case(case, audit)
    return case


def _update_case(
    case: Case,
    request: RunRequest,
    inline: InlinePages,
    store: CaseStore,
    pages: PageStorageBackend,
    actor: Actor,
    request_id: str | None,
) -> Case:
    now = utc_now()
    incoming = request.context.model_dump(mode="json", by_alias=True, exclude_unset=True)
    new_documents, new_storage = _store_documents(
        request.context.documents, inline, case.tenant_id, case.case_id, pages, now
    )
    incoming.pop("documents", None)
    updated = case.model_copy(deep=True)
    updated.context = _deep_merge(case.context, incoming)
    given_ids = {d.id for d in request.context.documents if d.id}
    added, replaced = _merge_documents(updated, new_documents, given_ids, now)
    updated.config = _deep_merge(case.config, request.config or {})
    updated.entity_name = entity_display_name(
        updated.entity_type, updated.entity_data, case.entity_id
    )
    updated.updated_at = now
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        action="case.context_updated",
        at=now,
        actor=actor,
        request_id=request_id,
        before={"documentCount": len(case.documents)},
        after={"documentCount": len(updated.documents)},
        details={
            "documentsAdded": added,
            "documentsReplaced": replaced,
            "entityDataKeys": sorted(request.context.entity.data),
            "pendingPageCount": sum(1 for s in new_storage.values() if s.status == "pending"),
        },
    )
    records = [audit, *decision_resets(case, updated, actor, now, request_id)]
    definition = definition_of(case)
    if RESUBMITTED in definition.allowed_events(case.state, "integrator"):
        # Re-running while the case waits for a re-upload is the resubmission: back to review
        # (and its ingest plugins, the screening, run again: chalicelib/plugins/worker.py).
        audit.details["resubmission"] = True
        updated, moved = apply_event(
            updated,
            definition,
            RESUBMITTED,
            actor=actor,
            at=now,
            request_id=request_id,
            extra=_resubmission_details(updated, replaced, now),
        )
        records += moved
    return store.update_case(
        updated,
        expected_version=case.version,
        audit=records,
        new_page_storage=new_storage,
        previous=case,
    )


def _resubmission_details(case: Case, replaced: list[str], at: str) -> dict[str, Any]:
    """Close the open collection round (in place): the integrator answered it with a re-run."""
    number = close_open_round(case, at=at, by="integrator")
    details: dict[str, Any] = {"documentsReplaced": replaced}
    if number is not None:
        details["collectionRound"] = number
    return details


def _store_documents(
    documents: list[Document],
    inline: InlinePages,
    tenant_id: str,
    case_id: str,
    pages: PageStorageBackend,
    now: str,
) -> tuple[list[dict[str, Any]], dict[str, PageStorage]]:
    """Give documents and pages ids, put inline pages in S3, queue remote pages for fetching."""
    stored_documents: list[dict[str, Any]] = []
    storage: dict[str, PageStorage] = {}
    for doc_index, document in enumerate(documents):
        doc = document.model_dump(mode="json", by_alias=True, exclude_unset=True)
        doc["id"] = document.id or new_id("doc")
        doc["pages"] = []
        for page_index, page in enumerate(document.pages):
            page_id = new_id("page")
            page_json = page.model_dump(mode="json", by_alias=True, exclude_unset=True)
            page_json["id"] = page_id
            if page.provider in INLINE_PROVIDERS:
                content, content_type = inline[(doc_index, page_index)]
                key = page_key(tenant_id, case_id, doc["id"], page_id)
                pages.put_page(key, content, content_type)
                page_json.pop("data", None)
                storage[page_id] = PageStorage(
                    status="stored",
                    key=key,
                    content_type=content_type,
                    size=len(content),
                    updated_at=now,
                )
            else:
                storage[page_id] = PageStorage(
                    status="pending", source_uri=page.uri, updated_at=now
                )
            doc["pages"].append(page_json)
        stored_documents.append(doc)
    return stored_documents, storage


def _inline_pages(documents: list[Document]) -> InlinePages:
    return {
        (d, p): _inline_page(page, f"context.documents[{d}].pages[{p}].data")
        for d, document in enumerate(documents)
        for p, page in enumerate(document.pages)
        if page.provider in INLINE_PROVIDERS
    }


def _inline_page(page: Page, path: str) -> tuple[bytes, str]:
    try:
        content = page.decoded_data()
    except ValueError as exc:
        raise InvalidRequest(str(exc), details=[{"path": path, "message": str(exc)}]) from exc
    content_type = sniff_content_type(content)
    if content_type is None:
        message = "page is not an accepted image or PDF"
        raise InvalidRequest(message, details=[{"path": path, "message": message}])
    return content, content_type


def _merge_documents(
    case: Case,
    incoming: list[dict[str, Any]],
    given_ids: set[str],
    now: str,
) -> tuple[list[str], list[str]]:
    """Merge re-sent documents into the case's context (in place), matched by the integrator's
    id, else by (category, type). New pages replace old ones, which the document's record keeps
    as page history; a document with new pages needs a new decision."""
    merged = copy.deepcopy(case.context_documents)
    added: list[str] = []
    replaced: list[str] = []
    for doc in incoming:
        if doc["id"] in given_ids:
            match = next((d for d in merged if d.get("id") == doc["id"]), None)
        else:
            kind = (doc.get("category"), doc.get("type"))
            match = next((d for d in merged if (d.get("category"), d.get("type")) == kind), None)
        if match is None:
            merged.append(doc)
            added.append(doc["id"])
            continue
        if doc["pages"]:
            # Newest first; new pages need a new look, whatever was decided on the old ones.
            record = case.document_record(match["id"])
            record.page_history.insert(0, PageSet(replaced_at=now, pages=match.get("pages") or []))
            record.decision = DocumentDecision()
            match["pages"] = doc["pages"]
        for key, value in doc.items():
            if key not in {"id", "pages"}:
                match[key] = (
                    _deep_merge(match[key], value)
                    if isinstance(value, dict) and isinstance(match.get(key), dict)
                    else value
                )
        replaced.append(match["id"])
    case.context["documents"] = merged
    return added, replaced


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
