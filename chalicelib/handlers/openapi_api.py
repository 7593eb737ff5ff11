"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 document of every route of the app.

Public on purpose: it describes the API and holds no tenant data. The document is built on the
first request and kept for the life of the Lambda container; `chalicelib.openapi` (and the
schema generation) is imported only then, so importing the app stays as cheap as before.
"""

from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.handlers.auth_kinds import PUBLIC
from chalicelib.handlers.http import JSON_HEADERS
from chalicelib.handlers.operations import operation

openapi_api = Blueprint(__name__)

# The serialised document, built once per container (routes do not change at run time).
_document: str | None = None


def openapi_document() -> str:
    global _document
    if _document is None:
        from chalicelib.openapi import build_openapi

        _document = json.dumps(build_openapi(openapi_api.current_app.routes), sort_keys=False)
    return _document


@operation(
    openapi_api,
    "GET",
    "/openapi.json",
    auth=PUBLIC,
    summary="This OpenAPI 3.1 document (holds no tenant data, so it is public)",
    tag="meta",
    # A JSON object no model describes: the document itself.
    response=None,
    errors=(),
)
def openapi_route() -> Response:
    return Response(
        body=openapi_document(),
        status_code=200,
        headers={**JSON_HEADERS, "Cache-Control": "public, max-age=300"},
    )
