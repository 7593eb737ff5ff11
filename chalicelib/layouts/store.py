"""Where tenants' case layouts are kept, every version of them: the interface and an in-memory
fake (`chalicelib.aws.dynamodb_layouts.DynamoLayoutStore` is the real one; both pass
`tests/integration/test_layout_store_contract.py`)."""

from __future__ import annotations

import threading
from typing import Protocol

from chalicelib.errors import VersionConflict
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.layouts import LayoutVersion


class LayoutStore(Protocol):
    def current(self, tenant_id: str, workflow_definition_id: str) -> LayoutVersion | None: ...

    def history(
        self, tenant_id: str, workflow_definition_id: str, limit: int
    ) -> list[LayoutVersion]:
        """The saved versions, newest first."""

    def get_version(
        self, tenant_id: str, workflow_definition_id: str, version: int
    ) -> LayoutVersion | None: ...

    def save(self, saved: LayoutVersion, audit: AdminAuditRecord) -> None:
        """Keep `saved` as the new current version if the current one is `saved.version - 1`
        (0: none yet), else 409; with its admin-trail record."""


def conflict(current: int) -> VersionConflict:
    return VersionConflict(
        "the layout was changed by someone else; reload it", details={"currentVersion": current}
    )


class InMemoryLayoutStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[tuple[str, str], list[LayoutVersion]] = {}
        self.audit: list[AdminAuditRecord] = []

    def current(self, tenant_id: str, workflow_definition_id: str) -> LayoutVersion | None:
        with self._lock:
            versions = self._versions.get((tenant_id, workflow_definition_id), [])
            return versions[-1] if versions else None

    def history(
        self, tenant_id: str, workflow_definition_id: str, limit: int
    ) -> list[LayoutVersion]:
        with self._lock:
            versions = self._versions.get((tenant_id, workflow_definition_id), [])
            return list(reversed(versions))[:limit]

    def get_version(
        self, tenant_id: str, workflow_definition_id: str, version: int
    ) -> LayoutVersion | None:
        with self._lock:
            versions = self._versions.get((tenant_id, workflow_definition_id), [])
            return next((v for v in versions if v.version == version), None)

    def save(self, saved: LayoutVersion, audit: AdminAuditRecord) -> None:
        with self._lock:
            key = (saved.tenant_id, saved.workflow_definition_id)
            versions = self._versions.setdefault(key, [])
            current = versions[-1].version if versions else 0
            if current != saved.version - 1:
                raise conflict(current)
            versions.append(saved)
            self.audit.append(audit)
