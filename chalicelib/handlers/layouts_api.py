"""Case layouts: `/api/v1/backoffice/layouts/{workflowDefinitionId}[?version=N]` (read by any
reader of cases; saved and rolled back with `layouts.manage`), each tenant its own: for every
version of the definition, or (`version`) for one version."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.dependencies import layout_store
from chalicelib.handlers.auth_kinds import REVIEWER, ReviewerToken
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.layouts import service
from chalicelib.models.layouts import LayoutParams, LayoutRequest, LayoutView
from chalicelib.models.permissions import LAYOUTS_MANAGE
from chalicelib.models.reviewers import Reviewer

layouts_api = Blueprint(__name__)
LAYOUT_MANAGER = ReviewerToken(LAYOUTS_MANAGE, argument="admin")


@operation(
    layouts_api,
    "GET",
    "/layouts/{workflow_definition_id}",
    auth=REVIEWER,
    summary="The case layout of a workflow definition, or of one version of it (the tenant's, "
    "else the bundled one)",
    tag="layouts",
    query=LayoutParams,
    response=LayoutView,
    errors=(),
)
def get_layout_route(
    reviewer: Reviewer, workflow_definition_id: str, query: LayoutParams
) -> LayoutView:
    return service.get_layout(layout_store(), reviewer, workflow_definition_id, query.version)


@operation(
    layouts_api,
    "PUT",
    "/layouts/{workflow_definition_id}",
    auth=LAYOUT_MANAGER,
    summary="Save a new version of the tenant's case layout, or roll back to an earlier one",
    tag="layouts",
    query=LayoutParams,
    body=LayoutRequest,
    response=LayoutView,
    errors=(403, 409),
    description="Every save is a new version (author and time kept); `rollbackTo` saves an "
    "earlier version again as the newest. With `version`, the layout of that version of the "
    "definition only (it wins over the layout for every version); its versions are its own. "
    "See docs/layouts.md for the schema.",
)
def put_layout_route(
    admin: Reviewer, workflow_definition_id: str, query: LayoutParams, body: LayoutRequest
) -> LayoutView:
    return service.put_layout(
        layout_store(),
        admin,
        workflow_definition_id,
        body,
        definition_version=query.version,
        request_id=request_id(layouts_api.current_request),
    )
