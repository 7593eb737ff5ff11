"""The workflow definitions: the bundled ones (every tenant's), loaded and validated once per
process, and those a tenant published (only that tenant's; docs/workflow-definitions.md
#publishing), each version read once per process: a version never changes, so the cache is
keyed by the immutable (tenant, id, version)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.caches import register
from chalicelib.errors import NotFound
from chalicelib.workflows.definition import WorkflowDefinition, WorkflowDefinitionError

if TYPE_CHECKING:
    from chalicelib.workflows.published import DefinitionStore

PUBLISHED_CACHE_SIZE = 512
DEFINITIONS_DIR = Path(__file__).parent / "definitions"


class UnknownWorkflowDefinition(LookupError):
    pass


@register
@functools.cache
def bundled_definitions() -> tuple[WorkflowDefinition, ...]:
    definitions = tuple(
        WorkflowDefinition.from_json(json.loads(path.read_text()))
        for path in sorted(DEFINITIONS_DIR.glob("*.json"))
    )
    keys = [d.key for d in definitions]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise WorkflowDefinitionError(f"duplicate definition versions: {sorted(duplicates)}")
    return definitions


def latest_definitions(tenant_id: str | None = None) -> list[WorkflowDefinition]:
    """The newest version of each bundled definition, and of each of `tenant_id`'s own."""
    latest: dict[str, WorkflowDefinition] = {}
    published = (
        [p.workflow_definition() for p in _published_store().list_latest(tenant_id)]
        if tenant_id is not None
        else []
    )
    for definition in [*bundled_definitions(), *published]:
        current = latest.get(definition.id)
        if current is None or definition.version > current.version:
            latest[definition.id] = definition
    return sorted(latest.values(), key=lambda d: d.id)


def get_definition(
    definition_id: str, version: int | None = None, *, tenant_id: str | None = None
) -> WorkflowDefinition:
    """A definition by id: the given version, or the latest for new cases. A bundled one for
    anyone; else one `tenant_id` published (another tenant's is unknown, as if it did not
    exist)."""
    candidates = [d for d in bundled_definitions() if d.id == definition_id]
    if not candidates and tenant_id is not None:
        return _published(tenant_id, definition_id, version)
    if version is not None:
        candidates = [d for d in candidates if d.version == version]
    if not candidates:
        suffix = f" version {version}" if version is not None else ""
        raise UnknownWorkflowDefinition(f"{definition_id}{suffix}")
    return max(candidates, key=lambda d: d.version)


def known_definition(
    definition_id: str, version: int | None = None, *, tenant_id: str
) -> WorkflowDefinition:
    """`get_definition` for a route that names the definition: an unknown one is a 404."""
    try:
        return get_definition(definition_id, version, tenant_id=tenant_id)
    except UnknownWorkflowDefinition as exc:
        what = "version of the workflow definition" if version else "workflow definition"
        raise NotFound(f"no such {what}") from exc


def _published_store() -> DefinitionStore:
    # Lazily: a bundled definition's lookups never reach for the store (nor for boto3).
    from chalicelib.dependencies import definition_store

    return definition_store()


def _published(tenant_id: str, definition_id: str, version: int | None) -> WorkflowDefinition:
    if version is None:
        latest = _published_store().latest(tenant_id, definition_id)
        if latest is None:
            raise UnknownWorkflowDefinition(definition_id)
        return latest.workflow_definition()
    return published_version(tenant_id, definition_id, version)


@register
@functools.lru_cache(maxsize=PUBLISHED_CACHE_SIZE)
def published_version(tenant_id: str, definition_id: str, version: int) -> WorkflowDefinition:
    """One published version (an unknown one raises, and is not cached)."""
    stored = _published_store().get_version(tenant_id, definition_id, version)
    if stored is None:
        raise UnknownWorkflowDefinition(f"{definition_id} version {version}")
    return stored.workflow_definition()
