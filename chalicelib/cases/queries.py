"""Reading cases back, always within one tenant: another tenant's case does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.cases.store import CaseStore
from chalicelib.errors import NotFound, VersionConflict
from chalicelib.models.case import Case
from chalicelib.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class CaseList:
    cases: list[Case]
    next_cursor: str | None
    items_read: int


def get_case(store: CaseStore, tenant_id: str, case_id: str) -> Case:
    case = store.get_case(tenant_id, case_id)
    if case is None:
        raise NotFound(f"case `{case_id}` not found")
    return case


def require_version(case: Case, expected_version: int) -> None:
    """The reviewer acted on the version they saw, or nothing changes (409 before any work;
    the conditional write catches a change that lands after this read)."""
    if case.version != expected_version:
        raise VersionConflict(
            "the case was changed by someone else", details={"currentVersion": case.version}
        )


def list_cases(
    store: CaseStore,
    tenant_id: str,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    cursor_secret: str,
) -> CaseList:
    scope = f"external-list:{tenant_id}:{status or '*'}"
    start_key = decode_cursor(cursor, scope=scope, secret=cursor_secret)
    page = store.list_cases(tenant_id, status=status, limit=limit, start_key=start_key)
    next_cursor = encode_cursor(page.last_key, scope=scope, secret=cursor_secret)
    return CaseList(page.cases, next_cursor, page.items_read)
