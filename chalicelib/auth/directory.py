"""The reviewer directory: each tenant's back-office users, kept beside Cognito because Cognito
cannot list users by a custom attribute (the tenant). The assignee picker and display names read
it; a user missing from it cannot use the back office."""

from __future__ import annotations

import threading
from typing import Protocol

from chalicelib.models.reviewers import Reviewer


class ReviewerDirectory(Protocol):
    def get_reviewer(self, tenant_id: str, reviewer_id: str) -> Reviewer | None: ...

    def list_reviewers(self, tenant_id: str) -> list[Reviewer]: ...

    def put_reviewer(self, reviewer: Reviewer) -> None: ...


class InMemoryReviewerDirectory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reviewers: dict[tuple[str, str], Reviewer] = {}

    def get_reviewer(self, tenant_id: str, reviewer_id: str) -> Reviewer | None:
        with self._lock:
            return self._reviewers.get((tenant_id, reviewer_id))

    def list_reviewers(self, tenant_id: str) -> list[Reviewer]:
        with self._lock:
            found = [r for (t, _), r in self._reviewers.items() if t == tenant_id]
        return sorted(found, key=lambda r: (r.name.lower(), r.id))

    def put_reviewer(self, reviewer: Reviewer) -> None:
        with self._lock:
            self._reviewers[(reviewer.tenant_id, reviewer.id)] = reviewer
