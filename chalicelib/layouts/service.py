"""Reading and saving a tenant's case layout for a workflow definition (every version of it, or
one version): every save a new version with its author and time, a rollback a new version
copying an earlier one, each in the admin trail; and the layout a case is shown with."""

from __future__ import annotations

from chalicelib.auth.admin import admin_audit_record
from chalicelib.caches import TtlCache, register
from chalicelib.errors import InvalidRequest
from chalicelib.ids import utc_now
from chalicelib.layouts.rules import GENERIC_LAYOUT, bundled_layout, layout_problems
from chalicelib.layouts.store import LayoutStore
from chalicelib.models.layouts import (
    CaseLayout,
    LayoutRequest,
    LayoutSource,
    LayoutVersion,
    LayoutVersionRef,
    LayoutView,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import bundled_definitions, known_definition

HISTORY_LENGTH = 50
# Every case view needs its tenant's layouts: read once per container for this long (another
# container's save shows within it; this container's own save at once).
LAYOUT_CACHE_SECONDS = 30
saved_layouts_cache: TtlCache[tuple[str, str], list[LayoutVersion]] = register(
    TtlCache(LAYOUT_CACHE_SECONDS)
)


def default_layout(definition: WorkflowDefinition) -> tuple[CaseLayout, LayoutSource]:
    """A definition's layout before its tenant saves one: the one bundled with it; for a
    published (or bundled) definition without one, the bundled layout of a bundled definition
    of the same entity type (KYB's for businesses, KYC's for individuals); else the generic one."""
    bundled = bundled_layout(definition.id)
    if bundled is None and definition.entity_type is not None:
        bundled = next(
            (
                layout
                for other in bundled_definitions()
                if other.entity_type == definition.entity_type
                and (layout := bundled_layout(other.id)) is not None
            ),
            None,
        )
    return (bundled, "bundled") if bundled is not None else (GENERIC_LAYOUT, "generic")


def _chosen(saved: list[LayoutVersion], definition_version: int) -> LayoutVersion | None:
    """The tenant's layout for that version if it saved one, else its layout for every version."""
    mine = {layout.definition_version: layout for layout in saved}
    return mine.get(definition_version) or mine.get(None)


def case_layout(store: LayoutStore, definition: WorkflowDefinition, tenant_id: str) -> CaseLayout:
    """The layout a case on `definition` (its id and version) is shown with: the tenant's for
    that version, else the tenant's for every version, else `default_layout`."""
    saved = saved_layouts_cache.get(
        (tenant_id, definition.id), lambda: store.currents(tenant_id, definition.id)
    )
    chosen = _chosen(saved, definition.version)
    return chosen.layout if chosen is not None else default_layout(definition)[0]


def _ref(saved: LayoutVersion) -> LayoutVersionRef:
    return LayoutVersionRef(
        version=saved.version,
        author=saved.author_name,
        at=saved.at,
        rolled_back_from=saved.rolled_back_from,
    )


def get_layout(
    store: LayoutStore,
    reviewer: Reviewer,
    workflow_definition_id: str,
    definition_version: int | None = None,
) -> LayoutView:
    """The tenant's layout for every version of the definition, or for one version; while it
    has none, what such a case shows instead (at version 0, to be saved as version 1)."""
    tenant_id = reviewer.tenant_id
    definition = known_definition(workflow_definition_id, definition_version, tenant_id=tenant_id)
    saved = store.current(tenant_id, workflow_definition_id, definition_version)
    layout: CaseLayout
    source: LayoutSource
    if saved is not None:
        layout, source = saved.layout, "tenant"
    elif definition_version is not None and (
        every := store.current(tenant_id, workflow_definition_id, None)
    ):
        layout, source = every.layout, "tenantAllVersions"
    else:
        layout, source = default_layout(definition)
    history = store.history(tenant_id, workflow_definition_id, definition_version, HISTORY_LENGTH)
    return LayoutView(
        workflow_definition_id=workflow_definition_id,
        definition_version=definition_version,
        layout=layout,
        source=source,
        version=saved.version if saved else 0,
        updated_by=saved.author_name if saved else None,
        updated_at=saved.at if saved else None,
        history=[_ref(v) for v in history],
    )


def put_layout(
    store: LayoutStore,
    admin: Reviewer,
    workflow_definition_id: str,
    request: LayoutRequest,
    *,
    definition_version: int | None = None,
    request_id: str | None,
) -> LayoutView:
    known_definition(workflow_definition_id, definition_version, tenant_id=admin.tenant_id)
    if (request.layout is None) == (request.rollback_to is None):
        message = "send either `layout` or `rollbackTo`"
        raise InvalidRequest(message, details=[{"path": "layout", "message": message}])
    if request.rollback_to is not None:
        earlier = store.get_version(
            admin.tenant_id, workflow_definition_id, definition_version, request.rollback_to
        )
        if earlier is None:
            message = f"there is no version {request.rollback_to}"
            raise InvalidRequest(message, details=[{"path": "rollbackTo", "message": message}])
        layout = earlier.layout
    else:
        assert request.layout is not None
        layout = request.layout
        problems = layout_problems(layout)
        if problems:
            raise InvalidRequest("the layout is not valid", details=problems)
    saved = LayoutVersion(
        tenant_id=admin.tenant_id,
        workflow_definition_id=workflow_definition_id,
        definition_version=definition_version,
        version=request.expected_version + 1,
        layout=layout,
        author_id=admin.id,
        author_name=admin.name,
        at=utc_now(),
        rolled_back_from=request.rollback_to,
    )
    audit = admin_audit_record(
        admin,
        "layout.rolled_back" if request.rollback_to else "layout.saved",
        "layout",
        workflow_definition_id,
        request_id=request_id,
        after=layout.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        details={
            "version": saved.version,
            "definitionVersion": definition_version,
            "rolledBackTo": request.rollback_to,
        },
        at=saved.at,
    )
    store.save(saved, audit)
    saved_layouts_cache.forget((admin.tenant_id, workflow_definition_id))
    return get_layout(store, admin, workflow_definition_id, definition_version)
