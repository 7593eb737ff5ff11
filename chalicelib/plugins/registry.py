"""The `registry` provider: a company registry lookup (name, number, status, officers) and the
comparison of the registry's record with what the customer declared, field by field.

`CompanyRegistry` is the interface a real registry API implements (look up by number and
jurisdiction); the bundled `SampleRegistry` answers from `registry_sample/companies.json`
(invented companies, including the demo's Northwind Trading GmbH)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.plugins.providers import ProviderAnswer, ProviderInputError
from chalicelib.workflows.definition import PluginSpec

SAMPLE_FILE = Path(__file__).parent / "registry_sample" / "companies.json"
SAMPLE_VERSION = "sample-2026-12"


class Officer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str


class CompanyRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    number: str
    jurisdiction: str = Field(description="ISO 3166-1 alpha-2")
    name: str
    status: str
    incorporation_date: str | None = Field(default=None, alias="incorporationDate")
    address: str | None = None
    officers: list[Officer] = Field(default_factory=list)


class CompanyRegistry(Protocol):
    version: str

    def lookup(self, number: str, jurisdiction: str | None) -> CompanyRecord | None: ...


class SampleRegistry:
    version = SAMPLE_VERSION

    def __init__(self, path: Path = SAMPLE_FILE) -> None:
        self._records = [CompanyRecord.model_validate(r) for r in json.loads(path.read_text())]

    def lookup(self, number: str, jurisdiction: str | None) -> CompanyRecord | None:
        wanted = _compact(number)
        return next(
            (
                r
                for r in self._records
                if _compact(r.number) == wanted
                and (jurisdiction is None or r.jurisdiction.lower() == jurisdiction.lower())
            ),
            None,
        )


class RegistryInput(BaseModel):
    """The plugin's mapped input: what the customer declared."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    registration_number: str = Field(alias="registrationNumber", min_length=1, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    name: str | None = None
    address: str | None = None
    directors: list[str] = Field(default_factory=list)

    @field_validator("directors", mode="before")
    @classmethod
    def _none_is_no_directors(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def jurisdiction(self) -> str | None:
        """The declared country when it is an ISO code; a country's name (as Ballerine's forms
        send it) does not narrow the lookup, and is still compared."""
        country = (self.country or "").strip()
        return country if len(country) == 2 and country.isalpha() else None


class RegistryProvider:
    def __init__(self, registry: CompanyRegistry) -> None:
        self._registry = registry

    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        try:
            declared = RegistryInput.model_validate(payload)
        except ValidationError as exc:
            raise ProviderInputError(f"the registry input is unusable: {exc}") from exc
        record = self._registry.lookup(declared.registration_number, declared.jurisdiction)
        if record is None:
            return ProviderAnswer(
                data={"found": False, "company": None, "comparison": [], "mismatches": 0},
                version=self._registry.version,
            )
        comparison = compare(declared, record)
        return ProviderAnswer(
            data={
                "found": True,
                "company": record.model_dump(by_alias=True),
                "comparison": comparison,
                "mismatches": sum(1 for row in comparison if row["match"] is False),
            },
            version=self._registry.version,
        )


def compare(declared: RegistryInput, record: CompanyRecord) -> list[dict[str, Any]]:
    """Each declared field beside the registry's: `match` true, false, or null when the
    customer declared nothing."""
    from chalicelib.plugins.sanctions.matching import normalise

    officers = sorted(normalise(o.name) for o in record.officers)
    rows: list[tuple[str, Any, Any, bool | None]] = [
        ("registrationNumber", declared.registration_number, record.number, True),
        ("name", declared.name, record.name, _same(declared.name, record.name)),
        (
            "country",
            declared.country,
            record.jurisdiction.upper(),
            _same(declared.country, record.jurisdiction),
        ),
        ("address", declared.address, record.address, _same(declared.address, record.address)),
        (
            "directors",
            declared.directors or None,
            [o.name for o in record.officers],
            sorted(normalise(d) for d in declared.directors) == officers
            if declared.directors
            else None,
        ),
        ("status", None, record.status, record.status.lower() == "active"),
    ]
    return [
        {"field": field, "declared": mine, "registry": theirs, "match": match}
        for field, mine, theirs, match in rows
    ]


def _same(declared: str | None, registry: str | None) -> bool | None:
    from chalicelib.plugins.sanctions.matching import normalise

    if not declared:
        return None
    return registry is not None and normalise(declared) == normalise(registry)


def _compact(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())
