"""The case as every back-office route that reads or changes one answers it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.auth.permissions import has_permission
from chalicelib.cases.case_view import (
    PRESIGNED_URL_SECONDS,
    TIMELINE_LENGTH,
    LayoutOf,
    build_case_view,
    case_row,
)
from chalicelib.cases.inbox import InboxReader, InboxRow, MaskedSearchReader
from chalicelib.decisions.service import definition_of
from chalicelib.dependencies import case_store, document_storage, layout_store, reviewer_directory
from chalicelib.layouts.rules import masked_search_sources
from chalicelib.layouts.service import case_layout
from chalicelib.models.backoffice import CaseRow, CaseView
from chalicelib.models.case import Case
from chalicelib.models.layouts import CaseLayout
from chalicelib.models.permissions import CASES_READ_UNMASKED
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import get_definition


def reviewer_names(tenant_id: str) -> Callable[[str], str]:
    """Display names for ids on one response, read once per request."""
    names = {r.id: r.name for r in reviewer_directory().list_reviewers(tenant_id)}
    return lambda reviewer_id: names.get(reviewer_id, "former reviewer")


def case_view_response(case: Case, reviewer: Reviewer) -> CaseView:
    """The full case view: what every route that changes a case answers with."""
    storage = document_storage()
    return build_case_view(
        case,
        reviewer,
        audit=case_store().recent_audit(case.tenant_id, case.case_id, TIMELINE_LENGTH),
        presign=lambda key: storage.presigned_url(key, expires_in=PRESIGNED_URL_SECONDS),
        name_of=reviewer_names(case.tenant_id),
        layout=case_layout(layout_store(), definition_of(case), case.tenant_id),
    )


def case_rows(rows: Iterable[InboxRow], reviewer: Reviewer) -> list[CaseRow]:
    """Inbox rows as `reviewer` may see them: without `cases.read_unmasked`, an entity name
    masked where its case's layout masks a field the name is made of."""
    tenant_id = reviewer.tenant_id
    store = layout_store()

    def layout_of(definition: WorkflowDefinition) -> CaseLayout:
        return case_layout(store, definition, tenant_id)

    masking_layout: LayoutOf | None = (
        None if has_permission(reviewer, CASES_READ_UNMASKED) else layout_of
    )
    name_of = reviewer_names(tenant_id)
    return [case_row(row, name_of, tenant_id, masking_layout) for row in rows]


def inbox_reader(reviewer: Reviewer) -> InboxReader:
    """The case store as `reviewer`'s inbox (and saved views' counts) read it: without
    `cases.read_unmasked`, a search finds a case only through what its layout shows in clear."""
    if has_permission(reviewer, CASES_READ_UNMASKED):
        return case_store()
    tenant_id = reviewer.tenant_id
    store = layout_store()

    def masked_sources(row: InboxRow) -> frozenset[str]:
        definition = get_definition(
            row.workflow_definition_id, row.workflow_definition_version, tenant_id=tenant_id
        )
        return masked_search_sources(row.entity_type, case_layout(store, definition, tenant_id))

    return MaskedSearchReader(case_store(), masked_sources)
