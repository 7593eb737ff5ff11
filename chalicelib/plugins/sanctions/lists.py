"""Sanctions and PEP lists: loaded from the published formats into one entry shape.

Two formats are read, as their publishers publish them:

- OpenSanctions / FollowTheMoney entities as JSON lines (`entities.ftm.json`): one entity per
  line, `{id, schema, properties: {name: [...], alias: [...], birthDate: [...], ...}}`. Each
  line is validated with `FtmEntity`, a pydantic model of the FtM fields screening reads. The
  `followthemoney` package itself is not used: it pulls in SQLAlchemy, rdflib, networkx, PyICU
  (a native ICU build), babel and phonenumbers, too heavy for the Lambda zip and its cold start.
- OFAC's SDN list in its CSV form (`SDN.CSV` plus `ALT.CSV` for the aliases): rows without a
  header, `-0- ` for an empty field, dates of birth and nationalities inside the remarks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ListFormat = Literal["ftm", "ofac-sdn-csv"]
EntryKind = Literal["person", "organization"]

# FtM schemata screened, by kind; others (vessels, aircraft, addresses...) are skipped.
FTM_KINDS: dict[str, EntryKind] = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "LegalEntity": "organization",
    "PublicBody": "organization",
}
OFAC_EMPTY = "-0-"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_OFAC_DOB = re.compile(r"DOB (?:(\d{1,2}) )?(?:([A-Za-z]{3}) )?(\d{4})")
_OFAC_NATIONALITY = re.compile(r"nationality ([A-Za-z][A-Za-z ,.'-]*?)(?:;|\.$|$)")


class ListFormatError(ValueError):
    """A list file that is not in the format it is declared in."""


@dataclass(frozen=True)
class ListEntry:
    """One listed person or organisation, whatever list it came from."""

    list_id: str
    entry_id: str
    kind: EntryKind
    caption: str
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()  # ISO prefixes: YYYY, YYYY-MM or YYYY-MM-DD
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, lower case (FtM's form)
    topics: tuple[str, ...] = ()  # FtM topics (`sanction`, `role.pep`...) or OFAC programs


@dataclass(frozen=True)
class SanctionsList:
    list_id: str
    version: str
    entries: tuple[ListEntry, ...] = field(default=())


class FtmEntity(BaseModel):
    """The FollowTheMoney entity fields screening reads (every property is a list of strings)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    schema_: str = Field(alias="schema", min_length=1)
    caption: str | None = None
    properties: dict[str, list[str]] = Field(default_factory=dict)


def content_version(content: bytes) -> str:
    """A list's version when its publisher gives none: the digest of the file."""
    return hashlib.sha256(content).hexdigest()[:12]


def load_ftm(list_id: str, content: bytes, version: str | None = None) -> SanctionsList:
    """Entities from FtM JSON lines; the screened schemata kept, each line validated."""
    entries = []
    for number, line in enumerate(content.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entity = FtmEntity.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            raise ListFormatError(f"{list_id} line {number}: not an FtM entity ({exc})") from exc
        kind = FTM_KINDS.get(entity.schema_)
        props = entity.properties
        names = _unique(
            [*props.get("name", []), *props.get("alias", []), *props.get("weakAlias", [])]
        )
        if kind is None or not names:
            continue
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=entity.id,
                kind=kind,
                caption=entity.caption or names[0],
                names=tuple(names),
                birth_dates=tuple(props.get("birthDate", [])),
                countries=tuple(
                    c.lower()
                    for c in _unique(
                        [
                            *props.get("nationality", []),
                            *props.get("citizenship", []),
                            *props.get("country", []),
                            *props.get("jurisdiction", []),
                        ]
                    )
                ),
                topics=tuple(props.get("topics", [])),
            )
        )
    return SanctionsList(list_id, version or content_version(content), tuple(entries))


def load_ofac_sdn(
    list_id: str, sdn_csv: bytes, alt_csv: bytes = b"", version: str | None = None
) -> SanctionsList:
    """Entries from OFAC's SDN.CSV (`ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
    Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks`) and ALT.CSV (`ent_num, alt_num,
    alt_type, alt_name, alt_remarks`). Individuals are `LAST, First`; vessels and aircraft are
    skipped. Nationalities stay in the remarks as country names, so they are not compared."""
    aliases: dict[str, list[str]] = {}
    for row in _ofac_rows(list_id, alt_csv, 5):
        aliases.setdefault(row[0], []).append(_ofac_name(row[3]))
    entries = []
    for row in _ofac_rows(list_id, sdn_csv, 12):
        ent_num, name, sdn_type, program, remarks = row[0], row[1], row[2], row[3], row[11]
        kind: EntryKind | None = (
            "person" if sdn_type == "individual" else "organization" if sdn_type == "" else None
        )
        if kind is None or not name:
            continue
        caption = _ofac_name(name)
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=f"ofac-{ent_num}",
                kind=kind,
                caption=caption,
                names=tuple(_unique([caption, *aliases.get(ent_num, [])])),
                birth_dates=tuple(_ofac_dates(remarks)),
                topics=tuple(p.strip() for p in program.split("] [") if p.strip()),
            )
        )
    return SanctionsList(list_id, version or content_version(sdn_csv + alt_csv), tuple(entries))


def _ofac_rows(list_id: str, content: bytes, width: int) -> list[list[str]]:
    rows = []
    text = content.decode("utf-8", errors="replace").replace("\x1a", "")
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row:
            continue
        if len(row) != width:
            raise ListFormatError(f"{list_id} row {number}: {len(row)} fields, not {width}")
        cells = [cell.strip() for cell in row]
        rows.append(
            [
                "" if cell == OFAC_EMPTY else cell.strip("[]") if i == 3 and width == 12 else cell
                for i, cell in enumerate(cells)
            ]
        )
    return rows


def _ofac_name(name: str) -> str:
    """`PUTIN, Vladimir Vladimirovich` -> `Vladimir Vladimirovich PUTIN` (given names first)."""
    last, comma, first = name.partition(", ")
    return f"{first} {last}".strip() if comma else name.strip()


def _ofac_dates(remarks: str) -> list[str]:
    dates = []
    for day, month, year in _OFAC_DOB.findall(remarks):
        if month and month.lower() in _MONTHS:
            prefix = f"{year}-{_MONTHS[month.lower()]:02d}"
            dates.append(f"{prefix}-{int(day):02d}" if day else prefix)
        else:
            dates.append(year)
    return dates


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)
