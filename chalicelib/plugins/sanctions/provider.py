"""The `sanctions` provider: screens the mapped subjects (the entity, its UBOs and directors)
against the lists named by the S3 manifest, one hit per list entry and subject."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.plugins.providers import ProviderAnswer, ProviderError, ProviderInputError
from chalicelib.plugins.sanctions.lists import (
    ListFormatError,
    SanctionsList,
    content_version,
    load_ftm,
    load_ofac_sdn,
)
from chalicelib.plugins.sanctions.matching import DEFAULT_THRESHOLD, ScreeningIndex, Subject
from chalicelib.workflows.definition import PluginSpec

SAMPLE_DIR = Path(__file__).parent / "sample"
LISTS_PREFIX = "sanctions-lists/"
MANIFEST_KEY = f"{LISTS_PREFIX}manifest.json"
MAX_SUBJECTS = 50

ReadObject = Callable[[str], bytes]


class SubjectInput(BaseModel):
    """One subject of the plugin's mapped input (`subjects: [...]`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    role: str = Field(default="entity", max_length=40)
    kind: Literal["person", "organization"] = "person"
    name: str = Field(min_length=1, max_length=300)
    birth_date: str | None = Field(default=None, alias="birthDate", max_length=40)
    country: str | None = Field(default=None, max_length=60)


class ListManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    format: Literal["ftm", "ofac-sdn-csv"]
    # ftm: {"entities": key}; ofac-sdn-csv: {"sdn": key, "alt": key?}
    files: dict[str, str]
    version: str | None = None


class ListManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: list[ListManifestEntry] = Field(min_length=1)


SAMPLE_MANIFEST = ListManifest(
    lists=[
        ListManifestEntry(
            id="opensanctions-sample",
            format="ftm",
            files={"entities": f"{LISTS_PREFIX}opensanctions.ftm.json"},
        ),
        ListManifestEntry(
            id="ofac-sdn-sample",
            format="ofac-sdn-csv",
            files={"sdn": f"{LISTS_PREFIX}SDN.CSV", "alt": f"{LISTS_PREFIX}ALT.CSV"},
        ),
    ]
)


def load_lists(read: ReadObject, manifest: ListManifest) -> list[SanctionsList]:
    """Every list of the manifest, read with `read(key)` (S3, or the bundled sample)."""
    lists = []
    for item in manifest.lists:
        if item.format == "ftm":
            content = read(item.files["entities"])
            lists.append(load_ftm(item.id, content, item.version))
        else:
            sdn = read(item.files["sdn"])
            alt = read(item.files["alt"]) if "alt" in item.files else b""
            lists.append(load_ofac_sdn(item.id, sdn, alt, item.version))
    return lists


def read_sample(key: str) -> bytes:
    return (SAMPLE_DIR / key.removeprefix(LISTS_PREFIX)).read_bytes()


def sample_objects() -> dict[str, bytes]:
    """The bundled sample as S3 objects (key -> bytes), manifest included: what the local stack
    uploads."""
    objects = {MANIFEST_KEY: SAMPLE_MANIFEST.model_dump_json(exclude_none=True).encode()}
    for item in SAMPLE_MANIFEST.lists:
        for key in item.files.values():
            objects[key] = read_sample(key)
    return objects


class ListSource:
    """The screening index of the lists in S3, rebuilt only when the manifest changes."""

    def __init__(self, read: ReadObject) -> None:
        self._read = read
        self._cached: tuple[str, ScreeningIndex] | None = None

    def index(self) -> ScreeningIndex:
        try:
            raw = self._read(MANIFEST_KEY)
            digest = content_version(raw)
            if self._cached is not None and self._cached[0] == digest:
                return self._cached[1]
            manifest = ListManifest.model_validate(json.loads(raw))
            index = ScreeningIndex(load_lists(self._read, manifest))
        except (ValueError, ValidationError, ListFormatError, KeyError) as exc:
            raise ProviderError(f"the sanctions lists cannot be loaded: {exc}") from exc
        self._cached = (digest, index)
        return index


class SanctionsProvider:
    def __init__(self, index: Callable[[], ScreeningIndex]) -> None:
        self._index = index

    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        return self.screen(payload, spec.options)

    def screen(self, payload: dict[str, Any], options: dict[str, Any]) -> ProviderAnswer:
        raw = [s for s in payload.get("subjects") or [] if isinstance(s, dict) and s.get("name")]
        try:
            subjects = [SubjectInput.model_validate(s) for s in raw[:MAX_SUBJECTS]]
            threshold = float(options.get("threshold", DEFAULT_THRESHOLD))
        except (ValidationError, TypeError, ValueError) as exc:
            raise ProviderInputError(f"the screening input is unusable: {exc}") from exc
        index = self._index()
        hits = []
        for subject in subjects:
            hits += index.screen(
                Subject(
                    role=subject.role,
                    kind=subject.kind,
                    name=subject.name,
                    birth_date=subject.birth_date,
                    country=subject.country
                    if subject.country and len(subject.country) == 2
                    else None,
                ),
                threshold,
            )
        versions = index.versions
        for hit in hits:
            hit["listVersion"] = versions[hit["listId"]]
        return ProviderAnswer(
            data={
                "hits": hits,
                "screened": [{"role": s.role, "name": s.name} for s in subjects],
                "lists": [{"id": k, "version": v} for k, v in versions.items()],
                "threshold": threshold,
            },
            version=",".join(f"{k}@{v}" for k, v in versions.items()),
        )
