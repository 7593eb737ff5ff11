"""The rules of a case layout: checks a schema cannot state, the layout a case falls back to,
and what a layout removes or masks from the case view before it leaves the API."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chalicelib.caches import register
from chalicelib.cases.search import ENTITY_NAME, SEARCHED_FIELDS
from chalicelib.models.layouts import FIELD_BLOCKS, CaseLayout, LayoutField, RequiredDocument

BUNDLED_DIR = Path(__file__).parent / "bundled"
MASK = "•••"
# A masked value keeps its last characters only when long enough that they reveal little
# (an IBAN's or a passport number's end, as printed on statements).
MASK_KEEP, MASK_MIN_LENGTH = 4, 10

# Every block, in a sensible order: the layout of a definition that ships none.
GENERIC_LAYOUT = CaseLayout.model_validate(
    {
        "columns": 2,
        "blocks": [
            {"type": "entity"},
            {"type": "acceptanceCriteria"},
            {"type": "ubos"},
            {"type": "directors"},
            {"type": "vendorResults"},
            {"type": "customData"},
            {"type": "messages"},
            {"type": "notes"},
            {"type": "history"},
            {"type": "documents", "column": 2},
        ],
    }
)


def layout_problems(layout: CaseLayout) -> list[dict[str, str]]:
    """What the schema cannot say, each with the field path it is about."""
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, block in enumerate(layout.blocks):
        at = f"layout.blocks[{i}]"
        if block.type in seen:
            problems.append({"path": f"{at}.type", "message": f"`{block.type}` appears twice"})
        seen.add(block.type)
        if block.column > layout.columns:
            message = f"the layout has {layout.columns} column(s)"
            problems.append({"path": f"{at}.column", "message": message})
        if block.fields and block.type not in FIELD_BLOCKS:
            message = f"a `{block.type}` block has no fields to lay out"
            problems.append({"path": f"{at}.fields", "message": message})
        paths: set[str] = set()
        for j, field in enumerate(block.fields):
            if field.path in paths:
                message = f"`{field.path}` appears twice"
                problems.append({"path": f"{at}.fields[{j}].path", "message": message})
            paths.add(field.path)
            if field.currency is not None and field.format != "money":
                message = "a currency goes with the `money` format only"
                problems.append({"path": f"{at}.fields[{j}].currency", "message": message})
    documents = [(d.type, d.category) for d in layout.required_documents]
    for k, key in enumerate(documents):
        if key in documents[:k]:
            message = "this type and category are required twice"
            problems.append({"path": f"layout.requiredDocuments[{k}]", "message": message})
    return problems


@register
@functools.cache
def bundled_layout(workflow_definition_id: str) -> CaseLayout | None:
    """The layout shipped with a bundled definition, if it has one."""
    path = BUNDLED_DIR / f"{workflow_definition_id}.json"
    if not path.is_file():
        return None
    return CaseLayout.model_validate(json.loads(path.read_text()))


def mask(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return MASK + text[-MASK_KEEP:] if len(text) >= MASK_MIN_LENGTH else MASK


def _apply(
    data: dict[str, Any],
    path: list[str],
    field: LayoutField,
    unmasked: bool,
    masked: set[str] | None,
) -> None:
    head, rest = path[0], path[1:]
    if head not in data:
        return
    if rest:
        inner = data[head]
        if isinstance(inner, dict):
            data[head] = inner = dict(inner)
            _apply(inner, rest, field, unmasked, masked)
        return
    if field.hidden:
        del data[head]
    elif field.format == "masked" and not unmasked and data[head] is not None:
        if masked is not None:
            masked.add(data[head] if isinstance(data[head], str) else json.dumps(data[head]))
        data[head] = mask(data[head])


# The entity data an entity's display name is made of (`cases.ingestion.entity_display_name`).
NAME_FIELDS: dict[str, frozenset[str]] = {
    "business": frozenset({"companyName", "name"}),
    "individual": frozenset({"firstName", "lastName"}),
}


def _masked_entity_fields(layout: CaseLayout) -> frozenset[str]:
    entity = next((block for block in layout.blocks if block.type == "entity"), None)
    fields = entity.fields if entity else []
    return frozenset(f.path for f in fields if f.format == "masked")


def _name_masked(entity_type: str, layout: CaseLayout) -> bool:
    return bool(_masked_entity_fields(layout) & NAME_FIELDS.get(entity_type, frozenset()))


def shown_name(name: str, entity_type: str, layout: CaseLayout, unmasked: bool) -> str:
    """The entity's display name (case view, inbox rows), masked when the layout masks a field
    it is made of and the reader may not see masked fields in clear."""
    return mask(name) if not unmasked and _name_masked(entity_type, layout) else name


def masked_search_sources(entity_type: str, layout: CaseLayout) -> frozenset[str]:
    """The search sources (`chalicelib.cases.search`) a reader without `cases.read_unmasked`
    may not find a case through: the searched fields the layout masks, and the entity's name
    when it is shown masked."""
    masked = _masked_entity_fields(layout) & frozenset(SEARCHED_FIELDS)
    return masked | {ENTITY_NAME} if _name_masked(entity_type, layout) else masked


def shaped(
    data: dict[str, Any],
    fields: Iterable[LayoutField],
    unmasked: bool,
    masked: set[str] | None = None,
) -> dict[str, Any]:
    """`data` without the hidden fields, the masked ones masked unless `unmasked` (their values
    in clear added to `masked`): applied before the case view leaves the API, so a browser
    never receives what it must not show."""
    result = dict(data)
    for field in fields:
        _apply(result, field.path.split("."), field, unmasked, masked)
    return result


# Shorter masked values would mask unrelated text wherever their characters appear.
SCRUB_MIN_LENGTH = 3


def scrubbed(value: Any, masked: Iterable[str]) -> Any:
    """`value` (plugin data that echoes the case's data, such as the names a screening
    compared) with every string that contains one of the `masked` values masked."""
    secrets = [m for m in masked if len(m) >= SCRUB_MIN_LENGTH]
    if not secrets:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        if isinstance(item, str) and any(secret in item for secret in secrets):
            return mask(item)
        return item

    return walk(value)


def missing_documents(
    layout: CaseLayout, present: Iterable[tuple[str, str]]
) -> list[RequiredDocument]:
    """The required documents (type and category) the case does not have."""
    have = set(present)
    return [d for d in layout.required_documents if (d.type, d.category) not in have]
