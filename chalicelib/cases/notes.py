"""Reviewers' notes on a case: plain text, append-only, audited and published."""

from __future__ import annotations

from chalicelib.auth.permissions import require_permission
from chalicelib.cases import queries
from chalicelib.cases.store import CaseStore
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord, NoteRecord
from chalicelib.models.permissions import NOTES_WRITE
from chalicelib.models.reviewers import Reviewer


def add_note(
    store: CaseStore, reviewer: Reviewer, case_id: str, text: str, *, request_id: str | None
) -> NoteRecord:
    require_permission(reviewer, NOTES_WRITE)
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    now = utc_now()
    note = NoteRecord(
        note_id=new_id("note"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        text=text,
        author_id=reviewer.id,
        author_name=reviewer.name,
        created_at=now,
    )
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        action="case.note_added",
        at=now,
        actor=Actor(type="reviewer", id=reviewer.id, name=reviewer.name),
        request_id=request_id,
        # The text stays inside the back office; the event says that a note exists.
        details={
            "noteId": note.note_id,
            "authorId": reviewer.id,
            "entityId": case.entity_id,
            "workflowDefinitionId": case.workflow_definition_id,
        },
    )
    store.add_note(note, audit)
    return note


def list_notes(store: CaseStore, reviewer: Reviewer, case_id: str) -> list[NoteRecord]:
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    return store.list_notes(case.tenant_id, case.case_id)
