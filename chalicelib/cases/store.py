"""The case store: the interface the domain uses, and an in-memory implementation.

`chalicelib.aws.dynamodb.DynamoCaseStore` is the real one; both pass the same contract tests
(`tests/integration/test_case_store_contract.py`).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Protocol

from chalicelib.errors import VersionConflict
from chalicelib.models.case import AuditRecord, Case, PageStorage


class ActiveCaseExists(Exception):
    """Another active case already holds this (tenant, workflow, entity)."""

    def __init__(self, case_id: str | None) -> None:
        super().__init__(case_id)
        self.case_id = case_id


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    last_key: dict | None
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
        audit: AuditRecord,
        new_page_storage: dict[str, PageStorage] | None = None,
    ) -> Case:
        """Write `case` as version expected_version + 1 with its audit record; VersionConflict
        if the stored version moved. Page storage entries are only added, never replaced."""

    def set_page_storage(
        self, tenant_id: str, case_id: str, page_id: str, storage: PageStorage, audit: AuditRecord
    ) -> None: ...

    def park_task_token(
        self, tenant_id: str, case_id: str, state: str, token: str, audit: AuditRecord
    ) -> bool:
        """Keep the execution's task token on the case; False if the case is not in `state`."""

    def list_cases(
        self, tenant_id: str, *, status: str | None, limit: int, start_key: dict | None
    ) -> CasePage: ...

    def list_audit(self, tenant_id: str, case_id: str) -> list[AuditRecord]: ...


class InMemoryCaseStore:
    """A faithful, thread-safe fake of the DynamoDB store for fast domain tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[tuple[str, str], Case] = {}
        self._active: dict[tuple[str, str, str], str] = {}
        self._audit: dict[tuple[str, str], list[AuditRecord]] = {}

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
        audit: AuditRecord,
        new_page_storage: dict[str, PageStorage] | None = None,
    ) -> Case:
        key = (case.tenant_id, case.case_id)
        with self._lock:
            stored = self._cases.get(key)
            if stored is None or stored.version != expected_version:
                raise VersionConflict("the case was changed by someone else")
            updated = case.model_copy(deep=True)
            updated.version = expected_version + 1
            updated.page_storage = {**stored.page_storage, **copy.deepcopy(new_page_storage or {})}
            updated.task_token, updated.task_token_state = (
                stored.task_token,
                stored.task_token_state,
            )
            if updated.status != "active":
                self._active.pop(
                    (case.tenant_id, case.workflow_definition_id, case.entity_id), None
                )
            self._cases[key] = updated
            self._audit.setdefault(key, []).append(audit)
            return updated.model_copy(deep=True)

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
            if case is None or case.state != state:
                return False
            case.task_token, case.task_token_state = token, state
            self._audit.setdefault((tenant_id, case_id), []).append(audit)
            return True

    def list_cases(
        self, tenant_id: str, *, status: str | None, limit: int, start_key: dict | None
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

    def list_audit(self, tenant_id: str, case_id: str) -> list[AuditRecord]:
        with self._lock:
            return sorted(
                self._audit.get((tenant_id, case_id), []), key=lambda a: (a.at, a.event_id)
            )
