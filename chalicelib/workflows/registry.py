"""The bundled workflow definitions, loaded and validated once per process."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from chalicelib.caches import register
from chalicelib.workflows.definition import WorkflowDefinition, WorkflowDefinitionError

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


def latest_definitions() -> list[WorkflowDefinition]:
    latest: dict[str, WorkflowDefinition] = {}
    for definition in bundled_definitions():
        current = latest.get(definition.id)
        if current is None or definition.version > current.version:
            latest[definition.id] = definition
    return sorted(latest.values(), key=lambda d: d.id)


def get_definition(definition_id: str, version: int | None = None) -> WorkflowDefinition:
    """A definition by id: the given version, or the latest for new cases."""
    candidates = [d for d in bundled_definitions() if d.id == definition_id]
    if version is not None:
        candidates = [d for d in candidates if d.version == version]
    if not candidates:
        suffix = f" version {version}" if version is not None else ""
        raise UnknownWorkflowDefinition(f"{definition_id}{suffix}")
    return max(candidates, key=lambda d: d.version)
