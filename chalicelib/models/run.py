"""The integrator's workflow-run request (Ballerine-compatible).

Every model here keeps unknown fields: the context is the integrator's data and is stored whole.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.models.base import JsonInt, OpenModel

REMOTE_PROVIDERS = frozenset({"http", "https"})
INLINE_PROVIDERS = frozenset({"base64"})


# The provider rule of `Page._source_matches_provider`, stated in the schema too, so that a request
# valid under the OpenAPI document is one the API accepts.
PAGE_SOURCE_SCHEMA: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"provider": {"enum": sorted(REMOTE_PROVIDERS)}}},
            "then": {
                "required": ["uri"],
                "properties": {"uri": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}},
            },
        },
        {
            "if": {"properties": {"provider": {"enum": sorted(INLINE_PROVIDERS)}}},
            "then": {
                "required": ["data"],
                "properties": {"data": {"type": "string", "minLength": 1}},
            },
        },
    ]
}


class Page(OpenModel):
    model_config = ConfigDict(json_schema_extra=PAGE_SOURCE_SCHEMA)

    provider: Literal["http", "https", "base64"]
    uri: str | None = Field(default=None, max_length=4096)
    data: str | None = None
    type: str | None = Field(default=None, max_length=64)
    metadata: dict[str, Any] = Field(default_factory=dict)
    ballerine_file_id: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _source_matches_provider(self) -> Page:
        if self.provider in REMOTE_PROVIDERS:
            if not self.uri or not self.uri.lower().startswith(("http://", "https://")):
                raise ValueError("an http(s) page needs `uri` with an http:// or https:// URL")
        elif not self.data:
            raise ValueError("a base64 page needs `data`")
        return self

    def decoded_data(self) -> bytes:
        """The inline bytes of a base64 page (a `data:` URI prefix is accepted)."""
        raw = self.data or ""
        if raw.startswith("data:") and "," in raw:
            raw = raw.split(",", 1)[1]
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("`data` is not valid base64") from exc


class Document(OpenModel):
    id: str | None = Field(default=None, max_length=200)
    type: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=100)
    pages: list[Page] = Field(default_factory=list, max_length=50)
    issuer: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    version: JsonInt | None = None
    issuing_version: JsonInt | None = None


class Entity(OpenModel):
    id: str = Field(min_length=1, max_length=200)
    type: Literal["individual", "business"]
    data: dict[str, Any] = Field(default_factory=dict)


class RunContext(OpenModel):
    entity: Entity
    documents: list[Document] = Field(default_factory=list, max_length=100)
    custom_data: dict[str, Any] | None = None


class RunRequest(OpenModel):
    workflow_id: str = Field(min_length=1, max_length=100)
    context: RunContext
    config: dict[str, Any] | None = None

    @field_validator("workflow_id")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()
