"""Reviewers' back office: `/api/v1/backoffice/*`, authenticated by a Cognito ID token and
scoped to the reviewer's tenant (another tenant's case is a 404)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.cases import queries
from chalicelib.cases.assignment import assign_case
from chalicelib.cases.case_view import audit_entry
from chalicelib.cases.inbox import list_inbox
from chalicelib.cases.notes import add_note, list_notes
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, plugin_queue, reviewer_directory
from chalicelib.handlers.auth_kinds import REVIEWER
from chalicelib.handlers.case_views import case_rows, case_view_response, inbox_reader
from chalicelib.handlers.external_api import definition_list
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.models.backoffice import (
    AssigneeRequest,
    AuditList,
    CaseList,
    CaseView,
    HitResolutionRequest,
    InboxParams,
    NoteList,
    NoteRequest,
    NoteView,
    PersonRef,
    PluginRunAccepted,
)
from chalicelib.models.case import NoteRecord
from chalicelib.models.responses import WorkflowDefinitionList
from chalicelib.models.reviewers import Reviewer
from chalicelib.plugins.actions import request_rerun, resolve_hit

backoffice_api = Blueprint(__name__)


def _note_view(note: NoteRecord) -> NoteView:
    return NoteView(
        id=note.note_id,
        text=note.text,
        author=PersonRef(id=note.author_id, name=note.author_name),
        created_at=note.created_at,
    )


@operation(
    backoffice_api,
    "GET",
    "/cases",
    auth=REVIEWER,
    summary="The inbox: the tenant's cases, filtered, sorted, cursor-paginated",
    tag="cases",
    query=InboxParams,
    response=CaseList,
    errors=(),
)
def list_cases_route(reviewer: Reviewer, query: InboxParams) -> CaseList:
    page, next_cursor = list_inbox(
        inbox_reader(reviewer),
        query.to_query(reviewer.tenant_id, reviewer.id, query.limit),
        cursor=query.cursor,
        cursor_secret=get_settings().cursor_signing_key,
    )
    return CaseList(
        data=case_rows(page.rows, reviewer),
        next_cursor=next_cursor,
    )


@operation(
    backoffice_api,
    "GET",
    "/cases/{case_id}",
    auth=REVIEWER,
    summary="The case view",
    tag="cases",
    response=CaseView,
    errors=(),
)
def get_case_route(reviewer: Reviewer, case_id: str) -> CaseView:
    case = queries.get_case(case_store(), reviewer.tenant_id, case_id)
    return case_view_response(case, reviewer)


@operation(
    backoffice_api,
    "PUT",
    "/cases/{case_id}/assignee",
    auth=REVIEWER,
    summary="Assign, claim or unassign a case",
    tag="cases",
    body=AssigneeRequest,
    response=CaseView,
    errors=(403, 409),
)
def assign_case_route(reviewer: Reviewer, case_id: str, body: AssigneeRequest) -> CaseView:
    request = backoffice_api.current_request
    case = assign_case(
        case_store(),
        reviewer_directory(),
        reviewer,
        case_id,
        assignee_id=body.assignee_id,
        expected_version=body.expected_version,
        request_id=request_id(request),
    )
    return case_view_response(case, reviewer)


@operation(
    backoffice_api,
    "GET",
    "/cases/{case_id}/notes",
    auth=REVIEWER,
    summary="The case's notes, oldest first",
    tag="cases",
    response=NoteList,
    errors=(),
)
def list_notes_route(reviewer: Reviewer, case_id: str) -> NoteList:
    notes = list_notes(case_store(), reviewer, case_id)
    return NoteList(data=[_note_view(n) for n in notes])


@operation(
    backoffice_api,
    "POST",
    "/cases/{case_id}/notes",
    auth=REVIEWER,
    summary="Add a note to the case",
    tag="cases",
    body=NoteRequest,
    response=NoteView,
    status=201,
    errors=(403,),
)
def add_note_route(reviewer: Reviewer, case_id: str, body: NoteRequest) -> NoteView:
    request = backoffice_api.current_request
    note = add_note(case_store(), reviewer, case_id, body.text, request_id=request_id(request))
    return _note_view(note)


@operation(
    backoffice_api,
    "GET",
    "/cases/{case_id}/audit",
    auth=REVIEWER,
    summary="The case's audit trail, oldest first",
    tag="cases",
    response=AuditList,
    errors=(),
)
def list_audit_route(reviewer: Reviewer, case_id: str) -> AuditList:
    case = queries.get_case(case_store(), reviewer.tenant_id, case_id)
    records = case_store().list_audit(case.tenant_id, case.case_id)
    return AuditList(data=[audit_entry(r) for r in records])


@operation(
    backoffice_api,
    "GET",
    "/workflow-definitions",
    auth=REVIEWER,
    summary="The workflow definitions, bundled and the tenant's own (the inbox's filter)",
    tag="cases",
    response=WorkflowDefinitionList,
    errors=(),
)
def list_workflow_definitions_for_reviewers_route(reviewer: Reviewer) -> WorkflowDefinitionList:
    return definition_list(reviewer.tenant_id)


@operation(
    backoffice_api,
    "POST",
    "/cases/{case_id}/plugins/{plugin}/run",
    auth=REVIEWER,
    summary="Run one of the case's plugins (vendor checks) again; a new result version follows",
    tag="cases",
    response=PluginRunAccepted,
    errors=(403, 409),
    status=202,
)
def rerun_plugin_route(reviewer: Reviewer, case_id: str, plugin: str) -> PluginRunAccepted:
    spec = request_rerun(
        case_store(),
        plugin_queue(),
        reviewer,
        case_id,
        plugin,
        request_id=request_id(backoffice_api.current_request),
    )
    return PluginRunAccepted(case_id=case_id, plugin=spec.name)


@operation(
    backoffice_api,
    "POST",
    "/cases/{case_id}/plugins/{plugin}/hits/{hit_id}/resolution",
    auth=REVIEWER,
    summary="Dismiss a screening hit as a false positive, or confirm it (reason required)",
    tag="cases",
    body=HitResolutionRequest,
    response=CaseView,
    errors=(403, 409),
)
def resolve_hit_route(
    reviewer: Reviewer, case_id: str, plugin: str, hit_id: str, body: HitResolutionRequest
) -> CaseView:
    case = resolve_hit(
        case_store(),
        reviewer,
        case_id,
        plugin,
        hit_id,
        status=body.status,
        reason=body.reason,
        expected_version=body.expected_version,
        request_id=request_id(backoffice_api.current_request),
    )
    return case_view_response(case, reviewer)
