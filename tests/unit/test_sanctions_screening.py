"""Sanctions screening: the list loaders on files in the published formats, and fuzzy matching
with its known true and false positives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.plugins.providers import ProviderError, ProviderInputError
from chalicelib.plugins.sanctions.lists import ListFormatError, load_ftm, load_ofac_sdn
from chalicelib.plugins.sanctions.matching import ScreeningIndex, Subject, name_score
from chalicelib.plugins.sanctions.provider import (
    MANIFEST_KEY,
    SAMPLE_MANIFEST,
    ListSource,
    SanctionsProvider,
    load_lists,
    read_sample,
    sample_objects,
)
from local.sanctions_sample import csv_rows, ftm_lines, synthetic_entities


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex(load_lists(read_sample, SAMPLE_MANIFEST))


def screen(index: ScreeningIndex, name: str, **kw: str) -> list[tuple[str, str, list[str]]]:
    kind = kw.pop("kind", "person")
    hits = index.screen(Subject(role="entity", kind=kind, name=name, **kw))  # type: ignore[arg-type]
    return [(h["listId"], h["entryId"], h["matchedFields"]) for h in hits]


def test_ftm_lines_keep_screened_schemata_with_names_dates_and_countries() -> None:
    content = ftm_lines(
        [
            {"id": "p1", "schema": "Person", "properties": {"name": ["Ann Example"],
             "alias": ["Анна"], "birthDate": ["1970"], "nationality": ["GB"],
             "topics": ["sanction"]}, "datasets": ["x"], "referents": []},
            {"id": "v1", "schema": "Vessel", "properties": {"name": ["Sea Star"]}},
            {"id": "c1", "schema": "Company", "properties": {"name": ["Acme Ltd"]}},
        ]
    )  # fmt: skip
    loaded = load_ftm("os", content, "20261201")
    assert loaded.version == "20261201"
    person, company = loaded.entries
    assert (person.entry_id, person.kind, person.names) == ("p1", "person", ("Ann Example", "Анна"))
    assert (person.birth_dates, person.countries, person.topics) == (
        ("1970",),
        ("gb",),
        ("sanction",),
    )
    assert (company.entry_id, company.kind) == ("c1", "organization")


@pytest.mark.parametrize(
    "line",
    [
        '{"schema": "Person", "properties": {}}',
        "not json",
        '{"id": "x", "schema": "Person", "properties": {"name": "no list"}}',
    ],
)
def test_an_ftm_line_that_is_no_entity_is_refused_with_its_line_number(line: str) -> None:
    content = ftm_lines([{"id": "ok", "schema": "Person", "properties": {"name": ["A B"]}}])
    with pytest.raises(ListFormatError, match="line 2"):
        load_ftm("os", content + line.encode() + b"\n")


def test_ofac_sdn_csv_with_aliases_dates_and_programs() -> None:
    sdn = csv_rows(
        [
            ["10", "EXAMPLE, John Quincy", "individual", "SDGT] [IRGC", "-0- ", *["-0- "] * 6,
             "DOB 02 Mar 1961; alt. DOB 1962; nationality Iran."],
            ["11", "EXAMPLE TRADING CO.", "-0- ", "IRAN", *["-0- "] * 7, "-0- "],
            ["12", "SEA STAR", "vessel", "IRAN", *["-0- "] * 8],
        ]
    )  # fmt: skip
    alt = csv_rows([["10", "1", "a.k.a.", "EXAMPEL, Jon", "-0- "]])
    loaded = load_ofac_sdn("ofac", sdn, alt)
    person, company = loaded.entries
    assert person.names == ("John Quincy EXAMPLE", "Jon EXAMPEL")
    assert person.birth_dates == ("1961-03-02", "1962")
    assert person.topics == ("SDGT", "IRGC")
    assert (company.entry_id, company.kind, company.caption) == (
        "ofac-11",
        "organization",
        "EXAMPLE TRADING CO.",
    )
    assert len(loaded.version) == 12


def test_an_ofac_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ListFormatError, match="row 1"):
        load_ofac_sdn("ofac", b"1,NAME,individual\r\n")


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        ("Vladimir Putin", {}, {"sample-putin", "ofac-900001"}),
        ("Putin Vladimir", {}, {"sample-putin", "ofac-900001"}),  # word order
        ("Путин Владимир", {}, {"sample-putin", "ofac-900001"}),  # transliteration
        ("V. Putin", {}, {"sample-putin", "ofac-900001"}),  # an initial
        ("Wladimir Putin", {}, {"sample-putin", "ofac-900001"}),  # spelling
        ("Vladimir Putin", {"birth_date": "1952-10-07"}, {"sample-putin", "ofac-900001"}),
        ("Bashar al Asad", {}, {"sample-assad", "ofac-900002"}),
        ("Kim Jong Un", {"country": "kp"}, {"sample-kim-jong-un"}),
    ],
)
def test_known_true_positives(index: ScreeningIndex, name: str, extra: dict, expected: set) -> None:
    assert {entry for _, entry, _ in screen(index, name, **extra)} == expected


def test_agreeing_date_of_birth_and_country_are_matched_fields(index: ScreeningIndex) -> None:
    hits = screen(index, "Vladimir Putin", birth_date="1952-10-07", country="ru")
    assert ("opensanctions-sample", "sample-putin", ["name", "birthDate", "country"]) in hits
    assert ("ofac-sdn-sample", "ofac-900001", ["name", "birthDate"]) in hits


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("Vladimir Smirnov", {}),  # a shared first name
        ("Vladimir Putin", {"birth_date": "1985-03-01"}),  # a namesake born another day
        ("Jane Doe", {}),
        ("Kim Jong Il", {}),  # another person of the family
        ("V. P.", {}),  # initials alone name no one
        ("Wagner Kitchens", {"kind": "organization"}),
        ("Internet Research Ltd", {"kind": "person"}),  # people are not matched to companies
    ],
)
def test_known_false_positives_are_not_hits(index: ScreeningIndex, name: str, extra: dict) -> None:
    assert screen(index, name, **extra) == []


def test_a_company_matches_without_its_legal_form(index: ScreeningIndex) -> None:
    assert screen(index, "OOO Wagner Group", kind="organization")[0][1] == "sample-wagner"
    assert screen(index, "Internet Research Agency", kind="organization")[0][1] == "sample-ira"


def test_a_differing_country_lowers_the_score_below_the_threshold(index: ScreeningIndex) -> None:
    assert screen(index, "Putin", country="ru")  # one word: just at the threshold
    assert screen(index, "Putin", country="de") == []


def test_name_score_needs_every_screened_word() -> None:
    assert name_score(("anna", "example"), ("anna", "maria", "example")) == 96.0
    assert name_score(("anna", "other"), ("anna", "example")) == 0.0


def test_the_provider_screens_each_subject_and_names_list_versions(index: ScreeningIndex) -> None:
    provider = SanctionsProvider(lambda: index)
    answer = provider.screen(
        {
            "subjects": [
                {"role": "entity", "kind": "organization", "name": "Northwind Trading GmbH"},
                {"role": "ubo", "kind": "person", "name": "Ramzan Kadyrov", "country": "RU"},
                None,
                {"role": "director", "name": ""},
            ]
        },
        {"threshold": 90},
    )
    (hit,) = answer.data["hits"]
    assert hit["subject"] == {"role": "ubo", "name": "Ramzan Kadyrov"}
    assert hit["listVersion"] == index.versions["opensanctions-sample"]
    assert hit["score"] >= 90 and hit["id"].startswith("hit_")
    assert answer.data["screened"] == [
        {"role": "entity", "name": "Northwind Trading GmbH"},
        {"role": "ubo", "name": "Ramzan Kadyrov"},
    ]
    assert answer.version and "opensanctions-sample@" in answer.version
    again = provider.screen({"subjects": [{"role": "ubo", "name": "Ramzan Kadyrov"}]}, {})
    assert again.data["hits"][0]["id"] == hit["id"]  # stable across runs: judgements hold
    with pytest.raises(ProviderInputError):
        provider.screen({"subjects": [{"name": "x", "kind": "vessel"}]}, {})


def test_the_list_source_reads_s3_once_per_manifest_and_fails_as_a_provider() -> None:
    objects = sample_objects()
    reads: list[str] = []

    def read(key: str) -> bytes:
        reads.append(key)
        return objects[key]

    source = ListSource(read)
    assert len(source.index()) == 68
    assert source.index() is source.index()
    assert reads.count(MANIFEST_KEY) == 3 and len(reads) == 3 + 3
    objects[MANIFEST_KEY] = json.dumps({"lists": []}).encode()
    with pytest.raises(ProviderError, match="cannot be loaded"):
        source.index()


def test_synthetic_entries_name_no_real_country_and_load_as_ftm() -> None:
    entities = synthetic_entities(200)
    assert all(e["properties"]["notes"] == ["synthetic: names no one"] for e in entities)
    loaded = load_ftm("bench", ftm_lines(entities))
    assert len(loaded.entries) == 200
    assert not {c for e in loaded.entries for c in e.countries}


def test_the_bundled_and_synthetic_ftm_entities_are_valid_followthemoney() -> None:
    """The sample (and the bench's synthetic entries) checked against the FollowTheMoney model
    itself: a known schema, known properties, and every value kept by its type's cleaning (a
    malformed date or country would be dropped). The function's own loader validates the fields
    it reads with pydantic (docs/plugins.md says why not `followthemoney` at run time)."""
    from followthemoney import model

    sample = Path("chalicelib/plugins/sanctions/sample/opensanctions.ftm.json")
    entities = [json.loads(line) for line in sample.read_text().splitlines() if line.strip()]
    assert len(entities) > 6
    for entity in entities + synthetic_entities(200):
        proxy = model.get_proxy(entity, cleaned=False)
        for prop, values in entity["properties"].items():
            assert proxy.schema.get(prop) is not None, (entity["id"], prop)
            assert sorted(proxy.get(prop)) == sorted(values), (entity["id"], prop)
