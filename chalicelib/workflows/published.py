"""Workflow definitions published by a tenant's admins (docs/workflow-definitions.md#publishing).

Publishing a version validates it (the definition model, then what only the app can judge:
an id no bundled definition has, plugin URLs through the webhook SSRF guard, secret references
that name a field of the tenant's own vendor secret), compiles it to a state machine the app
creates, and keeps it with its author and time, in the admin trail. Versions never change: a
case stays on the version (and state machine) it started on; a new run takes the newest.
"""

from __future__ import annotations

import re
import socket
import threading
from typing import Any, Protocol

from chalicelib.auth.admin import admin_audit_record
from chalicelib.documents.remote_fetch import Resolver
from chalicelib.errors import InvalidRequest, VersionConflict
from chalicelib.ids import utc_now
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.definitions import PublishedDefinition, WorkflowDefinitionDocument
from chalicelib.models.reviewers import Reviewer
from chalicelib.webhooks.urls import WebhookUrlRefused, vet_webhook_url
from chalicelib.workflows.asl import compile_to_asl
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import bundled_definitions, known_definition

# `{secret:NAME}`: a field of the tenant's own vendor secret, never a path or ARN of another.
_SECRET_REFERENCE = re.compile(r"\{secret:([^}]*)\}")
_SECRET_FIELD = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# A template's placeholders may fill the path and query only: the host is vetted when
# published, so it must be written out.
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


class DefinitionStore(Protocol):
    def latest(self, tenant_id: str, definition_id: str) -> PublishedDefinition | None: ...

    def get_version(
        self, tenant_id: str, definition_id: str, version: int
    ) -> PublishedDefinition | None: ...

    def list_latest(self, tenant_id: str) -> list[PublishedDefinition]:
        """The newest version of each of the tenant's definitions, by id."""

    def save(self, published: PublishedDefinition, audit: AdminAuditRecord) -> None:
        """Keep `published` if the newest version is `published.version - 1` (0: none yet),
        else VersionConflict; with its admin-trail record."""


class StateMachines(Protocol):
    def create_state_machine(self, name: str, definition: dict[str, Any], role_arn: str) -> str:
        """The new state machine's ARN; VersionConflict if one of that name exists."""

    def state_machine_exists(self, state_machine_arn: str) -> bool: ...


def conflict(current: int) -> VersionConflict:
    return VersionConflict(
        f"version {current + 1} is the next version of this definition",
        details={"currentVersion": current},
    )


class InMemoryDefinitionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[tuple[str, str], list[PublishedDefinition]] = {}
        self.audit: list[AdminAuditRecord] = []

    def latest(self, tenant_id: str, definition_id: str) -> PublishedDefinition | None:
        with self._lock:
            versions = self._versions.get((tenant_id, definition_id), [])
            return versions[-1] if versions else None

    def get_version(
        self, tenant_id: str, definition_id: str, version: int
    ) -> PublishedDefinition | None:
        with self._lock:
            versions = self._versions.get((tenant_id, definition_id), [])
            return next((v for v in versions if v.version == version), None)

    def list_latest(self, tenant_id: str) -> list[PublishedDefinition]:
        with self._lock:
            return [
                versions[-1]
                for (tenant, _), versions in sorted(self._versions.items())
                if tenant == tenant_id and versions
            ]

    def save(self, published: PublishedDefinition, audit: AdminAuditRecord) -> None:
        with self._lock:
            versions = self._versions.setdefault((published.tenant_id, published.definition_id), [])
            current = versions[-1].version if versions else 0
            if current != published.version - 1:
                raise conflict(current)
            versions.append(published)
            self.audit.append(audit)


def publishing_problems(
    definition: WorkflowDefinition, *, allow_local: bool, resolve: Resolver = socket.getaddrinfo
) -> list[dict[str, str]]:
    """What the model cannot judge, each with its field path. A plugin's URL passes the
    webhook SSRF guard (`vet_webhook_url`), as the plugin worker checks it again per call."""
    problems: list[dict[str, str]] = []
    if any(d.id == definition.id for d in bundled_definitions()):
        problems.append(
            {
                "path": "definition.id",
                "message": f"`{definition.id}` is a bundled definition; publish under an id "
                "of your own",
            }
        )
    for i, plugin in enumerate(definition.plugins):
        if plugin.request is None:
            continue
        at = f"definition.plugins[{i}].request"
        templates = {"url": plugin.request.url} | {
            f"headers.{name}": value for name, value in plugin.request.headers.items()
        }
        for where, template in templates.items():
            for name in _SECRET_REFERENCE.findall(template):
                if not _SECRET_FIELD.match(name):
                    problems.append(
                        {
                            "path": f"{at}.{where}",
                            "message": f"`{{secret:{name}}}` must name a field of the tenant's "
                            "vendor secret (letters, digits, `_.-`)",
                        }
                    )
        url = plugin.request.url
        authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
        if _PLACEHOLDER.search(authority):
            message = "the host must be written out: placeholders fill the path and query only"
            problems.append({"path": f"{at}.url", "message": message})
            continue
        try:
            vet_webhook_url(_PLACEHOLDER.sub("x", url), allow_local=allow_local, resolve=resolve)
        except WebhookUrlRefused as exc:
            problems.append({"path": f"{at}.url", "message": f"refused: {exc}"})
    return problems


def publish_definition(
    store: DefinitionStore,
    machines: StateMachines,
    admin: Reviewer,
    definition: WorkflowDefinition,
    *,
    allow_local: bool,
    resolve: Resolver = socket.getaddrinfo,
    state_machine_prefix: str,
    role_arn: str,
    task_queue_url: str,
    plugin_queue_url: str,
    request_id: str | None,
) -> PublishedDefinition:
    """Publish `definition` as the tenant's next version of its id; its state machine is
    created first (named after the tenant, id and version, so a retry or a concurrent publisher
    of the same version meets it: 409)."""
    problems = publishing_problems(definition, allow_local=allow_local, resolve=resolve)
    if problems:
        raise InvalidRequest("the workflow definition cannot be published", details=problems)
    current = store.latest(admin.tenant_id, definition.id)
    current_version = current.version if current else 0
    if definition.version != current_version + 1:
        raise conflict(current_version)
    body = definition.as_json()
    published = WorkflowDefinition.published(admin.tenant_id, body)
    arn = machines.create_state_machine(
        f"{state_machine_prefix}{published.state_machine_name}",
        compile_to_asl(published, task_queue_url, plugin_queue_url),
        role_arn,
    )
    record = PublishedDefinition(
        tenant_id=admin.tenant_id,
        definition_id=definition.id,
        version=definition.version,
        definition=body,
        author_id=admin.id,
        author_name=admin.name,
        at=utc_now(),
        state_machine_arn=arn,
    )
    audit = admin_audit_record(
        admin,
        "workflow_definition.published",
        "workflowDefinition",
        definition.id,
        request_id=request_id,
        after=body,
        details={"version": definition.version, "stateMachineArn": arn},
        at=record.at,
    )
    store.save(record, audit)
    return record


def definition_document(
    store: DefinitionStore, tenant_id: str, definition_id: str, version: int | None
) -> WorkflowDefinitionDocument:
    """One version of a definition (the newest without `version`) as JSON, to start the next
    from: a bundled one, or one of the tenant's own (another tenant's is unknown: 404)."""
    definition = known_definition(definition_id, version, tenant_id=tenant_id)
    stored = (
        store.get_version(tenant_id, definition_id, definition.version)
        if definition.tenant_id is not None
        else None
    )
    return WorkflowDefinitionDocument(
        id=definition.id,
        version=definition.version,
        name=definition.name,
        source="bundled" if stored is None else "tenant",
        published_by=stored.author_name if stored else None,
        published_at=stored.at if stored else None,
        definition=stored.definition if stored else definition.as_json(),
    )


def ensure_state_machine(
    published: PublishedDefinition,
    machines: StateMachines,
    *,
    role_arn: str,
    task_queue_url: str,
    plugin_queue_url: str,
) -> bool:
    """Create the published version's state machine again if it is gone (the local stack's
    AWS keeps none across a restart; the reconciler's `state_machines` step): True if it was."""
    if machines.state_machine_exists(published.state_machine_arn):
        return False
    definition = published.workflow_definition()
    machines.create_state_machine(
        published.state_machine_arn.rsplit(":", 1)[-1],
        compile_to_asl(definition, task_queue_url, plugin_queue_url),
        role_arn,
    )
    return True
