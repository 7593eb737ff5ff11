"""The back-and-forth with the customer. Three blueprints, one per kind of caller:
- `collect_api` (`/api/v1/collect/{token}...`): the customer, holding a collection link;
- `collection_backoffice_api` (`/api/v1/backoffice/cases/{id}/...`): "new link" and messages;
- `collection_external_api` (`/api/v1/external/workflows/{id}/collection-link`): integrators.
Thin: parse, authenticate, call one service function, shape the answer. The link's URL leaves
only in the answer of the call that created it."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.auth.collection_tokens import CollectionGrant
from chalicelib.collection import emails
from chalicelib.collection import service as collection_service
from chalicelib.collection.links import IssuedLink
from chalicelib.dependencies import collection, document_storage, workflow_engine
from chalicelib.handlers.auth_kinds import CUSTOMER, INTEGRATOR, MESSAGE_WRITER, REVIEWER
from chalicelib.handlers.case_views import case_view_response
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.models.case import Case, CollectionRound, MessageRecord
from chalicelib.models.collection import (
    CaseDecisionResult,
    CollectionLinkView,
    CollectView,
    IntegratorLinkRequest,
    MessageList,
    MessageRequest,
    MessageView,
    RenewLinkRequest,
    RequestedDocumentView,
    SubmitRequest,
    UploadRequest,
    UploadTicket,
)
from chalicelib.models.reviewers import Reviewer

collect_api = Blueprint(__name__)
collection_backoffice_api = Blueprint(f"{__name__}.backoffice")
collection_external_api = Blueprint(f"{__name__}.external")


def link_view(link: IssuedLink) -> CollectionLinkView:
    return CollectionLinkView(url=link.url, expires_at=link.expires_at)


def decision_result(case: Case, reviewer: Reviewer, link: IssuedLink | None) -> CaseDecisionResult:
    view = case_view_response(case, reviewer)
    return CaseDecisionResult(
        **view.model_dump(), collection_link=link_view(link) if link else None
    )


def message_view(message: MessageRecord) -> MessageView:
    return MessageView(
        id=message.message_id,
        text=message.text,
        author_type="customer" if message.author.type == "customer" else "reviewer",
        author_name=message.author.name,
        created_at=message.created_at,
    )


def collect_view(case: Case, round_: CollectionRound, messages: list[MessageRecord]) -> CollectView:
    language = emails.language_of(case)
    return CollectView(
        entity_name=case.entity_name,
        status="open" if round_.is_open and case.status == "active" else "received",
        round=round_.number,
        message=round_.message,
        expires_at=round_.expires_at,
        requested=[
            RequestedDocumentView(
                key=item.key,
                document_id=item.document_id,
                type=item.type,
                category=item.category,
                label=emails.document_label(item),
                reason=item.reason,
                reason_text=emails.reason_label(item, language),
                message=item.message,
            )
            for item in round_.requested
        ],
        max_page_bytes=collection_service.MAX_PAGE_BYTES,
        messages=[message_view(m) for m in messages],
    )


# -- reviewers --------------------------------------------------------------------------------
@operation(
    collection_backoffice_api,
    "POST",
    "/cases/{case_id}/collection-link",
    auth=REVIEWER,
    summary="New link: revoke the open round's links and issue a fresh one (emailed too)",
    tag="collection",
    body=RenewLinkRequest,
    response=CaseDecisionResult,
    errors=(403, 409),
)
def renew_link_route(
    reviewer: Reviewer, case_id: str, body: RenewLinkRequest
) -> CaseDecisionResult:
    case, link = collection_service.renew_link(
        collection(),
        reviewer,
        case_id,
        expected_version=body.expected_version,
        request_id=request_id(collection_backoffice_api.current_request),
    )
    return decision_result(case, reviewer, link)


@operation(
    collection_backoffice_api,
    "GET",
    "/cases/{case_id}/messages",
    auth=REVIEWER,
    summary="The case's customer-visible messages, oldest first (not the internal notes)",
    tag="collection",
    response=MessageList,
    errors=(),
)
def list_messages_route(reviewer: Reviewer, case_id: str) -> MessageList:
    messages = collection_service.list_messages(collection(), reviewer.tenant_id, case_id)
    return MessageList(data=[message_view(m) for m in messages])


@operation(
    collection_backoffice_api,
    "POST",
    "/cases/{case_id}/messages",
    auth=MESSAGE_WRITER,
    summary="Write to the customer (plain text; emailed to the customer)",
    tag="collection",
    body=MessageRequest,
    response=MessageView,
    status=201,
    errors=(403,),
)
def add_message_route(reviewer: Reviewer, case_id: str, body: MessageRequest) -> MessageView:
    message = collection_service.add_reviewer_message(
        collection(),
        reviewer,
        case_id,
        body.text,
        request_id=request_id(collection_backoffice_api.current_request),
    )
    return message_view(message)


# -- integrators ------------------------------------------------------------------------------
@operation(
    collection_external_api,
    "POST",
    "/workflows/{case_id}/collection-link",
    auth=INTEGRATOR,
    summary="A collection link of the case's open round, for the integrator's customer",
    tag="integrator",
    body=IntegratorLinkRequest,
    body_required=False,
    response=CollectionLinkView,
    status=201,
    errors=(409,),
    description="409 when the case has no open collection request (it is not in revision).",
)
def integrator_link_route(
    tenant_id: str, case_id: str, body: IntegratorLinkRequest
) -> CollectionLinkView:
    link = collection_service.integrator_link(
        collection(),
        tenant_id,
        case_id,
        expires_in_seconds=body.expires_in_seconds,
        request_id=request_id(collection_external_api.current_request),
    )
    return link_view(link)


# -- the customer -----------------------------------------------------------------------------
def _view(grant: CollectionGrant) -> CollectView:
    c = collection()
    case, round_ = collection_service.customer_case(c, grant)
    return collect_view(case, round_, c.links.list_messages(case.tenant_id, case.case_id))


@operation(
    collect_api,
    "GET",
    "/{token}",
    auth=CUSTOMER,
    summary="What the customer is asked for (the collection link's page)",
    tag="collect",
    response=CollectView,
    errors=(),
)
def collect_route(grant: CollectionGrant, token: str) -> CollectView:
    return _view(grant)


@operation(
    collect_api,
    "POST",
    "/{token}/uploads",
    auth=CUSTOMER,
    summary="A presigned POST for one page of a requested document, straight to S3",
    tag="collect",
    body=UploadRequest,
    response=UploadTicket,
    status=201,
    errors=(409,),
)
def create_upload_route(grant: CollectionGrant, token: str, body: UploadRequest) -> UploadTicket:
    ticket = collection_service.create_upload(
        collection(), document_storage(), grant, body.document_key
    )
    return UploadTicket.model_validate(ticket)


@operation(
    collect_api,
    "POST",
    "/{token}/submit",
    auth=CUSTOMER,
    summary="Submit the uploaded pages: the case goes back to review",
    tag="collect",
    body=SubmitRequest,
    response=CollectView,
    errors=(409, 413, 422),
    description="413: a page over 10 MB; 422: a page that is not an image or PDF (by its "
    "bytes); 409: the request was answered already.",
)
def submit_route(grant: CollectionGrant, token: str, body: SubmitRequest) -> CollectView:
    collection_service.submit(
        collection(),
        workflow_engine(),
        document_storage(),
        grant,
        body.documents,
        request_id=request_id(collect_api.current_request),
    )
    return _view(grant)


@operation(
    collect_api,
    "GET",
    "/{token}/messages",
    auth=CUSTOMER,
    summary="The case's messages the customer sees",
    tag="collect",
    response=MessageList,
    errors=(),
)
def customer_messages_route(grant: CollectionGrant, token: str) -> MessageList:
    c = collection()
    case, _ = collection_service.customer_case(c, grant)
    return MessageList(
        data=[message_view(m) for m in c.links.list_messages(case.tenant_id, case.case_id)]
    )


@operation(
    collect_api,
    "POST",
    "/{token}/messages",
    auth=CUSTOMER,
    summary="Write to the reviewers (while the request is open)",
    tag="collect",
    body=MessageRequest,
    response=MessageView,
    status=201,
    errors=(409,),
)
def customer_message_route(grant: CollectionGrant, token: str, body: MessageRequest) -> MessageView:
    message = collection_service.add_customer_message(
        collection(), grant, body.text, request_id=request_id(collect_api.current_request)
    )
    return message_view(message)
