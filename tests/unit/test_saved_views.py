"""Saved inbox views: the rules that need no AWS."""

from __future__ import annotations

from chalicelib.cases.inbox import InboxPage, InboxQuery
from chalicelib.models.backoffice import InboxFilters
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.views import VIEW_COUNT_CAP
from chalicelib.views.service import count_view


def test_a_count_is_capped_and_reads_a_bounded_number_of_pages() -> None:
    class Endless:
        pages = 0

        def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
            self.pages += 1
            # A short page with a cursor (a filter no index covers ran out of read budget).
            return InboxPage(rows=[], next_boundary="b", items_read=query.limit * 3)

    reader = Endless()
    reviewer = Reviewer(id="r", tenant_id="demo", email="r@demo.test", name="R", roles=[])
    count = count_view(reader, reviewer, InboxFilters(state="rare"))
    assert (count.value, count.more, count.label, reader.pages) == (0, True, "0+", 3)
    assert VIEW_COUNT_CAP == 50


def test_a_count_above_the_cap_reads_50_plus() -> None:
    from chalicelib.cases.inbox import InboxRow

    row = InboxRow(
        case_id="c",
        version=1,
        state="manual_review",
        status="active",
        workflow_definition_id="kyc-manual-review",
        workflow_definition_version=1,
        entity_type="individual",
        entity_id="e",
        entity_name="E",
        assignee_id=None,
        document_count=0,
        documents_needing_decision=0,
        flags=(),
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
    )

    class Full:
        def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
            return InboxPage(rows=[row] * query.limit, next_boundary="b", items_read=query.limit)

    reviewer = Reviewer(id="r", tenant_id="demo", email="r@demo.test", name="R", roles=[])
    count = count_view(Full(), reviewer, InboxFilters())
    assert (count.value, count.more, count.label) == (50, True, "50+")
