"""The back-and-forth with the customer as plain functions over their adapters.

- A reviewer sends a round (`send_request`): the case decision `revision`, then a link for the
  reviewer's answer and the customer's email (the same URL), and the round's timers.
- "New link" (`renew_link`) moves the round's link generation on (revoking older links) and
  gives the round a fresh expiry; the integrator mints links of its own (`integrator_link`); the
  revision webhook of a tenant's own subscriptions carries one more (`webhook_link`).
- The customer, holding a link, sees the round, uploads pages straight to S3 and submits
  (`submit`): new pages (old ones in page history), `resubmitted` by the customer, back to review.
- Messages: a customer-visible thread per case, apart from the internal notes.
- `run_due_timers`: reminder emails before a round's links expire, and the expiry flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.auth.collection_tokens import CollectionGrant
from chalicelib.auth.permissions import require_active, require_may_change_case, require_permission
from chalicelib.cases import queries
from chalicelib.cases.store import CaseStore
from chalicelib.cases.workflow_runtime import WorkflowEngine, set_case_flag, sync_after_commit
from chalicelib.collection import emails
from chalicelib.collection.links import IssuedLink, mint_link, round_of_grant, round_timers
from chalicelib.collection.rounds import (
    DEFAULT_LINK_TTL_SECONDS,
    LINK_EXPIRED_FLAG,
    RESUBMITTED_FLAG,
    NewDocumentType,
    close_open_round,
    expiry,
)
from chalicelib.collection.store import CollectionStore
from chalicelib.decisions import service as decisions
from chalicelib.decisions.transitions import apply_event, audit_record, reviewer_actor
from chalicelib.documents.content_types import sniff_content_type
from chalicelib.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    VersionConflict,
)
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import (
    Actor,
    AuditRecord,
    Case,
    CollectionRound,
    MessageRecord,
    PageSet,
    PageStorage,
    RequestedDocument,
)
from chalicelib.models.permissions import MESSAGES_WRITE
from chalicelib.models.reviewers import Reviewer
from chalicelib.observability import logger

MAX_PAGE_BYTES = 10 * 1024 * 1024
MAX_PAGES_PER_DOCUMENT = 10
UPLOAD_URL_SECONDS = 900
# Magic numbers are checked on this many first bytes.
SNIFF_BYTES = 16
_UPLOAD_ID = re.compile(r"^upl_[A-Za-z0-9_-]{6,64}$")
MAX_WRITE_ATTEMPTS = 5


class UploadStorage(Protocol):
    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int) -> dict[str, Any]: ...

    def object_size(self, key: str) -> int | None: ...

    def read_head(self, key: str, length: int) -> bytes: ...


@dataclass
class Collection:
    """The adapters the back-and-forth uses."""

    cases: CaseStore
    links: CollectionStore
    mailer: emails.Mailer | None
    base_url: str
    reminders_before: tuple[int, ...] = (24 * 3600,)
    sent: list[str] = field(default_factory=list)  # SES message ids of this call (for logs)


# -- reviewer ---------------------------------------------------------------------------------
def send_request(
    c: Collection,
    engine: WorkflowEngine,
    reviewer: Reviewer,
    case_id: str,
    *,
    reason: str | None,
    comment: str | None,
    expected_version: int,
    new_types: list[NewDocumentType],
    request_id: str | None,
) -> tuple[Case, IssuedLink | None]:
    """Ask for re-uploads: the case decision `revision` opens the round; its link goes to the
    reviewer (this answer) and to the customer (email). Under four-eyes the maker's revision is
    only pending: no round opens and no link is issued until a checker confirms it."""
    case = decisions.decide_case(
        c.cases,
        engine,
        reviewer,
        case_id,
        decision="revision",
        reason=reason,
        comment=comment,
        expected_version=expected_version,
        request_id=request_id,
        new_types=new_types,
    )
    if case.pending_approval is not None:
        return case, None
    round_ = _open_round(case)
    link = _issue(c, case, round_, channel="reviewer", now=utc_now())
    _email(c, case, "request", link, round_)
    return case, link


def renew_link(
    c: Collection,
    reviewer: Reviewer,
    case_id: str,
    *,
    expected_version: int,
    request_id: str | None,
) -> tuple[Case, IssuedLink]:
    """ "New link": revoke every link of the open round and issue a fresh one (emailed too),
    with a fresh expiry; clears the expiry flag."""
    case = queries.get_case(c.cases, reviewer.tenant_id, case_id)
    require_may_change_case(reviewer, case)
    require_active(case)
    queries.require_version(case, expected_version)
    now = utc_now()
    updated = case.model_copy(deep=True)
    round_ = _open_round(updated)
    round_.link_generation += 1
    round_.expires_at = expiry(now, DEFAULT_LINK_TTL_SECONDS)
    updated.updated_at = now
    if LINK_EXPIRED_FLAG in updated.flags:
        updated.flags.remove(LINK_EXPIRED_FLAG)
    record = _link_audit(updated, round_, reviewer_actor(reviewer), now, request_id, "reviewer")
    record.details["revokedGeneration"] = round_.link_generation - 1
    stored = c.cases.update_case(updated, expected_version=expected_version, audit=[record])
    link = _issue(c, stored, _open_round(stored), channel="reviewer", now=now)
    _email(c, stored, "request", link, _open_round(stored))
    return stored, link


# -- integrator -------------------------------------------------------------------------------
def integrator_link(
    c: Collection,
    tenant_id: str,
    case_id: str,
    *,
    expires_in_seconds: int | None,
    request_id: str | None,
) -> IssuedLink:
    """A link of the open round for the integrator to hand to its customer; a later expiry
    than the round's extends the round."""
    for _ in range(MAX_WRITE_ATTEMPTS):
        case = queries.get_case(c.cases, tenant_id, case_id)
        require_active(case)
        now = utc_now()
        updated = case.model_copy(deep=True)
        round_ = _open_round(updated)
        until = expiry(now, expires_in_seconds or DEFAULT_LINK_TTL_SECONDS)
        if round_.expires_at is None or until > round_.expires_at:
            round_.expires_at = until
        if LINK_EXPIRED_FLAG in updated.flags:
            updated.flags.remove(LINK_EXPIRED_FLAG)
        updated.updated_at = now
        actor = Actor(type="integrator", id=tenant_id)
        record = _link_audit(updated, round_, actor, now, request_id, "integrator")
        record.details["expiresAt"] = until
        try:
            stored = c.cases.update_case(updated, expected_version=case.version, audit=[record])
        except VersionConflict:
            continue
        round_ = _open_round(stored)
        c.links.put_timers(round_timers(stored, round_, c.reminders_before, now))
        return mint_link(
            c.links,
            stored,
            round_,
            base_url=c.base_url,
            channel="integrator",
            now=now,
            expires_at=until,
        )
    raise Conflict("the case is being changed by concurrent requests; retry")


def webhook_link(c: Collection, case: Case | None, round_number: Any) -> dict[str, str] | None:
    """A link for the revision webhook of one of the tenant's own subscriptions (minted per
    delivery; None if the round is no longer open)."""
    round_ = case.open_round if case is not None else None
    if case is None or round_ is None or round_.number != round_number:
        return None
    link = _issue(c, case, round_, channel="webhook", now=utc_now(), timers=False)
    return {"url": link.url, "expiresAt": link.expires_at}


# -- customer ---------------------------------------------------------------------------------
def customer_case(c: Collection, grant: CollectionGrant) -> tuple[Case, CollectionRound]:
    case = c.cases.get_case(grant.tenant_id, grant.case_id)
    if case is None:
        raise NotFound("no such case")
    return case, round_of_grant(case, grant)


def _answerable(c: Collection, grant: CollectionGrant) -> tuple[Case, CollectionRound]:
    case, round_ = customer_case(c, grant)
    if not round_.is_open or case.status != "active":
        raise Conflict("this request was answered already; nothing more can be sent")
    return case, round_


def upload_key(case: Case, round_: CollectionRound, upload_id: str) -> str:
    return f"tenants/{case.tenant_id}/cases/{case.case_id}/collect/{round_.number}/{upload_id}"


def create_upload(
    c: Collection, uploads: UploadStorage, grant: CollectionGrant, item_key: str
) -> dict[str, Any]:
    """A presigned POST for one page of one requested document, straight to S3. S3 enforces
    the size range in the cloud; `submit` checks size and type again from the bytes."""
    case, round_ = _answerable(c, grant)
    if item_key not in {item.key for item in round_.requested}:
        raise InvalidRequest(
            "this document was not requested",
            details=[{"path": "documentKey", "message": "not one of the requested documents"}],
        )
    upload_id = new_id("upl")
    post = uploads.presigned_post(
        upload_key(case, round_, upload_id), max_bytes=MAX_PAGE_BYTES, expires_in=UPLOAD_URL_SECONDS
    )
    return {"uploadId": upload_id, "url": post["url"], "fields": post["fields"]}


def submit(
    c: Collection,
    engine: WorkflowEngine,
    uploads: UploadStorage,
    grant: CollectionGrant,
    answer: dict[str, list[str]],
    *,
    request_id: str | None,
) -> Case:
    """The customer's answer: every requested document with its uploaded pages. The bytes are
    checked here (at most 10 MB a page; an accepted image or PDF by its magic numbers), the new
    pages replace the old ones (kept as page history), the documents go back to pending, the
    round closes and the case goes back to review (`resubmitted`, by the customer)."""
    case, round_ = _answerable(c, grant)
    wanted = {item.key: item for item in round_.requested}
    problems = [
        {"path": f"documents.{key}", "message": "not one of the requested documents"}
        for key in answer
        if key not in wanted
    ] + [
        {"path": f"documents.{key}", "message": "at least one page is needed"}
        for key in wanted
        if not answer.get(key)
    ]
    if problems:
        raise InvalidRequest("the answer does not match the request", details=problems)
    now = utc_now()
    pages: dict[str, list[tuple[str, PageStorage]]] = {}
    for key, upload_ids in answer.items():
        if len(upload_ids) > MAX_PAGES_PER_DOCUMENT:
            raise InvalidRequest(
                "too many pages",
                details=[{"path": f"documents.{key}", "message": "at most 10 pages"}],
            )
        pages[key] = [
            _checked_page(uploads, upload_key(case, round_, upload_id), f"documents.{key}", now)
            for upload_id in upload_ids
            if _valid_upload_id(upload_id, key)
        ]
    updated = case.model_copy(deep=True)
    actor = Actor(type="customer", id=f"round:{round_.number}", name=case.entity_name)
    new_storage: dict[str, PageStorage] = {}
    replaced: list[str] = []
    for key, item in wanted.items():
        page_list = [
            {"id": page_id, "provider": "collection", "type": _page_type(storage)}
            for page_id, storage in pages[key]
        ]
        new_storage.update(dict(pages[key]))
        replaced.append(_put_pages(updated, item, page_list, now))
    records = decisions.reset_for_resubmission(
        updated, {doc_id for doc_id in replaced}, actor, now, request_id
    )
    number = close_open_round(updated, at=now, by="customer")
    if RESUBMITTED_FLAG not in updated.flags:
        updated.flags.append(RESUBMITTED_FLAG)
    updated.updated_at = now
    definition = decisions.definition_of(case)
    updated, moved = apply_event(
        updated,
        definition,
        decisions.RESUBMITTED,
        actor=actor,
        at=now,
        request_id=request_id,
        extra={"collectionRound": number, "documentsReplaced": replaced, "source": "customer"},
    )
    records.append(
        audit_record(
            updated,
            "collection.submitted",
            actor=actor,
            at=now,
            request_id=request_id,
            details={
                "collectionRound": number,
                "documents": [
                    {"documentId": doc_id, "pageCount": len(pages[key])}
                    for key, doc_id in zip(wanted, replaced, strict=True)
                ],
                "entityId": case.entity_id,
            },
        )
    )
    stored = c.cases.update_case(
        updated,
        expected_version=case.version,
        audit=[*records, *moved],
        new_page_storage=new_storage,
    )
    sync_after_commit(c.cases, engine, tenant_id=case.tenant_id, case_id=case.case_id)
    return stored


def _valid_upload_id(upload_id: str, key: str) -> bool:
    if not _UPLOAD_ID.match(upload_id):
        raise InvalidRequest(
            "unknown upload", details=[{"path": f"documents.{key}", "message": "unknown upload"}]
        )
    return True


def _checked_page(uploads: UploadStorage, key: str, path: str, now: str) -> tuple[str, PageStorage]:
    size = uploads.object_size(key)
    if size is None:
        raise InvalidRequest(
            "a page was not uploaded", details=[{"path": path, "message": "upload missing"}]
        )
    if size > MAX_PAGE_BYTES:
        raise PayloadTooLarge(
            "a page is larger than 10 MB",
            details=[{"path": path, "message": f"{size} bytes; at most {MAX_PAGE_BYTES}"}],
        )
    content_type = sniff_content_type(uploads.read_head(key, SNIFF_BYTES))
    if content_type is None:
        raise Unprocessable(
            "a page is not an accepted image or PDF",
            details=[{"path": path, "message": "not a JPEG, PNG, WebP, GIF, TIFF or PDF"}],
        )
    storage = PageStorage(
        status="stored", key=key, content_type=content_type, size=size, updated_at=now
    )
    return new_id("page"), storage


def _page_type(storage: PageStorage) -> str:
    return (storage.content_type or "").split("/")[-1]


def _put_pages(case: Case, item: RequestedDocument, pages: list[dict[str, Any]], now: str) -> str:
    """Put the new pages on the requested document (a new document for a new type); the old
    pages go to the document's page history. The document's id."""
    documents = case.context.setdefault("documents", [])
    raw = next(
        (d for d in documents if isinstance(d, dict) and d.get("id") == item.document_id), None
    )
    if raw is None:
        raw = {"id": new_id("doc"), "type": item.type, "category": item.category, "pages": []}
        documents.append(raw)
    elif raw.get("pages"):
        case.document_record(raw["id"]).page_history.insert(
            0, PageSet(replaced_at=now, pages=list(raw["pages"]))
        )
    raw["pages"] = pages
    return str(raw["id"])


# -- messages ---------------------------------------------------------------------------------
def add_reviewer_message(
    c: Collection, reviewer: Reviewer, case_id: str, text: str, *, request_id: str | None
) -> MessageRecord:
    require_permission(reviewer, MESSAGES_WRITE)
    case = queries.get_case(c.cases, reviewer.tenant_id, case_id)
    message = _add_message(c, case, reviewer_actor(reviewer), text, request_id)
    to = emails.recipient(case)
    if c.mailer is not None and to:
        subject, body = emails.render("message", case, message=text)
        _send(c, case, to, subject, body)
    return message


def add_customer_message(
    c: Collection, grant: CollectionGrant, text: str, *, request_id: str | None
) -> MessageRecord:
    case, round_ = _answerable(c, grant)
    actor = Actor(type="customer", id=f"round:{round_.number}", name=case.entity_name)
    return _add_message(c, case, actor, text, request_id)


def list_messages(c: Collection, tenant_id: str, case_id: str) -> list[MessageRecord]:
    case = queries.get_case(c.cases, tenant_id, case_id)
    return c.links.list_messages(case.tenant_id, case.case_id)


def _add_message(
    c: Collection, case: Case, actor: Actor, text: str, request_id: str | None
) -> MessageRecord:
    now = utc_now()
    message = MessageRecord(
        message_id=new_id("msg"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        text=text,
        author=actor,
        created_at=now,
    )
    record = audit_record(
        case,
        "case.message_added",
        actor=actor,
        at=now,
        request_id=request_id,
        # Like a note's, the event says that a message exists, not what it says.
        details={
            "messageId": message.message_id,
            "authorType": actor.type,
            "entityId": case.entity_id,
            "workflowDefinitionId": case.workflow_definition_id,
        },
    )
    c.links.add_message(message, record)
    return message


# -- timers -----------------------------------------------------------------------------------
def run_due_timers(c: Collection, *, now: str | None = None, limit: int = 50) -> dict[str, int]:
    """Send the reminders and flag the expiries that are due; a stale timer (round answered or
    renewed since) is dropped. Counts per outcome."""
    now = now or utc_now()
    counts = {"reminder": 0, "expiry": 0, "stale": 0}
    for timer in c.links.due_timers(now, limit):
        case = c.cases.get_case(timer.tenant_id, timer.case_id)
        round_ = case.open_round if case is not None else None
        if (
            case is None
            or round_ is None
            or (round_.number, round_.link_generation) != (timer.round_number, timer.generation)
            or (timer.kind == "expiry" and (round_.expires_at or "") > now)
        ):
            counts["stale"] += 1
        elif timer.kind == "reminder":
            link = _issue(c, case, round_, channel="reminder", now=now, timers=False)
            _email(c, case, "reminder", link, round_)
            counts["reminder"] += 1
        else:
            set_case_flag(
                c.cases,
                tenant_id=case.tenant_id,
                case_id=case.case_id,
                flag=LINK_EXPIRED_FLAG,
                raised=True,
                details={"collectionRound": round_.number, "expiredAt": round_.expires_at},
            )
            counts["expiry"] += 1
        c.links.delete_timer(timer)
    return counts


# -- helpers ----------------------------------------------------------------------------------
def _open_round(case: Case) -> CollectionRound:
    round_ = case.open_round
    if round_ is None:
        raise Conflict("the case has no open collection request")
    return round_


def _issue(
    c: Collection,
    case: Case,
    round_: CollectionRound,
    *,
    channel: str,
    now: str,
    timers: bool = True,
) -> IssuedLink:
    link = mint_link(c.links, case, round_, base_url=c.base_url, channel=channel, now=now)
    if timers:
        c.links.put_timers(round_timers(case, round_, c.reminders_before, now))
    return link


def _link_audit(
    case: Case,
    round_: CollectionRound,
    actor: Actor,
    now: str,
    request_id: str | None,
    channel: str,
) -> AuditRecord:
    # Never the token or the URL: only that a link exists, for which round, until when.
    return audit_record(
        case,
        "collection.link_created",
        actor=actor,
        at=now,
        request_id=request_id,
        details={
            "collectionRound": round_.number,
            "linkGeneration": round_.link_generation,
            "channel": channel,
            "expiresAt": round_.expires_at,
            "entityId": case.entity_id,
        },
    )


def _email(c: Collection, case: Case, kind: str, link: IssuedLink, round_: CollectionRound) -> None:
    to = emails.recipient(case)
    if c.mailer is None or not to:
        return
    subject, body = emails.render(
        kind,
        case,
        requested=round_.requested,
        message=round_.message,
        url=link.url,
        expires_at=link.expires_at,
    )
    _send(c, case, to, subject, body)


def _send(c: Collection, case: Case, to: str, subject: str, body: str) -> None:
    assert c.mailer is not None
    try:
        c.sent.append(c.mailer.send(to, subject, body))
    except Exception:
        # The request committed; the reviewer can send a new link. Never log the body (it
        # holds the link).
        logger.exception("customer email not sent", extra={"case_id": case.case_id})
