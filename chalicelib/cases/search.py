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
_SEARCHED_FIELDS = ("companyName", "firstName", "lastName", "email", "registrationNumber")


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain.casefold()).strip()[:MAX_TERM_LENGTH]


def search_terms(entity_id: str, entity_name: str, entity_data: dict[str, Any]) -> list[str]:
    """Whole values first, then their words, so the cap never drops a whole value."""
    values = [entity_id, entity_name]
    values += [str(entity_data[f]) for f in _SEARCHED_FIELDS if entity_data.get(f)]
    wholes = [normalise(value) for value in values]
    words = [word for whole in wholes for word in re.split(r"[\s,;]+", whole) if len(word) >= 2]
    return list(dict.fromkeys(term for term in (*wholes, *words) if term))[:MAX_TERMS]


def search_partition_char(term: str) -> str:
    """Terms are spread over partitions by their first character, so one tenant's search
    index is not one hot partition."""
    first = term[:1]
    return first if first.isalnum() and first.isascii() else "_"
