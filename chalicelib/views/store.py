"""Where saved inbox views are kept: the interface and an in-memory fake
(`chalicelib.aws.dynamodb_views.DynamoViewStore` is the real one; both pass
`tests/integration/test_view_store_contract.py`). Every change is written with its record in
the tenant's admin trail."""

from __future__ import annotations

import threading
from typing import Protocol

from chalicelib.errors import NotFound, VersionConflict
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.views import SavedView


class ViewStore(Protocol):
    def list_views(self, tenant_id: str, reviewer_id: str) -> list[SavedView]:
        """The reviewer's personal views and the tenant's shared ones, by name."""

    def get_view(self, tenant_id: str, reviewer_id: str, view_id: str) -> SavedView | None:
        """The view if the reviewer may see it (theirs, or shared), else None."""

    def create_view(self, view: SavedView, audit: AdminAuditRecord) -> None: ...

    def update_view(
        self, before: SavedView, after: SavedView, expected_version: int, audit: AdminAuditRecord
    ) -> SavedView:
        """Replace `before` by `after` (version + 1) if still at `expected_version`: 409 if it
        moved on, 404 if it is gone. `after` may move between personal and shared."""

    def delete_view(self, view: SavedView, expected_version: int, audit: AdminAuditRecord) -> None:
        """409 if the view moved on, 404 if it is gone."""


def _visible(view: SavedView, reviewer_id: str) -> bool:
    return view.shared or view.owner_id == reviewer_id


def _by_name(views: list[SavedView]) -> list[SavedView]:
    return sorted(views, key=lambda v: (not v.shared, v.name.casefold(), v.view_id))


class InMemoryViewStore:
    """A thread-safe fake of the DynamoDB view store (the admin trail kept in `audit`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: dict[tuple[str, str], SavedView] = {}
        self.audit: list[AdminAuditRecord] = []

    def list_views(self, tenant_id: str, reviewer_id: str) -> list[SavedView]:
        with self._lock:
            return _by_name(
                [
                    v
                    for (tenant, _), v in self._views.items()
                    if tenant == tenant_id and _visible(v, reviewer_id)
                ]
            )

    def get_view(self, tenant_id: str, reviewer_id: str, view_id: str) -> SavedView | None:
        with self._lock:
            view = self._views.get((tenant_id, view_id))
        return view if view is not None and _visible(view, reviewer_id) else None

    def create_view(self, view: SavedView, audit: AdminAuditRecord) -> None:
        with self._lock:
            self._views[(view.tenant_id, view.view_id)] = view.model_copy(update={"version": 1})
            self.audit.append(audit)

    def _current(self, view: SavedView, expected_version: int) -> None:
        current = self._views.get((view.tenant_id, view.view_id))
        if current is None:
            raise NotFound("no such view")
        if current.version != expected_version:
            raise VersionConflict(
                "the view changed since you read it", details={"currentVersion": current.version}
            )

    def update_view(
        self, before: SavedView, after: SavedView, expected_version: int, audit: AdminAuditRecord
    ) -> SavedView:
        with self._lock:
            self._current(before, expected_version)
            stored = after.model_copy(update={"version": expected_version + 1})
            self._views[(after.tenant_id, after.view_id)] = stored
            self.audit.append(audit)
            return stored

    def delete_view(self, view: SavedView, expected_version: int, audit: AdminAuditRecord) -> None:
        with self._lock:
            self._current(view, expected_version)
            del self._views[(view.tenant_id, view.view_id)]
            self.audit.append(audit)
