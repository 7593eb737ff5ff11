"""Fuzzy screening of names against the loaded lists.

Names are transliterated to ASCII (`anyascii`: Cyrillic, Arabic, accents...), lower-cased and
split into tokens, so word order does not matter. A fast `rapidfuzz` pass over every name picks
candidates; each is then scored token by token: every token of the screened name must match a
distinct token of the listed name (an initial matches a token it starts), listed tokens left
over (a middle name, a patronymic) cost a little. A date of birth or a country that disagrees
with the entry drops or lowers the hit; agreeing ones are named in `matchedFields`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.plugins.sanctions.lists import EntryKind, ListEntry, SanctionsList

DEFAULT_THRESHOLD = 85.0
PREFILTER_CUTOFF = 60.0
PREFILTER_LIMIT = 25
TOKEN_MATCH = 80.0  # a token at least this similar to a listed token matches it
INITIAL_SCORE = 85.0  # an initial matching a listed token's first letter
EXTRA_TOKEN_COST = 4.0  # per listed token the screened name does not have
SINGLE_TOKEN_EXTRA_COST = 15.0  # ... when the screened name is one word
COUNTRY_MISMATCH_COST = 10.0
# Legal forms say nothing about who a company is.
COMPANY_NOISE = frozenset(
    [
        "llc",
        "ltd",
        "limited",
        "inc",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "oao",
        "ooo",
        "zao",
        "pao",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "the",
        "of",
        "and",
    ]
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Subject:
    """Who is screened: the entity, a UBO or a director."""

    role: str  # `entity`, `ubo`, `director`
    kind: EntryKind
    name: str
    birth_date: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass
class _Indexed:
    entry: ListEntry
    tokens: tuple[str, ...]


class ScreeningIndex:
    """The entries of some lists, with each name normalised once (built per list version)."""

    def __init__(self, lists: Sequence[SanctionsList]) -> None:
        self.lists = list(lists)
        self._names: dict[EntryKind, list[str]] = {"person": [], "organization": []}
        self._indexed: dict[EntryKind, list[_Indexed]] = {"person": [], "organization": []}
        for sanctions_list in lists:
            for entry in sanctions_list.entries:
                for name in entry.names:
                    tokens = name_tokens(name, entry.kind)
                    if tokens:
                        self._names[entry.kind].append(" ".join(tokens))
                        self._indexed[entry.kind].append(_Indexed(entry, tokens))

    @property
    def versions(self) -> dict[str, str]:
        return {item.list_id: item.version for item in self.lists}

    def __len__(self) -> int:
        return sum(len(item.entries) for item in self.lists)

    def screen(
        self, subject: Subject, threshold: float = DEFAULT_THRESHOLD
    ) -> list[dict[str, Any]]:
        """The hits for one subject, best first: one per list entry (its best-matching name)."""
        from rapidfuzz import fuzz, process  # lazily: only screening needs it

        tokens = name_tokens(subject.name, subject.kind)
        if not tokens:
            return []
        candidates = process.extract(
            " ".join(tokens),
            self._names[subject.kind],
            scorer=fuzz.token_set_ratio,
            score_cutoff=PREFILTER_CUTOFF,
            limit=PREFILTER_LIMIT,
        )
        best: dict[tuple[str, str], dict[str, Any]] = {}
        for _, _, position in candidates:
            indexed = self._indexed[subject.kind][position]
            hit = _judge(subject, tokens, indexed, threshold)
            key = (indexed.entry.list_id, indexed.entry.entry_id)
            if hit is not None and (key not in best or hit["score"] > best[key]["score"]):
                best[key] = hit
        return sorted(best.values(), key=lambda h: (-h["score"], h["entryId"]))


def normalise(name: str) -> str:
    from anyascii import anyascii  # lazily: only screening needs it

    return _NON_WORD.sub(" ", anyascii(name).lower()).strip()


def name_tokens(name: str, kind: EntryKind) -> tuple[str, ...]:
    tokens = normalise(name).split()
    if kind == "organization":
        tokens = [t for t in tokens if t not in COMPANY_NOISE] or tokens
    return tuple(tokens)


def name_score(query: Sequence[str], listed: Sequence[str]) -> float:
    """0-100: how well the screened name's tokens match the listed name's, in any order."""
    from rapidfuzz import fuzz

    remaining = list(listed)
    scores = []
    # Whole words first, so an initial cannot take the token a word needs.
    for token in sorted(query, key=len, reverse=True):
        if len(token) == 1:
            match = next((t for t in remaining if t.startswith(token)), None)
            score = INITIAL_SCORE if match else 0.0
        else:
            ratios = [(fuzz.ratio(token, t), t) for t in remaining]
            score, match = max(ratios, default=(0.0, None))
            if score < TOKEN_MATCH:
                return 0.0
        if match is None:
            return 0.0
        remaining.remove(match)
        scores.append(score)
    if not any(len(t) > 1 for t in query):
        return 0.0  # initials alone name no one
    cost = SINGLE_TOKEN_EXTRA_COST if len(query) == 1 else EXTRA_TOKEN_COST
    return max(0.0, sum(scores) / len(scores) - cost * len(remaining))


def _judge(
    subject: Subject, tokens: tuple[str, ...], indexed: _Indexed, threshold: float
) -> dict[str, Any] | None:
    entry = indexed.entry
    score = name_score(tokens, indexed.tokens)
    if score < threshold:
        return None
    matched = ["name"]
    if subject.birth_date and entry.birth_dates:
        if not any(_same_date(subject.birth_date, listed) for listed in entry.birth_dates):
            return None  # a different person of the same name
        matched.append("birthDate")
    if subject.country and entry.countries:
        if subject.country.lower() in entry.countries:
            matched.append("country")
        else:
            score -= COUNTRY_MISMATCH_COST
            if score < threshold:
                return None
    return {
        "id": hit_id(entry, subject),
        "score": round(score, 1),
        "listId": entry.list_id,
        "entryId": entry.entry_id,
        "entryName": entry.caption,
        "entryKind": entry.kind,
        "matchedName": " ".join(indexed.tokens),
        "matchedFields": matched,
        "topics": list(entry.topics),
        "subject": {"role": subject.role, "name": subject.name},
    }


def _same_date(declared: str, listed: str) -> bool:
    """A listed date is often only a year or a month: it agrees with any date it is a prefix of."""
    declared = declared.strip()[:10]
    return declared.startswith(listed) or listed.startswith(declared)


def hit_id(entry: ListEntry, subject: Subject) -> str:
    """Stable across re-runs for the same list entry and screened name, so a reviewer's
    judgement of the hit holds when screening runs again."""
    key = "|".join((entry.list_id, entry.entry_id, subject.role, normalise(subject.name)))
    return "hit_" + hashlib.sha256(key.encode()).hexdigest()[:20]
