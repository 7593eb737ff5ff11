"""Saved inbox views: the stored record and the API's bodies (`/api/v1/backoffice/views`)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.models.backoffice import InboxFilters, PersonRef
from chalicelib.models.base import ApiModel, JsonInt
from chalicelib.models.case import Record
from chalicelib.models.reviewers import RoleId

VIEW_NAME_MAX = 80
# Above this many cases a view's count reads "50+": counting more would cost a scan.
VIEW_COUNT_CAP = 50


class SavedView(Record):
    """A named filter + sort of the inbox: personal (only its owner sees it) or shared with the
    tenant. A shared view may be the default view of some roles."""

    tenant_id: str
    view_id: str
    name: str
    owner_id: str
    owner_name: str
    shared: bool
    filters: InboxFilters
    default_for_roles: list[str] = Field(default_factory=list)
    version: int = 1
    created_at: str
    updated_at: str


class ViewRequest(ApiModel):
    name: str = Field(min_length=1, max_length=VIEW_NAME_MAX)
    shared: bool = Field(default=False, description="shared with the tenant (`views.share`)")
    filters: InboxFilters = Field(
        default_factory=InboxFilters,
        description="the inbox's filters and sort, as `GET .../cases` takes them; `me` means "
        "whoever opens the view",
    )
    default_for_roles: list[RoleId] = Field(
        default_factory=list,
        max_length=16,
        description="shared views only: the roles whose inbox opens on this view",
    )


class ViewUpdateRequest(ViewRequest):
    expected_version: JsonInt = Field(ge=1)


class ViewDeleteParams(ApiModel):
    expected_version: int = Field(ge=1)


class ViewCount(ApiModel):
    value: int = Field(description=f"the cases in the view, at most {VIEW_COUNT_CAP}")
    more: bool = Field(description="there are more than `value` (shown as `50+`)")
    label: str = Field(description="`12`, or `50+` when capped")


class ViewOut(ApiModel):
    id: str
    name: str
    shared: bool
    owner: PersonRef
    filters: InboxFilters
    default_for_roles: list[str]
    version: int
    created_at: str
    updated_at: str
    editable: bool = Field(description="the caller may change or delete it")
    count: ViewCount | None = Field(default=None, description="with `counts=true` only")


class ViewList(ApiModel):
    data: list[ViewOut]
    default_view_id: str | None = Field(
        default=None, description="the shared view the caller's roles open on, if any"
    )


class ViewListParams(ApiModel):
    counts: bool = Field(default=True, description="count each view's cases (capped at 50)")
