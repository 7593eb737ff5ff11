"""The committed OpenAPI snapshot the frontend builds its API types from (frontend/openapi.json).

`make openapi-snapshot` rewrites it (and regenerates frontend/src/api/schema.d.ts);
tests/unit/test_openapi_snapshot.py fails when it differs from what the app serves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parent.parent / "frontend" / "openapi.json"


def served_document() -> dict[str, Any]:
    """The document `GET /api/v1/openapi.json` answers."""
    from app import app  # noqa: F401  (registers the blueprint the document is built from)
    from chalicelib.handlers.openapi_api import openapi_document

    return json.loads(openapi_document())


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    SNAPSHOT.write_text(render(served_document()))
    print(f"wrote {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
