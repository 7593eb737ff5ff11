"""Writes the bundled sample sanctions lists (`chalicelib/plugins/sanctions/sample/`).

Real entries: a few persons and organisations whose sanctions listing is public record (see
docs/plugins.md); their ids and remarks are the sample's, not the publishers' record numbers.
Synthetic entries: invented names (`synthetic-*` ids, topic `synthetic`) that name no one, to
give the lists a realistic shape; `synthetic_entities(10_000)` makes the bench's large list.

    .venv/bin/python -m local.sanctions_sample
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "chalicelib" / "plugins" / "sanctions" / "sample"
SAMPLE_SYNTHETIC = 60

REAL_FTM: list[dict[str, Any]] = [
    {
        "id": "sample-putin",
        "schema": "Person",
        "caption": "Vladimir Putin",
        "properties": {
            "name": ["Vladimir Vladimirovich Putin"],
            "alias": ["Владимир Владимирович Путин", "Vladimir Putin"],
            "birthDate": ["1952-10-07"],
            "nationality": ["ru"],
            "topics": ["sanction", "role.pep"],
        },
    },
    {
        "id": "sample-assad",
        "schema": "Person",
        "caption": "Bashar al-Assad",
        "properties": {
            "name": ["Bashar al-Assad"],
            "alias": ["Bashar Hafez al-Assad", "بشار الأسد"],
            "birthDate": ["1965-09-11"],
            "nationality": ["sy"],
            "topics": ["sanction", "role.pep"],
        },
    },
    {
        "id": "sample-kadyrov",
        "schema": "Person",
        "caption": "Ramzan Kadyrov",
        "properties": {
            "name": ["Ramzan Akhmatovich Kadyrov"],
            "alias": ["Рамзан Ахматович Кадыров"],
            "birthDate": ["1976-10-05"],
            "nationality": ["ru"],
            "topics": ["sanction", "role.pep"],
        },
    },
    {
        "id": "sample-kim-jong-un",
        "schema": "Person",
        "caption": "Kim Jong Un",
        "properties": {
            "name": ["Kim Jong Un"],
            "nationality": ["kp"],
            "topics": ["sanction", "role.pep"],
        },
    },
    {
        "id": "sample-wagner",
        "schema": "Organization",
        "caption": "Wagner Group",
        "properties": {
            "name": ["Wagner Group"],
            "alias": ["PMC Wagner"],
            "country": ["ru"],
            "topics": ["sanction"],
        },
    },
    {
        "id": "sample-ira",
        "schema": "Company",
        "caption": "Internet Research Agency LLC",
        "properties": {
            "name": ["Internet Research Agency LLC"],
            "jurisdiction": ["ru"],
            "topics": ["sanction"],
        },
    },
]

# OFAC SDN.CSV rows (ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
# Tonnage, GRT, Vess_flag, Vess_owner, Remarks); `-0- ` is OFAC's empty field.
REAL_SDN = [
    [
        "900001",
        "PUTIN, Vladimir Vladimirovich",
        "individual",
        "RUSSIA-EO14024",
        "President of the Russian Federation",
        *["-0- "] * 6,
        "DOB 07 Oct 1952; POB Leningrad, Russia; nationality Russia; Gender Male.",
    ],
    [
        "900002",
        "AL-ASSAD, Bashar",
        "individual",
        "SYRIA",
        "President of Syria",
        *["-0- "] * 6,
        "DOB 11 Sep 1965; POB Damascus, Syria; nationality Syria; Gender Male.",
    ],
]
REAL_ALT = [["900002", "1", "a.k.a.", "AL-ASAD, Bashar", "-0- "]]

_SYLLABLES = [
    "zor",
    "bla",
    "quen",
    "nik",
    "tav",
    "ros",
    "mel",
    "dri",
    "vak",
    "sul",
    "pem",
    "tor",
    "gan",
    "lix",
    "bru",
    "fen",
    "yor",
    "kad",
    "wim",
]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def synthetic_entities(count: int, seed: int = 19) -> list[dict[str, Any]]:
    """Invented persons and companies in FtM form: they name no one, and no country (FtM
    accepts only real country codes; a made-up entry should not claim one)."""
    rng = random.Random(seed)
    entities = []
    for number in range(count):
        if number % 4 == 3:
            name = f"{_word(rng)} {_word(rng)} Holdings"
            entities.append({
                "id": f"synthetic-{number}", "schema": "Company", "caption": name,
                "properties": {"name": [name], "topics": ["sanction"],
                           "notes": ["synthetic: names no one"]},
            })  # fmt: skip
            continue
        name = f"{_word(rng)} {_word(rng)} {_word(rng)}"
        birth = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        entities.append({
            "id": f"synthetic-{number}", "schema": "Person", "caption": name,
            "properties": {"name": [name], "birthDate": [birth],
                           "topics": ["sanction"],
                           "notes": ["synthetic: names no one"]},
        })  # fmt: skip
    return entities


def ftm_lines(entities: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities).encode()


def csv_rows(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def write_sample(directory: Path = SAMPLE_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "opensanctions.ftm.json").write_bytes(
        ftm_lines(REAL_FTM + synthetic_entities(SAMPLE_SYNTHETIC))
    )
    (directory / "SDN.CSV").write_bytes(csv_rows(REAL_SDN))
    (directory / "ALT.CSV").write_bytes(csv_rows(REAL_ALT))


if __name__ == "__main__":
    write_sample()
