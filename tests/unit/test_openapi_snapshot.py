"""frontend/openapi.json, the snapshot the frontend's API types are generated from, is what the
app serves: an API change without `make openapi-snapshot` fails here, not in a browser."""

from __future__ import annotations

import json

from local.openapi_snapshot import SNAPSHOT, served_document

REFRESH = (
    "run `make openapi-snapshot` (rewrites it and frontend/src/api/schema.d.ts) and commit both"
)


def _differences(old: object, new: object, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in sorted(set(old) | set(new)):
            where = f"{path}/{key}"
            if key not in old:
                found.append(f"added {where}")
            elif key not in new:
                found.append(f"removed {where}")
            else:
                found += _differences(old[key], new[key], where)
        return found
    return [] if old == new else [f"changed {path or '/'}"]


def test_the_frontend_snapshot_is_the_served_document() -> None:
    assert SNAPSHOT.is_file(), f"{SNAPSHOT} is missing: {REFRESH}"
    differences = _differences(json.loads(SNAPSHOT.read_text()), served_document())
    assert not differences, (
        f"{SNAPSHOT.name} differs from the app's OpenAPI document: {REFRESH}.\n  "
        + "\n  ".join(differences[:20])
    )


def test_a_stale_snapshot_is_reported_with_the_command_that_refreshes_it() -> None:
    document = served_document()
    stale = json.loads(json.dumps(document))
    stale["components"]["schemas"]["CaseView"]["properties"].pop("version")
    assert _differences(stale, document) == [
        "added /components/schemas/CaseView/properties/version"
    ]
