"""Search terms of a case: what a reviewer types to find it.

Matching is a case-insensitive *prefix* match on whole values and on their words: `north`
finds "Northwind Trading GmbH", `trading` finds it too, `jane.doe@` finds the email. Terms are
normalised (case folded, accents removed, whitespace collapsed) on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_TERM_LENGTH = 80
# Old and new terms of a renamed entity must fit one transaction (100 items) with the case.
MAX_TERMS = 24
# Where a term comes from: the entity's id, its display name, or one of these data fields. A
# reader without `cases.read_unmasked` finds a case only through a source its layout does not
# mask (`chalicelib.layouts.rules.masked_search_sources`).
ENTITY_ID = "entityId"
ENTITY_NAME = "name"
SEARCHED_FIELDS = ("companyName", "firstName", "lastName", "email", "registrationNumber")


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain.casefold()).strip()[:MAX_TERM_LENGTH]


def search_index(
    entity_id: str, entity_name: str, entity_data: dict[str, Any]
) -> dict[str, frozenset[str]]:
    """Each search term and the sources it comes from: whole values first, then their words, so
    the cap never drops a whole value."""
    sources = [(ENTITY_ID, entity_id), (ENTITY_NAME, entity_name)]
    sources += [(f, str(entity_data[f])) for f in SEARCHED_FIELDS if entity_data.get(f)]
    wholes = [(source, normalise(value)) for source, value in sources]
    words = [
        (source, word)
        for source, whole in wholes
        for word in re.split(r"[\s,;]+", whole)
        if len(word) >= 2
    ]
    index: dict[str, set[str]] = {}
    for source, term in (*wholes, *words):
        if term and (term in index or len(index) < MAX_TERMS):
            index.setdefault(term, set()).add(source)
    return {term: frozenset(found_in) for term, found_in in index.items()}


def search_partition_char(term: str) -> str:
    """Terms are spread over partitions by their first character, so one tenant's search
    index is not one hot partition."""
    first = term[:1]
    return first if first.isalnum() and first.isascii() else "_"
