"""Reviewer decisions: `/api/v1/backoffice/cases/{id}/decision`, the document decision and the
reason codes. Thin: parse, authenticate, call one decision service function, shape the answer."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.decisions import service
from chalicelib.decisions.reasons import reason_codes
from chalicelib.dependencies import case_store, workflow_engine
from chalicelib.handlers.case_views import case_view_response
from chalicelib.handlers.http import (
    api_route,
    json_response,
    parse_body,
    request_id,
    signed_in_reviewer,
)
from chalicelib.models.decisions import (
    DecisionRequest,
    ReasonCodeList,
    ReasonCodeView,
)

decisions_api = Blueprint(__name__)


@api_route(decisions_api, "/cases/{case_id}/decision", methods=["POST"])
def decide_case_route(case_id: str) -> Any:
    request = decisions_api.current_request
    reviewer = signed_in_reviewer(request)
    body = parse_body(request, DecisionRequest)
    case = service.decide_case(
        case_store(),
        workflow_engine(),
        reviewer,
        case_id,
        decision=body.decision,
        reason=body.reason,
        comment=body.comment,
        expected_version=body.expected_version,
        request_id=request_id(request),
    )
    return json_response(case_view_response(case, reviewer).model_dump(by_alias=True))


@api_route(decisions_api, "/cases/{case_id}/documents/{document_id}/decision", methods=["POST"])
def decide_document_route(case_id: str, document_id: str) -> Any:
    request = decisions_api.current_request
    reviewer = signed_in_reviewer(request)
    body = parse_body(request, DecisionRequest)
    case = service.decide_document(
        case_store(),
        workflow_engine(),
        reviewer,
        case_id,
        document_id,
        decision=body.decision,
        reason=body.reason,
        comment=body.comment,
        expected_version=body.expected_version,
        request_id=request_id(request),
    )
    return json_response(case_view_response(case, reviewer).model_dump(by_alias=True))


@api_route(decisions_api, "/reason-codes", methods=["GET"])
def list_reason_codes_route() -> Any:
    signed_in_reviewer(decisions_api.current_request)
    body = ReasonCodeList(data=[ReasonCodeView.model_validate(item) for item in reason_codes()])
    return json_response(body.model_dump(by_alias=True))
