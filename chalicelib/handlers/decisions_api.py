"""Reviewer decisions: `/api/v1/backoffice/cases/{id}/decision`, the document decision and the
reason codes. Thin: parse, authenticate, call one decision service function, shape the answer."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.collection import service as collection_service
from chalicelib.collection.rounds import NewDocumentType
from chalicelib.decisions import service
from chalicelib.decisions.reasons import reason_codes
from chalicelib.dependencies import case_store, collection, workflow_engine
from chalicelib.handlers.auth_kinds import REVIEWER
from chalicelib.handlers.case_views import case_view_response
from chalicelib.handlers.collect_api import decision_result
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.models.backoffice import CaseView
from chalicelib.models.collection import CaseDecisionResult
from chalicelib.models.decisions import (
    CaseDecisionRequest,
    DecisionRequest,
    ReasonCodeList,
    ReasonCodeView,
    ReturnApprovalRequest,
)
from chalicelib.models.reviewers import Reviewer

decisions_api = Blueprint(__name__)


@operation(
    decisions_api,
    "POST",
    "/cases/{case_id}/decision",
    auth=REVIEWER,
    summary="Decide the case: approve, reject or ask for re-uploads (one collection round); under "
    "four-eyes, the maker's decision is pending until a checker sends the same decision",
    tag="decisions",
    body=CaseDecisionRequest,
    response=CaseDecisionResult,
    errors=(403, 409),
    description="`revision` sends the customer one request: every document marked for "
    "re-upload plus `requestDocuments`; the answer carries the round's `collectionLink`.",
)
def decide_case_route(
    reviewer: Reviewer, case_id: str, body: CaseDecisionRequest
) -> CaseDecisionResult:
    request = decisions_api.current_request
    if body.decision == "revision":
        case, link = collection_service.send_request(
            collection(),
            workflow_engine(),
            reviewer,
            case_id,
            reason=body.reason,
            comment=body.comment,
            expected_version=body.expected_version,
            new_types=[
                NewDocumentType(
                    type=t.type, category=t.category, reason=t.reason, message=t.message
                )
                for t in body.request_documents or []
            ],
            request_id=request_id(request),
        )
        return decision_result(case, reviewer, link)
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
        override_justification=(
            body.override_criteria.justification if body.override_criteria else None
        ),
        new_types=[
            NewDocumentType(type=t.type, category=t.category) for t in body.request_documents or []
        ],
    )
    return decision_result(case, reviewer, None)


@operation(
    decisions_api,
    "POST",
    "/cases/{case_id}/pending-approval/return",
    auth=REVIEWER,
    summary="Four-eyes: return the pending approval to its maker with a comment",
    tag="decisions",
    body=ReturnApprovalRequest,
    response=CaseView,
    errors=(403, 409),
)
def return_approval_route(
    reviewer: Reviewer, case_id: str, body: ReturnApprovalRequest
) -> CaseView:
    case = service.return_pending_approval(
        case_store(),
        reviewer,
        case_id,
        comment=body.comment,
        expected_version=body.expected_version,
        request_id=request_id(decisions_api.current_request),
    )
    return case_view_response(case, reviewer)


@operation(
    decisions_api,
    "POST",
    "/cases/{case_id}/documents/{document_id}/decision",
    auth=REVIEWER,
    summary="Decide one document of the case",
    tag="decisions",
    body=DecisionRequest,
    response=CaseView,
    errors=(403, 409),
)
def decide_document_route(
    reviewer: Reviewer, case_id: str, document_id: str, body: DecisionRequest
) -> CaseView:
    request = decisions_api.current_request
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
    return case_view_response(case, reviewer)


@operation(
    decisions_api,
    "GET",
    "/reason-codes",
    auth=REVIEWER,
    summary="The reason codes a reject or revision decision takes",
    tag="decisions",
    response=ReasonCodeList,
    errors=(),
)
def list_reason_codes_route() -> ReasonCodeList:
    return ReasonCodeList(data=[ReasonCodeView.model_validate(item) for item in reason_codes()])
