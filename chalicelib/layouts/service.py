"""Reading and saving a tenant's case layout for a workflow definition: every save a new
version with its author and time, a rollback a new version copying an earlier one, each in the
admin trail."""

from __future__ import annotations

from chalicelib.auth.admin import admin_audit_record
from chalicelib.errors import InvalidRequest, NotFound
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
from chalicelib.workflows.registry import UnknownWorkflowDefinition, get_definition

HISTORY_LENGTH = 50


def _known_definition(tenant_id: str, workflow_definition_id: str) -> None:
    try:
        get_definition(workflow_definition_id, tenant_id=tenant_id)
    except UnknownWorkflowDefinition as exc:
        raise NotFound("no such workflow definition") from exc


def effective_layout(
    store: LayoutStore, tenant_id: str, workflow_definition_id: str
) -> tuple[CaseLayout, LayoutSource, LayoutVersion | None]:
    """The layout a case of the definition shows: the tenant's, else the bundled one, else the
    generic one (every block, every field shown generically)."""
    saved = store.current(tenant_id, workflow_definition_id)
    if saved is not None:
        return saved.layout, "tenant", saved
    bundled = bundled_layout(workflow_definition_id)
    if bundled is not None:
        return bundled, "bundled", None
    return GENERIC_LAYOUT, "generic", None


def _ref(saved: LayoutVersion) -> LayoutVersionRef:
    return LayoutVersionRef(
        version=saved.version,
        author=saved.author_name,
        at=saved.at,
        rolled_back_from=saved.rolled_back_from,
    )


def get_layout(store: LayoutStore, reviewer: Reviewer, workflow_definition_id: str) -> LayoutView:
    _known_definition(reviewer.tenant_id, workflow_definition_id)
    layout, source, saved = effective_layout(store, reviewer.tenant_id, workflow_definition_id)
    history = store.history(reviewer.tenant_id, workflow_definition_id, HISTORY_LENGTH)
    return LayoutView(
        workflow_definition_id=workflow_definition_id,
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
    request_id: str | None,
) -> LayoutView:
    _known_definition(admin.tenant_id, workflow_definition_id)
    if (request.layout is None) == (request.rollback_to is None):
        message = "send either `layout` or `rollbackTo`"
        raise InvalidRequest(message, details=[{"path": "layout", "message": message}])
    if request.rollback_to is not None:
        earlier = store.get_version(admin.tenant_id, workflow_definition_id, request.rollback_to)
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
        details={"version": saved.version, "rolledBackTo": request.rollback_to},
        at=saved.at,
    )
    store.save(saved, audit)
    return get_layout(store, admin, workflow_definition_id)
