"""The case store: the interface the domain uses, and an in-memory implementation.

`chalicelib.aws.dynamodb.DynamoCaseStore` is the real one; both pass the same contract tests
(`tests/integration/test_case_store_contract.py`).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.cases.inbox import InboxPage, InboxQuery, InboxRow
from chalicelib.cases.search import normalise, search_index
from chalicelib.errors import VersionConflict
from chalicelib.models.case import (
    AuditRecord,
    Case,
    InflightTransition,
    NoteRecord,
    PageStorage,
    SlaTimer,
    WorkflowTransition,
)


class ActiveCaseExists(Exception):
    """Another active case already holds this (tenant, workflow, entity)."""

    def __init__(self, case_id: str | None) -> None:
        super().__init__(case_id)
        self.case_id = case_id


def audit_records(audit: AuditRecord | Sequence[AuditRecord]) -> list[AuditRecord]:
    return [audit] if isinstance(audit, AuditRecord) else list(audit)


def token_digest(token: str) -> str:
    """Used tokens are remembered by digest: tokens are long and only equality matters."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


# Fields the versioned case write never touches: the parker and the workflow sync own them, and
# the SLA timers own `sla_timer` (armed after each transition without bumping the version).
SYNC_OWNED_FIELDS = (
    "sla_timer",
    "task_token",
    "task_token_state",
    "execution_state",
    "execution_delivered",
    "execution_inflight",
)


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    last_key: dict[str, Any] | None
    items_read: int


class CaseStore(Protocol):
    def get_case(self, tenant_id: str, case_id: str) -> Case | None: ...

    def find_active_case_id(
        self, tenant_id: str, workflow_id: str, entity_id: str
    ) -> str | None: ...

    def create_case(self, case: Case, audit: AuditRecord) -> None:
        """Create the case, its active-entity claim and its first audit record atomically.

        Raises ActiveCaseExists if the entity already has an active case for the workflow.
        """

    def update_case(
        self,
        case: Case,
        *,
        expected_version: int,
        audit: AuditRecord | Sequence[AuditRecord],
        new_page_storage: dict[str, PageStorage] | None = None,
        previous: Case | None = None,
    ) -> Case:
        """Write `case` as version expected_version + 1 with its audit record(s), all in one
        transaction; VersionConflict if the stored version moved. Page storage entries are only
        added, never replaced; the task token and the execution_* fields are left alone (their
        own writers below own them). Pass `previous` when the entity may have changed, so its
        search terms follow."""

    def set_sla_timer(
        self, tenant_id: str, case_id: str, timer: SlaTimer, *, expected_generation: int | None
    ) -> bool:
        """Write the case's SLA timer (not versioned: a reviewer's open view stays current) if
        the stored timer still has `expected_generation` (None: the case has no timer yet).
        False if it changed meanwhile."""

    def set_page_storage(
        self, tenant_id: str, case_id: str, page_id: str, storage: PageStorage, audit: AuditRecord
    ) -> None: ...

    def park_task_token(
        self, tenant_id: str, case_id: str, state: str, token: str, audit: AuditRecord
    ) -> bool:
        """Keep the execution's task token on the case; False if the execution is not expected
        to wait in `state` (`execution_state`, or the case's state when that is unset) or the
        token was already used (a redelivered message)."""

    def claim_transition(
        self,
        tenant_id: str,
        case_id: str,
        transition: WorkflowTransition,
        token: str,
        lease_until: str,
    ) -> bool:
        """Mark `transition` as the one being sent with `token`, atomically: only if it is the
        next undelivered one, `token` is parked for its from-state and nothing else is in flight.
        Moves execution_state on, so the execution's next token can be parked at once."""

    def lease_transition(
        self, tenant_id: str, case_id: str, seq: int, expected_lease: str, lease_until: str
    ) -> bool:
        """Take over (or, with "", release) the lease of the in-flight transition `seq`, only if
        its lease is still `expected_lease`: of several retriers exactly one gets to send."""

    def finish_transition(self, tenant_id: str, case_id: str, seq: int) -> None:
        """The in-flight transition `seq` reached Step Functions: clear it."""

    def restart_execution(self, tenant_id: str, case_id: str, state: str) -> bool:
        """The case's execution is gone and a new one starts waiting in `state` (where the old
        one waited, or was being sent to): forget the old token and in-flight claim, so the new
        execution's token is parked and the transitions after `state` are sent to it. False if
        the case moved its execution on meanwhile."""

    def list_cases(
        self, tenant_id: str, *, status: str | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage: ...

    def list_audit(self, tenant_id: str, case_id: str) -> list[AuditRecord]: ...

    def recent_audit(self, tenant_id: str, case_id: str, limit: int) -> list[AuditRecord]:
        """The newest `limit` audit records, oldest first; reads only those."""

    def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
        """One inbox page after `boundary`; reads a bounded number of items."""

    def add_note(self, note: NoteRecord, audit: AuditRecord) -> None:
        """Keep the note and its audit record together."""

    def list_notes(self, tenant_id: str, case_id: str) -> list[NoteRecord]: ...


def _matched_in(case: Case, wanted: str) -> frozenset[str]:
    """The sources of the case's search terms that start with `wanted` (none: no match)."""
    index = search_index(case.entity_id, case.entity_name, case.entity_data)
    return frozenset().union(*(found for term, found in index.items() if term.startswith(wanted)))


class InMemoryCaseStore:
    """A faithful, thread-safe fake of the DynamoDB store for fast domain tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[tuple[str, str], Case] = {}
        self._active: dict[tuple[str, str, str], str] = {}
        self._audit: dict[tuple[str, str], list[AuditRecord]] = {}
        self._used_tokens: dict[tuple[str, str], set[str]] = {}
        self._notes: dict[tuple[str, str], list[NoteRecord]] = {}

    def get_case(self, tenant_id: str, case_id: str) -> Case | None:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            return case.model_copy(deep=True) if case else None

    def find_active_case_id(self, tenant_id: str, workflow_id: str, entity_id: str) -> str | None:
        with self._lock:
            return self._active.get((tenant_id, workflow_id, entity_id))

    def create_case(self, case: Case, audit: AuditRecord) -> None:
        claim = (case.tenant_id, case.workflow_definition_id, case.entity_id)
        with self._lock:
            if claim in self._active:
                raise ActiveCaseExists(self._active[claim])
            self._cases[(case.tenant_id, case.case_id)] = case.model_copy(deep=True)
            self._active[claim] = case.case_id
            self._audit.setdefault((case.tenant_id, case.case_id), []).append(audit)

    def update_case(
        self,
        case: Case,
        *,
        expected_version: int,
        audit: AuditRecord | Sequence[AuditRecord],
        new_page_storage: dict[str, PageStorage] | None = None,
        previous: Case | None = None,
    ) -> Case:
        key = (case.tenant_id, case.case_id)
        with self._lock:
            stored = self._cases.get(key)
            if stored is None or stored.version != expected_version:
                raise VersionConflict("the case was changed by someone else")
            updated = case.model_copy(deep=True)
            updated.version = expected_version + 1
            updated.page_storage = {**stored.page_storage, **copy.deepcopy(new_page_storage or {})}
            for field in SYNC_OWNED_FIELDS:
                setattr(updated, field, copy.deepcopy(getattr(stored, field)))
            if updated.status != "active":
                self._active.pop(
                    (case.tenant_id, case.workflow_definition_id, case.entity_id), None
                )
            self._cases[key] = updated
            self._audit.setdefault(key, []).extend(audit_records(audit))
            return updated.model_copy(deep=True)

    def set_sla_timer(
        self, tenant_id: str, case_id: str, timer: SlaTimer, *, expected_generation: int | None
    ) -> bool:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            if case is None:
                return False
            current = case.sla_timer.generation if case.sla_timer else None
            if current != expected_generation:
                return False
            case.sla_timer = timer.model_copy()
            return True

    def set_page_storage(
        self, tenant_id: str, case_id: str, page_id: str, storage: PageStorage, audit: AuditRecord
    ) -> None:
        with self._lock:
            self._cases[(tenant_id, case_id)].page_storage[page_id] = storage.model_copy()
            self._audit.setdefault((tenant_id, case_id), []).append(audit)

    def park_task_token(
        self, tenant_id: str, case_id: str, state: str, token: str, audit: AuditRecord
    ) -> bool:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            if case is None or (case.execution_state or case.state) != state:
                return False
            if token_digest(token) in self._used_tokens.get((tenant_id, case_id), set()):
                return False
            case.task_token, case.task_token_state = token, state
            self._audit.setdefault((tenant_id, case_id), []).append(audit)
            return True

    def claim_transition(
        self,
        tenant_id: str,
        case_id: str,
        transition: WorkflowTransition,
        token: str,
        lease_until: str,
    ) -> bool:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            if (
                case is None
                or case.execution_inflight is not None
                or case.execution_delivered != transition.seq - 1
                or case.task_token != token
                or case.task_token_state != transition.from_state
            ):
                return False
            case.execution_inflight = InflightTransition(
                **transition.model_dump(), token=token, lease_until=lease_until
            )
            case.execution_delivered = transition.seq
            case.execution_state = transition.to_state
            case.task_token = case.task_token_state = None
            self._used_tokens.setdefault((tenant_id, case_id), set()).add(token_digest(token))
            return True

    def lease_transition(
        self, tenant_id: str, case_id: str, seq: int, expected_lease: str, lease_until: str
    ) -> bool:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            inflight = case.execution_inflight if case else None
            if inflight is None or inflight.seq != seq or inflight.lease_until != expected_lease:
                return False
            inflight.lease_until = lease_until
            return True

    def restart_execution(self, tenant_id: str, case_id: str, state: str) -> bool:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            if case is None or (case.execution_state or case.state) != state:
                return False
            case.task_token = case.task_token_state = case.execution_inflight = None
            case.execution_state = state
            return True

    def finish_transition(self, tenant_id: str, case_id: str, seq: int) -> None:
        with self._lock:
            case = self._cases.get((tenant_id, case_id))
            if case is not None and case.execution_inflight and case.execution_inflight.seq == seq:
                case.execution_inflight = None

    def list_cases(
        self, tenant_id: str, *, status: str | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage:
        with self._lock:
            cases = sorted(
                (
                    c
                    for (t, _), c in self._cases.items()
                    if t == tenant_id and (status is None or c.status == status)
                ),
                key=lambda c: (c.created_at, c.case_id),
                reverse=True,
            )
        if start_key:
            after = (start_key["createdAt"], start_key["caseId"])
            cases = [c for c in cases if (c.created_at, c.case_id) < after]
        page = cases[:limit]
        more = len(cases) > limit
        last = {"createdAt": page[-1].created_at, "caseId": page[-1].case_id} if more else None
        return CasePage([c.model_copy(deep=True) for c in page], last, len(page))

    def add_note(self, note: NoteRecord, audit: AuditRecord) -> None:
        with self._lock:
            key = (note.tenant_id, note.case_id)
            self._notes.setdefault(key, []).append(note.model_copy())
            self._audit.setdefault(key, []).append(audit)

    def list_notes(self, tenant_id: str, case_id: str) -> list[NoteRecord]:
        with self._lock:
            notes = list(self._notes.get((tenant_id, case_id), []))
        return sorted(notes, key=lambda n: (n.created_at, n.note_id))

    def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
        with self._lock:
            cases = [c for (t, _), c in self._cases.items() if t == query.tenant_id]
        found = list(map(InboxRow.from_case, cases))
        if query.search:
            wanted = normalise(query.search)
            found = [
                dataclasses.replace(row, matched_in=matched_in)
                for case, row in zip(cases, found, strict=True)
                if (matched_in := _matched_in(case, wanted))
            ]
        rows = sorted(
            (r for r in found if query.matches(r)),
            key=query.sort_key,
            reverse=query.descending,
        )
        if boundary:
            rows = [
                r
                for r in rows
                if (
                    query.sort_key(r) < boundary
                    if query.descending
                    else query.sort_key(r) > boundary
                )
            ]
        page = rows[: query.limit]
        more = len(rows) > query.limit
        return InboxPage(page, query.sort_key(page[-1]) if more else None, len(page))

    def list_audit(self, tenant_id: str, case_id: str) -> list[AuditRecord]:
        with self._lock:
            return sorted(
                self._audit.get((tenant_id, case_id), []), key=lambda a: (a.at, a.event_id)
            )

    def recent_audit(self, tenant_id: str, case_id: str, limit: int) -> list[AuditRecord]:
        return self.list_audit(tenant_id, case_id)[-limit:] if limit > 0 else []
