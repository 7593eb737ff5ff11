"""Case layouts as data (docs/layouts.md): which blocks a case view shows, in which order and
column, and per field its label, format, visibility and group; which documents a case needs.
A tenant saves one for a workflow definition id (every version of it) or for one version.
A layout is plain data: no HTML, no expressions, nothing a browser would run."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, JsonInt
from chalicelib.models.case import Record

BlockType = Literal[
    "entity",
    "ubos",
    "directors",
    "documents",
    "vendorResults",
    "customData",
    "acceptanceCriteria",
    "notes",
    "messages",
    "history",
]
# The blocks whose data is a set of named fields (the others are panels of their own); a
# `documents` block's fields are paths into each document's `properties`.
FIELD_BLOCKS: frozenset[str] = frozenset(
    {"entity", "ubos", "directors", "documents", "vendorResults", "customData"}
)
FieldFormat = Literal["text", "date", "money", "country", "percentage", "link", "masked"]
# A dot path into the block's data: `dateOfBirth`, `address.country`.
FieldPath = Annotated[
    str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", max_length=200)
]
Label = Annotated[str, Field(min_length=1, max_length=80)]
MAX_BLOCKS = 10
# Keeps a layout (and its admin-trail record) well under DynamoDB's 400 KB item limit.
MAX_FIELDS = 50


class LayoutField(ApiModel):
    path: FieldPath
    label: Label | None = Field(default=None, description="shown instead of the path")
    format: FieldFormat = Field(
        default="text",
        description="`masked`: sent in clear only to holders of `cases.read_unmasked`",
    )
    hidden: bool = Field(default=False, description="never sent by the API's case view")
    group: Label | None = Field(default=None, description="fields of a group are shown together")
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="`money` only: an ISO 4217 code"
    )


class LayoutBlock(ApiModel):
    type: BlockType
    title: Label | None = None
    column: Literal[1, 2] = Field(default=1, description="at most the layout's `columns`")
    fields: list[LayoutField] = Field(
        default_factory=list,
        max_length=MAX_FIELDS,
        description="entity, ubos, directors, documents (paths into each document's "
        "`properties`), vendorResults and customData only; in order",
    )
    show_unlisted: bool = Field(
        default=True, description="also show the data's other fields, generically, after these"
    )


class RequiredDocument(ApiModel):
    type: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=64)
    label: Label | None = None


class CaseLayout(ApiModel):
    columns: Literal[1, 2] = 2
    blocks: list[LayoutBlock] = Field(min_length=1, max_length=MAX_BLOCKS)
    required_documents: list[RequiredDocument] = Field(
        default_factory=list,
        max_length=50,
        description="documents a case needs (by type and category); missing ones are shown so",
    )


LayoutSource = Literal["tenant", "tenantAllVersions", "bundled", "generic"]


class LayoutVersion(Record):
    """One saved version of a tenant's layout for a workflow definition, or for one version of
    it (`definition_version`; None: every version); never changed."""

    tenant_id: str
    workflow_definition_id: str
    definition_version: int | None = None
    version: int
    layout: CaseLayout
    author_id: str
    author_name: str
    at: str
    rolled_back_from: int | None = None


# -- API bodies --------------------------------------------------------------------------------
class LayoutParams(ApiModel):
    version: int | None = Field(
        default=None,
        ge=1,
        description="a version of the workflow definition: the layout saved for that version "
        "only; without it, the layout for every version",
    )


class LayoutRequest(ApiModel):
    layout: CaseLayout | None = Field(default=None, description="the new layout")
    rollback_to: JsonInt | None = Field(
        default=None, ge=1, description="instead of `layout`: save this earlier version again"
    )
    expected_version: JsonInt = Field(ge=0, description="the current version; 0 for the first")


class LayoutVersionRef(ApiModel):
    version: int
    author: str
    at: str
    rolled_back_from: int | None = None


class LayoutView(ApiModel):
    workflow_definition_id: str
    definition_version: int | None = Field(
        description="the definition version this layout is saved for; null: every version"
    )
    layout: CaseLayout
    source: LayoutSource = Field(
        description="what a case of that definition (version) shows: `tenant`: saved by the "
        "tenant for it; `tenantAllVersions`: the tenant's layout for every version (asked for "
        "one version that has none of its own); else the definition's bundled layout (or the "
        "bundled one of its entity type), or the generic one"
    )
    version: int = Field(
        description="the tenant's current version of this layout (for the definition version "
        "asked, or every version); 0 while none is saved"
    )
    updated_by: str | None = None
    updated_at: str | None = None
    history: list[LayoutVersionRef] = Field(description="the saved versions, newest first")
