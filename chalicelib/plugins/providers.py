"""The providers a plugin names: each takes the plugin's mapped input and its options and
answers with data (or raises `ProviderError`). The plugin worker calls them; nothing here
writes to the case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.workflows.definition import PluginSpec


class ProviderError(Exception):
    """The vendor failed, timed out or answered something unusable: the run may be retried."""


class ProviderInputError(ProviderError):
    """The mapped input is unusable: retrying cannot help."""


@dataclass(frozen=True)
class ProviderAnswer:
    data: dict[str, Any]
    # The provider's version, or for screening the versions of its lists.
    version: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        """Answer for the plugin's mapped input within `spec.timeout_seconds`."""
