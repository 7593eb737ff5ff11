"""Bringing remote pages into S3: each pending page is fetched once and marked stored or failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chalicelib.cases.ingestion import page_key
from chalicelib.cases.store import CaseStore
from chalicelib.documents.remote_fetch import FetchedFile, FetchFailed, FetchRefused
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord, PageStorage

SYSTEM = Actor(type="system", id="document-fetch")


class PageWriter(Protocol):
    def put_page(self, key: str, content: bytes, content_type: str) -> None: ...


def fetch_pending_pages(
    store: CaseStore,
    pages: PageWriter,
    tenant_id: str,
    case_id: str,
    fetch: Callable[[str], FetchedFile],
    has_time: Callable[[], bool] = lambda: True,
) -> dict[str, str]:
    """Fetch every pending page of the case while `has_time()` allows another fetch; returns
    page id -> resulting status, `pending` for the pages left for a later invocation."""
    case = store.get_case(tenant_id, case_id)
    if case is None:
        return {}
    document_of_page = {page.id: doc.id for doc in case.documents for page in doc.pages}
    outcome: dict[str, str] = {}
    for page_id, uri in case.pending_pages():
        if not has_time():
            outcome[page_id] = "pending"
            continue
        document_id = document_of_page.get(page_id, "unknown")
        now = utc_now()
        try:
            fetched = fetch(uri)
        except (FetchRefused, FetchFailed) as exc:
            storage = PageStorage(status="failed", error=exc.reason, source_uri=uri, updated_at=now)
            action = "document.page_fetch_failed"
        else:
            key = page_key(tenant_id, case_id, document_id, page_id)
            pages.put_page(key, fetched.content, fetched.content_type)
            storage = PageStorage(
                status="stored",
                key=key,
                content_type=fetched.content_type,
                size=len(fetched.content),
                source_uri=uri,
                updated_at=now,
            )
            action = "document.page_stored"
        audit = AuditRecord(
            event_id=new_id("evt"),
            tenant_id=tenant_id,
            case_id=case_id,
            action=action,
            at=now,
            actor=SYSTEM,
            details={
                "documentId": document_id,
                "pageId": page_id,
                "status": storage.status,
                "error": storage.error,
            },
        )
        store.set_page_storage(tenant_id, case_id, page_id, storage, audit)
        outcome[page_id] = storage.status
    return outcome
