"""The case as every back-office route that reads or changes one answers it."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.cases.case_view import PRESIGNED_URL_SECONDS, TIMELINE_LENGTH, build_case_view
from chalicelib.dependencies import case_store, document_storage, layout_store, reviewer_directory
from chalicelib.layouts.service import effective_layout
from chalicelib.models.backoffice import CaseView
from chalicelib.models.case import Case
from chalicelib.models.reviewers import Reviewer


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
        layout=effective_layout(layout_store(), case.tenant_id, case.workflow_definition_id)[0],
    )
