"""The reviewer's inbox: which cases to show, in which order, a page at a time.

Every inbox query is a merge of a few index partitions (one per status and assignee asked for),
read in sort-key order with `sk < boundary` (or `>` ascending). The boundary is the cursor, so
merging partitions needs no per-partition state, and a page reads a bounded number of items
whatever the table size. Filters that no index covers (state, workflow, entity type) are applied
while reading, within a read budget per partition; a page may then come back short, with a cursor
to continue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from chalicelib.cases.search import normalise
from chalicelib.errors import InvalidRequest
from chalicelib.models.case import AWAITING_SECOND_APPROVAL, Case
from chalicelib.pagination import decode_cursor, encode_cursor

SortField = Literal["createdAt", "updatedAt", "dueAt"]
STATUSES = ("active", "completed", "failed")
# How many items one partition may examine for one page, as a multiple of the page size.
READ_BUDGET_FACTOR = 3


@dataclass(frozen=True)
class InboxQuery:
    tenant_id: str
    statuses: tuple[str, ...]
    # None: anyone. Otherwise the assignees to include; None inside the tuple means unassigned.
    assignees: tuple[str | None, ...] | None
    sort: SortField = "createdAt"
    descending: bool = True
    state: str | None = None
    workflow_definition_id: str | None = None
    entity_type: str | None = None
    search: str | None = None
    flag: str | None = None
    # Only cases flagged as awaiting a second approval (a sparse index of their own).
    awaiting_second_approval: bool = False
    limit: int = 25
    # Only cases whose SLA deadline is before this time (the breached ones).
    due_before: str | None = None

    def matches(self, row: InboxRow) -> bool:
        due = row.due_at
        return (
            row.status in self.statuses
            and (self.sort != "dueAt" or due is not None)
            and (self.due_before is None or (due is not None and due < self.due_before))
            and (not self.awaiting_second_approval or AWAITING_SECOND_APPROVAL in row.flags)
            and (self.assignees is None or row.assignee_id in self.assignees)
            and (self.state is None or row.state == self.state)
            and (
                self.workflow_definition_id is None
                or row.workflow_definition_id == self.workflow_definition_id
            )
            and (self.entity_type is None or row.entity_type == self.entity_type)
            and (self.flag is None or self.flag in row.flags)
        )

    def sort_key(self, row: InboxRow) -> str:
        if self.sort == "dueAt":
            return f"{row.due_at}#{row.case_id}"
        return f"{row.created_at if self.sort == 'createdAt' else row.updated_at}#{row.case_id}"


@dataclass(frozen=True)
class InboxRow:
    case_id: str
    version: int
    state: str
    status: str
    workflow_definition_id: str
    workflow_definition_version: int
    entity_type: str
    entity_id: str
    entity_name: str
    assignee_id: str | None
    document_count: int
    documents_needing_decision: int
    flags: tuple[str, ...]
    created_at: str
    updated_at: str
    # The SLA timer as stored (snake_case keys), None without one.
    sla_timer: dict[str, Any] | None = None
    # In a search: the sources (`chalicelib.cases.search`) of the case's terms that matched;
    # empty for index entries written before sources were kept.
    matched_in: frozenset[str] = frozenset()

    @property
    def due_at(self) -> str | None:
        return self.sla_timer.get("due_at") if self.sla_timer else None

    @classmethod
    def from_case(cls, case: Case) -> InboxRow:
        return cls(
            case_id=case.case_id,
            version=case.version,
            state=case.state,
            status=case.status,
            workflow_definition_id=case.workflow_definition_id,
            workflow_definition_version=case.workflow_definition_version,
            entity_type=case.entity_type,
            entity_id=case.entity_id,
            entity_name=case.entity_name,
            assignee_id=case.assignee_id,
            document_count=len(case.documents),
            documents_needing_decision=case.documents_needing_decision,
            flags=tuple(case.flags),
            created_at=case.created_at,
            updated_at=case.updated_at,
            sla_timer=case.sla_timer.model_dump(exclude_none=True) if case.sla_timer else None,
        )


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    # Where the next page starts (a sort key, or a search-index key in search mode).
    next_boundary: str | None
    items_read: int


class InboxReader(Protocol):
    def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage: ...


def found_in_clear(matched_in: frozenset[str], masked: frozenset[str]) -> bool:
    """Whether a search found the case through a source the reader sees in clear. An entry
    that names no source (written before sources were kept) counts only where none is masked."""
    return bool(matched_in - masked) if matched_in else not masked


class MaskedSearchReader:
    """The inbox of a reader without `cases.read_unmasked`: a search finds a case only through
    what that reader may see (else a masked value could be confirmed by guessing it).
    `masked_sources(row)`: the search sources the case's layout masks. Rows are dropped from a
    page, never added, so a page may come back short with a cursor to continue, as a page with
    filters no index covers does."""

    def __init__(
        self, reader: InboxReader, masked_sources: Callable[[InboxRow], frozenset[str]]
    ) -> None:
        self._reader = reader
        self._masked_sources = masked_sources

    def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
        page = self._reader.inbox_page(query, boundary)
        if query.search is None:
            return page
        rows = [r for r in page.rows if found_in_clear(r.matched_in, self._masked_sources(r))]
        return dataclasses.replace(page, rows=rows)


def merge_partitions(
    query: InboxQuery,
    partitions: list[tuple[list[InboxRow], str | None]],
    items_read: int,
) -> InboxPage:
    """Merge what each partition read: (matching rows in order, frontier or None if the
    partition was exhausted). Only rows before every unfinished partition's frontier are safe
    to show; the rest are read again on the next page."""
    rows = sorted(
        (row for found, _ in partitions for row in found),
        key=query.sort_key,
        reverse=query.descending,
    )
    frontiers = [frontier for _, frontier in partitions if frontier is not None]
    if frontiers:
        limit_key = max(frontiers) if query.descending else min(frontiers)
        rows = [
            row
            for row in rows
            if (
                query.sort_key(row) >= limit_key
                if query.descending
                else query.sort_key(row) <= limit_key
            )
        ]
    page = rows[: query.limit]
    if len(rows) > query.limit:
        next_boundary: str | None = query.sort_key(page[-1])
    elif frontiers:
        next_boundary = limit_key
    else:
        next_boundary = None
    return InboxPage(page, next_boundary, items_read)


def inbox_query(
    tenant_id: str,
    reviewer_id: str,
    *,
    status: str,
    assignee: str,
    sort: SortField,
    order: str,
    state: str | None,
    workflow_definition_id: str | None,
    entity_type: str | None,
    search: str | None,
    limit: int,
    due_before: str | None = None,
    flag: str | None = None,
    awaiting_second_approval: bool = False,
) -> InboxQuery:
    """The query behind the inbox's parameters; `me` always means the signed-in reviewer."""
    search = search.strip() if search and search.strip() else None
    if search is not None and not normalise(search):
        # Only accents or other combining marks: nothing is left to look up.
        message = "the search has no letters, digits or symbols once accents are removed"
        raise InvalidRequest(message, details=[{"path": "q", "message": message}])
    assignees: tuple[str | None, ...] | None = {
        "me": (reviewer_id,),
        "unassigned": (None,),
        "me_or_unassigned": (reviewer_id, None),
        "any": None,
    }.get(assignee, (assignee,))
    return InboxQuery(
        tenant_id=tenant_id,
        statuses=STATUSES if status == "all" else (status,),
        assignees=assignees,
        sort=sort,
        descending=order == "desc",
        state=state,
        workflow_definition_id=workflow_definition_id,
        entity_type=entity_type,
        search=search,
        flag=flag,
        awaiting_second_approval=awaiting_second_approval,
        limit=limit,
        due_before=due_before,
    )


def list_inbox(
    reader: InboxReader, query: InboxQuery, *, cursor: str | None, cursor_secret: str
) -> tuple[InboxPage, str | None]:
    """A page of the inbox and the cursor of the next one. The cursor is signed and bound to
    the query (and the reviewer, through `me`), so it cannot be edited or reused elsewhere."""
    # The cursor is bound to the query, not to the time its `breached` filter was read at.
    scope = "inbox:" + repr(
        dataclasses.replace(query, limit=0, due_before="now" if query.due_before else None)
    )
    state = decode_cursor(cursor, scope=scope, secret=cursor_secret)
    page = reader.inbox_page(query, state["b"] if state else None)
    next_state = {"b": page.next_boundary} if page.next_boundary else None
    return page, encode_cursor(next_state, scope=scope, secret=cursor_secret)
