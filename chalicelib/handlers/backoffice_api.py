"""Reviewers' back office: `/api/v1/backoffice/*`, authenticated by a Cognito ID token and
scoped to the reviewer's tenant (another tenant's case is a 404)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.cases import queries
from chalicelib.cases.assignment import assign_case
from chalicelib.cases.case_view import audit_entry, case_row
from chalicelib.cases.inbox import list_inbox
from chalicelib.cases.notes import add_note, list_notes
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, reviewer_directory
from chalicelib.handlers.case_views import case_view_response, reviewer_names
from chalicelib.handlers.http import (
    api_route,
    json_response,
    parse_body,
    parse_query,
    request_id,
    signed_in_reviewer,
)
from chalicelib.models.backoffice import (
    AssigneeRequest,
    AuditList,
    CaseList,
    InboxParams,
    NoteList,
    NoteRequest,
    NoteView,
    PersonRef,
    UserList,
)
from chalicelib.models.case import NoteRecord

backoffice_api = Blueprint(__name__)


def _note_view(note: NoteRecord) -> NoteView:
    return NoteView(
        id=note.note_id,
        text=note.text,
        author=PersonRef(id=note.author_id, name=note.author_name),
        created_at=note.created_at,
    )


@api_route(backoffice_api, "/cases", methods=["GET"])
def list_cases_route() -> Any:
    request = backoffice_api.current_request
    reviewer = signed_in_reviewer(request)
    params = parse_query(request, InboxParams)
    page, next_cursor = list_inbox(
        case_store(),
        params.to_query(reviewer.tenant_id, reviewer.id),
        cursor=params.cursor,
        cursor_secret=get_settings().cursor_signing_key,
    )
    name_of = reviewer_names(reviewer.tenant_id)
    body = CaseList(data=[case_row(row, name_of) for row in page.rows], next_cursor=next_cursor)
    return json_response(body.model_dump(by_alias=True))


@api_route(backoffice_api, "/cases/{case_id}", methods=["GET"])
def get_case_route(case_id: str) -> Any:
    reviewer = signed_in_reviewer(backoffice_api.current_request)
    case = queries.get_case(case_store(), reviewer.tenant_id, case_id)
    return json_response(case_view_response(case, reviewer).model_dump(by_alias=True))


@api_route(backoffice_api, "/cases/{case_id}/assignee", methods=["PUT"])
def assign_case_route(case_id: str) -> Any:
    request = backoffice_api.current_request
    reviewer = signed_in_reviewer(request)
    body = parse_body(request, AssigneeRequest)
    case = assign_case(
        case_store(),
        reviewer_directory(),
        reviewer,
        case_id,
        assignee_id=body.assignee_id,
        expected_version=body.expected_version,
        request_id=request_id(request),
    )
    return json_response(case_view_response(case, reviewer).model_dump(by_alias=True))


@api_route(backoffice_api, "/cases/{case_id}/notes", methods=["GET"])
def list_notes_route(case_id: str) -> Any:
    reviewer = signed_in_reviewer(backoffice_api.current_request)
    notes = list_notes(case_store(), reviewer, case_id)
    return json_response(NoteList(data=[_note_view(n) for n in notes]).model_dump(by_alias=True))


@api_route(backoffice_api, "/cases/{case_id}/notes", methods=["POST"])
def add_note_route(case_id: str) -> Any:
    request = backoffice_api.current_request
    reviewer = signed_in_reviewer(request)
    body = parse_body(request, NoteRequest)
    note = add_note(case_store(), reviewer, case_id, body.text, request_id=request_id(request))
    return json_response(_note_view(note).model_dump(by_alias=True), 201)


@api_route(backoffice_api, "/cases/{case_id}/audit", methods=["GET"])
def list_audit_route(case_id: str) -> Any:
    reviewer = signed_in_reviewer(backoffice_api.current_request)
    case = queries.get_case(case_store(), reviewer.tenant_id, case_id)
    records = case_store().list_audit(case.tenant_id, case.case_id)
    return json_response(
        AuditList(data=[audit_entry(r) for r in records]).model_dump(by_alias=True)
    )


@api_route(backoffice_api, "/users", methods=["GET"])
def list_users_route() -> Any:
    reviewer = signed_in_reviewer(backoffice_api.current_request)
    users = reviewer_directory().list_reviewers(reviewer.tenant_id)
    return json_response(UserList(data=users).model_dump(by_alias=True))
