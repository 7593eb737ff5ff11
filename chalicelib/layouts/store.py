"""Where tenants' case layouts are kept, every version of them: the interface and an in-memory
fake (`chalicelib.aws.dynamodb_layouts.DynamoLayoutStore` is the real one; both pass
`tests/integration/test_layout_store_contract.py`).

A layout is saved for a workflow definition id, either for every version of the definition
(`definition_version` None) or for one version; each of these has its own versions."""

from __future__ import annotations

import threading
from typing import Protocol

from chalicelib.errors import VersionConflict
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.layouts import LayoutVersion

LayoutKey = tuple[str, str, int | None]  # tenant, workflow definition id, definition version


class LayoutStore(Protocol):
    def current(
        self, tenant_id: str, workflow_definition_id: str, definition_version: int | None
    ) -> LayoutVersion | None: ...

    def currents(self, tenant_id: str, workflow_definition_id: str) -> list[LayoutVersion]:
        """The current layout for every version and for each single version saved (one read:
        what a case view chooses from)."""

    def history(
        self,
        tenant_id: str,
        workflow_definition_id: str,
        definition_version: int | None,
        limit: int,
    ) -> list[LayoutVersion]:
        """The saved versions, newest first."""

    def get_version(
        self,
        tenant_id: str,
        workflow_definition_id: str,
        definition_version: int | None,
        version: int,
    ) -> LayoutVersion | None: ...

    def save(self, saved: LayoutVersion, audit: AdminAuditRecord) -> None:
        """Keep `saved` as the new current version of its (definition id, definition version)
        if the current one is `saved.version - 1` (0: none yet), else 409; with its
        admin-trail record."""


def conflict(current: int) -> VersionConflict:
    return VersionConflict(
        "the layout was changed by someone else; reload it", details={"currentVersion": current}
    )


class InMemoryLayoutStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[LayoutKey, list[LayoutVersion]] = {}
        self.audit: list[AdminAuditRecord] = []

    def current(
        self, tenant_id: str, workflow_definition_id: str, definition_version: int | None
    ) -> LayoutVersion | None:
        with self._lock:
            versions = self._versions.get((tenant_id, workflow_definition_id, definition_version))
            return versions[-1] if versions else None

    def currents(self, tenant_id: str, workflow_definition_id: str) -> list[LayoutVersion]:
        with self._lock:
            return [
                versions[-1]
                for (tenant, definition, _), versions in self._versions.items()
                if (tenant, definition) == (tenant_id, workflow_definition_id) and versions
            ]

    def history(
        self,
        tenant_id: str,
        workflow_definition_id: str,
        definition_version: int | None,
        limit: int,
    ) -> list[LayoutVersion]:
        with self._lock:
            key = (tenant_id, workflow_definition_id, definition_version)
            return list(reversed(self._versions.get(key, [])))[:limit]

    def get_version(
        self,
        tenant_id: str,
        workflow_definition_id: str,
        definition_version: int | None,
        version: int,
    ) -> LayoutVersion | None:
        with self._lock:
            key = (tenant_id, workflow_definition_id, definition_version)
            return next((v for v in self._versions.get(key, []) if v.version == version), None)

    def save(self, saved: LayoutVersion, audit: AdminAuditRecord) -> None:
        with self._lock:
            key = (saved.tenant_id, saved.workflow_definition_id, saved.definition_version)
            versions = self._versions.setdefault(key, [])
            current = versions[-1].version if versions else 0
            if current != saved.version - 1:
                raise conflict(current)
            versions.append(saved)
            self.audit.append(audit)
