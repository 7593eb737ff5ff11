"""Where a tenant's SLA settings are kept: the interface and an in-memory implementation
(`chalicelib.aws.dynamodb_settings.DynamoSlaSettingsStore` is the real one)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.models.sla import SlaSettings


class SlaSettingsStore(Protocol):
    def get(self, tenant_id: str) -> SlaSettings: ...

    def put(self, tenant_id: str, settings: SlaSettings) -> None:
        """Replace the settings and keep the replaced version as a history record."""


@dataclass
class InMemorySlaSettingsStore:
    current: dict[str, SlaSettings] = field(default_factory=dict)
    history: list[tuple[str, SlaSettings]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, tenant_id: str) -> SlaSettings:
        with self._lock:
            return self.current.get(tenant_id) or SlaSettings()

    def put(self, tenant_id: str, settings: SlaSettings) -> None:
        with self._lock:
            self.current[tenant_id] = settings
            self.history.append((tenant_id, settings))
