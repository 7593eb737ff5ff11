"""Saved inbox views: who may see and change which, their capped counts, the default per role.

Personal views are their owner's alone (anyone else gets a 404, as for another tenant's id);
shared views are read by the whole tenant and changed by holders of `views.share`. A view's
filters are the inbox's own parameters, checked the way the inbox checks them, so a view that
saves is a view that opens.
"""

from __future__ import annotations

from typing import Any

from chalicelib.auth.access import AccessStore, custom_role_ids, unknown_roles_error
from chalicelib.auth.admin import admin_audit_record
from chalicelib.auth.permissions import has_permission
from chalicelib.cases.inbox import InboxReader
from chalicelib.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.ids import new_id, utc_now
from chalicelib.models.backoffice import InboxFilters, PersonRef
from chalicelib.models.permissions import VIEWS_SHARE
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.views import (
    VIEW_COUNT_CAP,
    SavedView,
    ViewCount,
    ViewList,
    ViewOut,
    ViewRequest,
    ViewUpdateRequest,
)
from chalicelib.views.store import ViewStore

# A reviewer keeps at most this many personal views; a tenant at most this many shared ones.
MAX_VIEWS = 50
# Pages of the inbox query read to count a view: a filter no index covers can leave a page short,
# so a count follows at most this many before it answers "at least".
COUNT_PAGES = 3


def may_change(reviewer: Reviewer, view: SavedView) -> bool:
    if view.shared:
        return has_permission(reviewer, VIEWS_SHARE)
    return view.owner_id == reviewer.id


def count_view(reader: InboxReader, reviewer: Reviewer, filters: InboxFilters) -> ViewCount:
    """How many cases the view shows, up to VIEW_COUNT_CAP: a few bounded inbox pages, never a
    scan (the inbox's read budget per page holds)."""
    query = filters.to_query(reviewer.tenant_id, reviewer.id, VIEW_COUNT_CAP + 1)
    seen, boundary = 0, None
    for _ in range(COUNT_PAGES):
        page = reader.inbox_page(query, boundary)
        seen += len(page.rows)
        boundary = page.next_boundary
        if seen > VIEW_COUNT_CAP or boundary is None:
            break
    more = seen > VIEW_COUNT_CAP or boundary is not None
    value = min(seen, VIEW_COUNT_CAP)
    return ViewCount(value=value, more=more, label=f"{value}+" if more else str(value))


def view_out(view: SavedView, reviewer: Reviewer, count: ViewCount | None = None) -> ViewOut:
    return ViewOut(
        id=view.view_id,
        name=view.name,
        shared=view.shared,
        owner=PersonRef(id=view.owner_id, name=view.owner_name),
        filters=view.filters,
        default_for_roles=view.default_for_roles,
        version=view.version,
        created_at=view.created_at,
        updated_at=view.updated_at,
        editable=may_change(reviewer, view),
        count=count,
    )


def list_views(
    store: ViewStore, reader: InboxReader, reviewer: Reviewer, *, counts: bool
) -> ViewList:
    views = store.list_views(reviewer.tenant_id, reviewer.id)
    default = next(
        (v.view_id for v in views if v.shared and set(v.default_for_roles) & set(reviewer.roles)),
        None,
    )
    return ViewList(
        data=[
            view_out(v, reviewer, count_view(reader, reviewer, v.filters) if counts else None)
            for v in views
        ],
        default_view_id=default,
    )


def _checked(
    request: ViewRequest, reviewer: Reviewer, access: AccessStore
) -> tuple[InboxFilters, list[str]]:
    """The request's filters and default roles, refused (403/400 with paths) as the inbox and
    the tenant's roles would refuse them."""
    if (request.shared or request.default_for_roles) and not has_permission(reviewer, VIEWS_SHARE):
        raise Forbidden(
            f"sharing a view needs the permission `{VIEWS_SHARE}`",
            details={"permission": VIEWS_SHARE},
        )
    if request.default_for_roles and not request.shared:
        message = "only a shared view can be a role's default"
        raise InvalidRequest(message, details=[{"path": "defaultForRoles", "message": message}])
    try:
        # The checks the inbox makes beyond the model's own (a search that normalises to nothing).
        request.filters.to_query(reviewer.tenant_id, reviewer.id, 1)
    except InvalidRequest as exc:
        details = [
            {**d, "path": f"filters.{d.get('path', '')}".rstrip(".")}
            for d in (exc.details if isinstance(exc.details, list) else [])
        ]
        raise InvalidRequest(exc.message, details=details) from exc
    roles = sorted(set(request.default_for_roles))
    custom = custom_role_ids(roles)
    found = access.get_custom_roles(reviewer.tenant_id, custom) if custom else {}
    missing = set(custom) - set(found)
    if missing:
        raise unknown_roles_error(missing)
    return request.filters, roles


def _facts(view: SavedView) -> dict[str, Any]:
    return {
        "name": view.name,
        "shared": view.shared,
        "filters": view.filters.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        "defaultForRoles": view.default_for_roles,
    }


def create_view(
    store: ViewStore,
    reader: InboxReader,
    access: AccessStore,
    reviewer: Reviewer,
    request: ViewRequest,
    *,
    request_id: str | None,
) -> ViewOut:
    filters, roles = _checked(request, reviewer, access)
    existing = store.list_views(reviewer.tenant_id, reviewer.id)
    if sum(1 for v in existing if v.shared == request.shared) >= MAX_VIEWS:
        message = f"at most {MAX_VIEWS} {'shared' if request.shared else 'personal'} views"
        raise InvalidRequest(message, details=[{"path": "name", "message": message}])
    now = utc_now()
    view = SavedView(
        tenant_id=reviewer.tenant_id,
        view_id=new_id("view"),
        name=request.name,
        owner_id=reviewer.id,
        owner_name=reviewer.name,
        shared=request.shared,
        filters=filters,
        default_for_roles=roles,
        created_at=now,
        updated_at=now,
    )
    audit = admin_audit_record(
        reviewer, "view.created", "view", view.view_id, request_id=request_id, after=_facts(view)
    )
    store.create_view(view, audit)
    return view_out(view, reviewer, count_view(reader, reviewer, view.filters))


def _visible_view(store: ViewStore, reviewer: Reviewer, view_id: str) -> SavedView:
    view = store.get_view(reviewer.tenant_id, reviewer.id, view_id)
    if view is None:
        raise NotFound("no such view")
    return view


def _require_may_change(reviewer: Reviewer, view: SavedView) -> None:
    if not may_change(reviewer, view):
        raise Forbidden(
            f"changing a shared view needs the permission `{VIEWS_SHARE}`",
            details={"permission": VIEWS_SHARE},
        )


def update_view(
    store: ViewStore,
    reader: InboxReader,
    access: AccessStore,
    reviewer: Reviewer,
    view_id: str,
    request: ViewUpdateRequest,
    *,
    request_id: str | None,
) -> ViewOut:
    before = _visible_view(store, reviewer, view_id)
    _require_may_change(reviewer, before)
    filters, roles = _checked(request, reviewer, access)
    after = before.model_copy(
        update={
            "name": request.name,
            "shared": request.shared,
            "filters": filters,
            "default_for_roles": roles,
            "updated_at": utc_now(),
        }
    )
    audit = admin_audit_record(
        reviewer,
        "view.updated",
        "view",
        view_id,
        request_id=request_id,
        before=_facts(before),
        after=_facts(after),
    )
    stored = store.update_view(before, after, request.expected_version, audit)
    return view_out(stored, reviewer, count_view(reader, reviewer, stored.filters))


def delete_view(
    store: ViewStore,
    reviewer: Reviewer,
    view_id: str,
    expected_version: int,
    *,
    request_id: str | None,
) -> None:
    view = _visible_view(store, reviewer, view_id)
    _require_may_change(reviewer, view)
    audit = admin_audit_record(
        reviewer, "view.deleted", "view", view_id, request_id=request_id, before=_facts(view)
    )
    store.delete_view(view, expected_version, audit)
