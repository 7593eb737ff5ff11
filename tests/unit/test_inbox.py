"""The inbox's pure parts: query building, merging partitions safely, search terms."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.cases.inbox import (
    InboxPage,
    InboxQuery,
    InboxRow,
    MaskedSearchReader,
    found_in_clear,
    inbox_query,
    merge_partitions,
)
from chalicelib.cases.search import MAX_TERMS, normalise, search_index
from chalicelib.cases.store import InMemoryCaseStore


def row(n: int, **changes: object) -> InboxRow:
    base = InboxRow(
        case_id=f"case_{n:03d}",
        version=1,
        state="manual_review",
        status="active",
        workflow_definition_id="kyc-manual-review",
        workflow_definition_version=1,
        entity_type="individual",
        entity_id=f"e-{n}",
        entity_name=f"Person {n}",
        assignee_id=None,
        document_count=1,
        documents_needing_decision=1,
        flags=(),
        created_at=f"2026-01-01T00:00:{n:02d}Z",
        updated_at=f"2026-01-01T00:00:{n:02d}Z",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def query(**changes: object) -> InboxQuery:
    return dataclasses.replace(
        InboxQuery(tenant_id="t", statuses=("active",), assignees=None, limit=3),
        **changes,  # type: ignore[arg-type]
    )


class TestInboxQuery:
    @pytest.mark.parametrize(
        ("assignee", "expected"),
        [
            ("me", ("r1",)),
            ("unassigned", (None,)),
            ("me_or_unassigned", ("r1", None)),
            ("any", None),
            ("someone", ("someone",)),
        ],
    )
    def test_assignee_words(self, assignee: str, expected: object) -> None:
        built = inbox_query(
            "t",
            "r1",
            status="active",
            assignee=assignee,
            sort="createdAt",
            order="desc",
            state=None,
            workflow_definition_id=None,
            entity_type=None,
            search=None,
            limit=25,
        )
        assert built.assignees == expected

    def test_all_statuses_and_blank_search(self) -> None:
        built = inbox_query(
            "t",
            "r1",
            status="all",
            assignee="any",
            sort="updatedAt",
            order="asc",
            state=None,
            workflow_definition_id=None,
            entity_type=None,
            search="   ",
            limit=5,
        )
        assert built.statuses == ("active", "completed", "failed")
        assert built.search is None and not built.descending


class TestMerge:
    def test_merges_partitions_in_sort_order(self) -> None:
        page = merge_partitions(query(), [([row(9), row(5)], None), ([row(8), row(2)], None)], 4)
        assert [r.case_id for r in page.rows] == ["case_009", "case_008", "case_005"]
        assert page.next_boundary == query().sort_key(row(5))

    def test_never_shows_rows_past_an_unfinished_partition(self) -> None:
        # Partition B stopped (read budget) at 7: rows below 7 in A may interleave with B's
        # unread rows, so they wait for the next page.
        frontier = query().sort_key(row(7))
        page = merge_partitions(query(), [([row(9), row(3)], None), ([row(8)], frontier)], 5)
        assert [r.case_id for r in page.rows] == ["case_009", "case_008"]
        assert page.next_boundary == frontier

    def test_last_page_has_no_boundary(self) -> None:
        page = merge_partitions(query(), [([row(2)], None)], 1)
        assert page.next_boundary is None

    def test_ascending(self) -> None:
        asc = query(descending=False)
        page = merge_partitions(asc, [([row(1), row(4)], None), ([row(2), row(6)], None)], 4)
        assert [r.case_id for r in page.rows] == ["case_001", "case_002", "case_004"]


class TestSearchTerms:
    def test_normalise_folds_case_accents_and_spaces(self) -> None:
        assert normalise("  Zoë   MÜLLER ") == "zoe muller"

    def test_terms_cover_whole_values_and_words(self) -> None:
        terms = search_index(
            "b-42",
            "Northwind Trading GmbH",
            {"companyName": "Northwind Trading GmbH", "registrationNumber": "HRB 42"},
        )
        for expected in ("b-42", "northwind trading gmbh", "northwind", "trading", "hrb 42"):
            assert expected in terms

    def test_each_term_names_the_sources_it_comes_from(self) -> None:
        index = search_index(
            "p-7", "Jane Doe", {"firstName": "Jane", "lastName": "Doe", "email": "jd@x.io"}
        )
        assert index["jane doe"] == {"name"}
        assert index["jane"] == {"name", "firstName"}
        assert index["doe"] == {"name", "lastName"}
        assert index["jd@x.io"] == {"email"}
        assert index["p-7"] == {"entityId"}

    def test_the_cap_keeps_whole_values_and_their_sources(self) -> None:
        many = " ".join(f"w{n}" for n in range(40))
        index = search_index("e-1", many, {"companyName": many, "email": "a@b.c"})
        assert len(index) == MAX_TERMS
        assert index["a@b.c"] == {"email"}
        assert index[normalise(many)] == {"name", "companyName"}


class TestMaskedSearch:
    """A reader without `cases.read_unmasked` finds a case only through what it sees in clear."""

    def test_found_in_clear(self) -> None:
        assert found_in_clear(frozenset({"name", "firstName"}), frozenset({"name"}))
        assert not found_in_clear(frozenset({"name", "lastName"}), frozenset({"name", "lastName"}))
        # An index entry from before sources were kept: found only where nothing is masked.
        assert found_in_clear(frozenset(), frozenset())
        assert not found_in_clear(frozenset(), frozenset({"email"}))

    def test_the_reader_drops_rows_found_only_through_masked_sources(self) -> None:
        rows = [
            row(1, matched_in=frozenset({"email"})),
            row(2, matched_in=frozenset({"email", "entityId"})),
            row(3, matched_in=frozenset({"name"})),
        ]

        class Store:
            def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
                return InboxPage(rows, "next", 3)

        reader = MaskedSearchReader(Store(), lambda r: frozenset({"email"}))
        page = reader.inbox_page(query(search="x"), None)
        assert [r.case_id for r in page.rows] == ["case_002", "case_003"]
        assert page.next_boundary == "next"  # a short page, the cursor goes on
        # Without a search, nothing was matched: every row stays.
        assert len(reader.inbox_page(query(), None).rows) == 3


def test_in_memory_store_pages_like_the_real_one() -> None:
    store = InMemoryCaseStore()
    assert store.inbox_page(query(), None).rows == []
