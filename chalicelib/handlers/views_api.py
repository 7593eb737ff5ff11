"""Saved inbox views: `/api/v1/backoffice/views` (any reader of the inbox; sharing needs
`views.share`). Another reviewer's personal view, like another tenant's, is a 404."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.dependencies import reviewer_directory, view_store
from chalicelib.handlers.auth_kinds import REVIEWER
from chalicelib.handlers.case_views import inbox_reader
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.views import (
    ViewDeleteParams,
    ViewList,
    ViewListParams,
    ViewOut,
    ViewRequest,
    ViewUpdateRequest,
)
from chalicelib.views import service

views_api = Blueprint(__name__)


def _request_id() -> str | None:
    return request_id(views_api.current_request)


@operation(
    views_api,
    "GET",
    "/views",
    auth=REVIEWER,
    summary="The caller's saved inbox views and the tenant's shared ones, with capped counts",
    tag="views",
    query=ViewListParams,
    response=ViewList,
    errors=(),
)
def list_views_route(reviewer: Reviewer, query: ViewListParams) -> ViewList:
    return service.list_views(view_store(), inbox_reader(reviewer), reviewer, counts=query.counts)


@operation(
    views_api,
    "POST",
    "/views",
    auth=REVIEWER,
    summary="Save the inbox's filters and sort as a named view (shared: `views.share`)",
    tag="views",
    body=ViewRequest,
    response=ViewOut,
    status=201,
    errors=(403,),
)
def create_view_route(reviewer: Reviewer, body: ViewRequest) -> ViewOut:
    return service.create_view(
        view_store(),
        inbox_reader(reviewer),
        reviewer_directory(),
        reviewer,
        body,
        request_id=_request_id(),
    )


@operation(
    views_api,
    "PUT",
    "/views/{view_id}",
    auth=REVIEWER,
    summary="Change a saved view (one's own, or a shared one with `views.share`)",
    tag="views",
    body=ViewUpdateRequest,
    response=ViewOut,
    errors=(403, 409),
)
def update_view_route(reviewer: Reviewer, view_id: str, body: ViewUpdateRequest) -> ViewOut:
    return service.update_view(
        view_store(),
        inbox_reader(reviewer),
        reviewer_directory(),
        reviewer,
        view_id,
        body,
        request_id=_request_id(),
    )


@operation(
    views_api,
    "DELETE",
    "/views/{view_id}",
    auth=REVIEWER,
    summary="Delete a saved view (one's own, or a shared one with `views.share`)",
    tag="views",
    query=ViewDeleteParams,
    response=None,
    status=204,
    errors=(403, 409),
)
def delete_view_route(reviewer: Reviewer, view_id: str, query: ViewDeleteParams) -> None:
    service.delete_view(
        view_store(), reviewer, view_id, query.expected_version, request_id=_request_id()
    )
