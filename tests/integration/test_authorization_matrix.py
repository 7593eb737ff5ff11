"""The authorization matrix: every route of the app, called by every kind of caller.

Callers: nobody (no credentials), a forged reviewer token (RS256, signed by a key the user pool
never had, kid "dummy"), the integrator API keys of tenant demo and of tenant acme, and the
reviewers of tenant demo by role (`admin`; `assignee`: a reviewer the case is assigned to;
`reviewer`: a reviewer it is not assigned to; `viewer`) plus acme's admin using demo's ids.

The rules (issue 3, docs/api.md): integrator routes take API keys and refuse tokens; back-office
routes take ID tokens and refuse API keys; a `viewer` reads only; a `reviewer` changes only the
cases assigned to them (claiming an unassigned case aside; notes are open to every writer); an
`admin` does everything in the tenant (webhooks are admin-only); another tenant's ids are 404.

The routes come from `app.routes`: a route without an entry in `EXPECT` fails. Every answer is
also checked against the OpenAPI document (`Contract.call`), so each status met here is a
documented one, with the documented body.

The permission matrix (issue 16) follows: generated from the catalogue and each reviewer
route's declared permissions (`auth.permissions`), it calls every route as a user whose custom
role holds every permission but the route's (refused, 403 naming it) and as one whose custom
role holds only the route's (not refused for it).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt
import pytest
from chalice.test import Client

from app import app
from chalicelib.handlers.operations import operation_at
from chalicelib.models.permissions import PERMISSIONS
from chalicelib.openapi import route_keys
from local.provision import LocalProvisioner
from tests.conftest import poll
from tests.integration.conftest import running_pipeline, settle_ingest
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_openapi_contract import Contract, forged_token, webhook_receiver

EXTERNAL = "/api/v1/external"
BACKOFFICE = "/api/v1/backoffice"
CASE = f"{BACKOFFICE}/cases/{{case_id}}"
WEBHOOKS = f"{BACKOFFICE}/webhooks"
ROLES = f"{BACKOFFICE}/roles"
USERS = f"{BACKOFFICE}/users"
VIEWS = f"{BACKOFFICE}/views"
NEW_PASSWORD = "N3w-passw0rd!matrix"

Family = Literal["integrator", "reviewer", "public", "customer", "vendor"]
ACCOUNTS = {
    "admin": "admin@demo.test",
    "assignee": "alice@demo.test",
    "reviewer": "bob@demo.test",
    "viewer": "viewer@demo.test",
    "other_tenant": "admin@acme.test",
}
API_KEYS = {"integrator": "secret", "other_integrator": "acme-secret"}
ACTORS = ("anonymous", "forged", *API_KEYS, *ACCOUNTS)
_entity_ids = itertools.count()


@dataclass(frozen=True)
class Call:
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    query: str = ""


class World:
    """Tenant demo with cases assigned to alice, its reviewers signed in, and (on demand) a
    webhook subscription and a finished delivery. Fresh cases for the calls that change one."""

    def __init__(self, contract: Contract, aws: LocalProvisioner) -> None:
        self.contract = contract
        self._aws = aws
        self._cleanup = ExitStack()
        self.sessions = {actor: contract.login(email) for actor, email in ACCOUNTS.items()}
        self.ids = {actor: session["user"]["id"] for actor, session in self.sessions.items()}
        claims = jwt.decode(self.sessions["admin"]["idToken"], options={"verify_signature": False})
        self.forged = forged_token(claims)
        self._shared: dict[str, Any] | None = None
        self._subscription: str | None = None
        self._delivery: str | None = None
        self._receiver: str | None = None
        self._holders: dict[frozenset[str], str] = {}

    def close(self) -> None:
        self._cleanup.close()

    def credential(self, actor: str) -> str | None:
        if actor == "anonymous":
            return None
        if actor == "forged":
            return self.forged
        if actor in API_KEYS:
            return API_KEYS[actor]
        return self.sessions[actor]["idToken"]

    def token(self, actor: str) -> str:
        return self.sessions[actor]["idToken"]

    # -- cases -----------------------------------------------------------------------------
    def new_case(self) -> dict[str, Any]:
        """A new active case of tenant demo, assigned to alice: its case view."""
        c = self.contract
        run = individual_run(f"matrix-{next(_entity_ids)}")
        case_id = c.json(c.call("POST", f"{EXTERNAL}/workflows/run", auth="secret", body=run), 201)[
            "workflowRuntimeId"
        ]
        settle_ingest("demo", case_id)
        view = c.json(c.call("GET", CASE, auth=self.token("admin"), case_id=case_id), 200)
        claim = {"assigneeId": self.ids["assignee"], "expectedVersion": view["version"]}
        return c.json(
            c.call("PUT", CASE + "/assignee", auth=self.token("assignee"), body=claim, **_id(view)),
            200,
        )

    def case(self, fresh: bool) -> dict[str, Any]:
        """A fresh case for a call expected to change it; the shared one otherwise, as it is
        now (notes and refused calls leave it alone, but its version is read again anyway so a
        refusal is never a version conflict in disguise)."""
        if fresh:
            return self.new_case()
        if self._shared is None:
            self._shared = self.new_case()
        else:
            c = self.contract
            self._shared = c.json(
                c.call("GET", CASE, auth=self.token("admin"), **_id(self._shared)), 200
            )
        return self._shared

    def case_in_revision(self) -> dict[str, Any]:
        """A case waiting for the customer's re-upload (the integrator's `resubmitted`)."""
        view = self.new_case()
        c = self.contract
        body = {
            "decision": "revision",
            "reason": "blurry_or_unreadable",
            "expectedVersion": view["version"],
        }
        decided = c.call(
            "POST",
            CASE + "/documents/{document_id}/decision",
            auth=self.token("assignee"),
            body=body,
            case_id=view["id"],
            document_id=view["documents"][0]["id"],
        )
        marked = c.json(decided, 200)
        sent = c.call(
            "POST",
            CASE + "/decision",
            auth=self.token("assignee"),
            body={**body, "expectedVersion": marked["version"]},
            case_id=view["id"],
        )
        assert c.json(sent, 200)["state"] == "revision"
        return view

    # -- tenant administration ---------------------------------------------------------------
    def new_role(self, permissions: list[str] | None = None) -> dict[str, Any]:
        """A custom role of tenant demo, made by its admin."""
        c = self.contract
        body = {
            "id": f"matrix-{next(_entity_ids)}",
            "name": "Matrix role",
            "permissions": ["cases.read"] if permissions is None else permissions,
        }
        return c.json(c.call("POST", ROLES, auth=self.token("admin"), body=body), 201)  # type: ignore[no-any-return]

    def new_shared_view(self) -> dict[str, Any]:
        """A view of tenant demo shared by its admin (changing it needs `views.share`)."""
        c = self.contract
        body = {"name": f"matrix-{next(_entity_ids)}", "shared": True}
        return c.json(c.call("POST", VIEWS, auth=self.token("admin"), body=body), 201)  # type: ignore[no-any-return]

    def invited(self, roles: list[str]) -> dict[str, Any]:
        """A user of tenant demo invited by its admin: the invitation's answer."""
        c = self.contract
        body = {"email": f"matrix-{next(_entity_ids)}@demo.test", "name": "Invitee", "roles": roles}
        return c.json(c.call("POST", USERS, auth=self.token("admin"), body=body), 201)  # type: ignore[no-any-return]

    def user_holding(self, permissions: frozenset[str]) -> str:
        """The ID token of a user whose one custom role holds exactly `permissions`."""
        if permissions not in self._holders:
            role = self.new_role(sorted(permissions))
            invited = self.invited([role["id"]])
            c = self.contract
            body = {
                "email": invited["user"]["email"],
                "temporaryPassword": invited["temporaryPassword"],
                "newPassword": NEW_PASSWORD,
            }
            session = c.json(c.call("POST", "/api/v1/auth/new-password", body=body), 200)
            self._holders[permissions] = session["idToken"]
        return self._holders[permissions]

    # -- webhooks ----------------------------------------------------------------------------
    def subscription(self, fresh: bool) -> str:
        if fresh or self._subscription is None:
            created = self.contract.call(
                "POST",
                WEBHOOKS,
                auth=self.token("admin"),
                body={"url": self.receiver_url(), "events": ["case.note_added"]},
            )
            subscription_id = self.contract.json(created, 201)["id"]
            if fresh:
                return subscription_id
            self._subscription = subscription_id
        return self._subscription

    def start_pipeline(self) -> None:
        """The event flow (local pump), until the world closes: from the start, so the
        deliveries some calls need are not queued behind every earlier test's events."""
        self._cleanup.enter_context(running_pipeline(self._aws))

    def receiver_url(self) -> str:
        if self._receiver is None:
            self._receiver = self._cleanup.enter_context(webhook_receiver())
        return self._receiver

    def delivery(self) -> str:
        """A finished (delivered) webhook delivery of tenant demo: needs the event pipeline."""
        if self._delivery is None:
            self.subscription(fresh=False)
            c = self.contract
            note = c.call(
                "POST",
                CASE + "/notes",
                auth=self.token("assignee"),
                body={"text": "for the webhook"},
                **_id(self.case(fresh=False)),
            )
            c.json(note, 201)

            # Any delivered delivery of the tenant: earlier calls may have subscribed the same
            # receiver, and one event is sent once per receiver URL.
            def delivered() -> list[str]:
                page = c.json(
                    c.call("GET", WEBHOOKS + "/deliveries", auth=self.token("admin")), 200
                )
                return [d["id"] for d in page["data"] if d["status"] == "delivered"]

            self._delivery = poll(delivered)[0]
        return self._delivery


def _id(view: dict[str, Any]) -> dict[str, str]:
    return {"case_id": view["id"]}


# How a route is called by `actor`; `fresh` when the call is expected to succeed (and so to
# change what it acts on).
Prepare = Callable[[World, str, bool], Call]


def nothing(world: World, actor: str, fresh: bool) -> Call:
    return Call()


@dataclass(frozen=True)
class Expect:
    """Expected statuses: `answers` for the callers of the route's family (the role table);
    the other callers are refused with 401 (see `status_for`)."""

    family: Family
    answers: dict[str, int]
    prepare: Prepare
    # An error code other than the status's usual one (e.g. four-eyes' `self_approval`).
    codes: dict[str, str] = field(default_factory=dict)

    def status_for(self, actor: str) -> int:
        if self.family == "public":
            return self.answers["any"]
        if actor in self.answers:
            return self.answers[actor]
        return 401


def integrator(ours: int, theirs: int, prepare: Prepare = nothing) -> Expect:
    """`ours`: tenant demo's key; `theirs`: acme's key (demo's ids are 404 to it)."""
    return Expect("integrator", {"integrator": ours, "other_integrator": theirs}, prepare)


def reviewer(
    admin: int,
    assignee: int,
    other: int,
    viewer: int,
    other_tenant: int,
    prepare: Prepare = nothing,
    codes: dict[str, str] | None = None,
) -> Expect:
    answers = {
        "admin": admin,
        "assignee": assignee,
        "reviewer": other,
        "viewer": viewer,
        "other_tenant": other_tenant,
    }
    return Expect("reviewer", answers, prepare, codes or {})


def public(status: int, prepare: Prepare = nothing) -> Expect:
    return Expect("public", {"any": status}, prepare)


def customer(prepare: Prepare) -> Expect:
    """The customer's routes take only a collection link's token, which no caller here holds:
    every caller is refused (the token routes' own tests are in test_collection_api.py)."""
    return Expect("customer", {}, prepare)


def vendor(prepare: Prepare) -> Expect:
    """A vendor's callback takes only the vendor's signature, which no caller here holds:
    every caller is refused (the callback's own tests are in test_plugins_pipeline.py)."""
    return Expect("vendor", {}, prepare)


# -- how each route is called ----------------------------------------------------------------
def shared_case(world: World, actor: str, fresh: bool) -> Call:
    return Call(_id(world.case(fresh=False)))


def hook_call(world: World, actor: str, fresh: bool) -> Call:
    return Call({**_id(world.case(fresh=False)), "event": "sanctions"}, body={"risk": "low"})


def run_call(world: World, actor: str, fresh: bool) -> Call:
    return Call(body=individual_run(f"matrix-{next(_entity_ids)}"))


def event_call(world: World, actor: str, fresh: bool) -> Call:
    view = world.case_in_revision() if fresh else world.case(fresh=False)
    return Call(_id(view), body={"name": "resubmitted"})


def assignee_call(world: World, actor: str, fresh: bool) -> Call:
    """Each caller takes the case for themselves; alice, its assignee, lets go of it."""
    view = world.case(fresh)
    me = None if actor == "assignee" else world.ids.get(actor, world.ids["admin"])
    return Call(_id(view), body={"assigneeId": me, "expectedVersion": view["version"]})


def revision_case(world: World, fresh: bool) -> dict[str, Any]:
    """A case with an open collection round (fresh) or the shared case, as it is now."""
    if not fresh:
        return world.case(fresh=False)
    c = world.contract
    view = world.case_in_revision()
    return c.json(c.call("GET", CASE, auth=world.token("admin"), **_id(view)), 200)  # type: ignore[no-any-return]


def renew_link_call(world: World, actor: str, fresh: bool) -> Call:
    view = revision_case(world, fresh)
    return Call(_id(view), body={"expectedVersion": view["version"]})


def integrator_link_call(world: World, actor: str, fresh: bool) -> Call:
    return Call(_id(revision_case(world, fresh)), body={})


def message_call(world: World, actor: str, fresh: bool) -> Call:
    return Call(_id(world.case(fresh=False)), body={"text": f"a message by {actor}"})


def forged_link(world: World, actor: str, fresh: bool) -> Call:
    return Call({"token": "not-a-collection-token"}, body={})


def plugin_call(world: World, actor: str, fresh: bool) -> Call:
    # The bundled KYC screens on ingest: a re-run is queued for the worker (202), which then
    # records a new result version: a fresh case, so the shared one's version stays put.
    return Call({**_id(world.case(fresh)), "plugin": "sanctions"})


def hit_call(world: World, actor: str, fresh: bool) -> Call:
    """A hit of a fresh case for a name on the bundled sanctions list, assigned to alice."""
    c = world.contract
    run = individual_run(f"matrix-{next(_entity_ids)}")
    run["context"]["entity"]["data"] = {"firstName": "Vladimir", "lastName": "Putin"}
    case_id = c.json(c.call("POST", f"{EXTERNAL}/workflows/run", auth="secret", body=run), 201)[
        "workflowRuntimeId"
    ]
    settle_ingest("demo", case_id)
    view = c.json(c.call("GET", CASE, auth=world.token("admin"), case_id=case_id), 200)
    claim = {"assigneeId": world.ids["assignee"], "expectedVersion": view["version"]}
    view = c.json(
        c.call("PUT", CASE + "/assignee", auth=world.token("assignee"), body=claim, **_id(view)),
        200,
    )
    (screening,) = [r for r in view["pluginResults"] if r["plugin"] == "sanctions"]
    body = {"status": "dismissed", "reason": "another person", "expectedVersion": view["version"]}
    return Call(
        {**_id(view), "plugin": "sanctions", "hit_id": screening["hits"][0]["id"]}, body=body
    )


def note_call(world: World, actor: str, fresh: bool) -> Call:
    return Call(_id(world.case(fresh=False)), body={"text": f"a note by {actor}"})


def case_decision_call(world: World, actor: str, fresh: bool) -> Call:
    view = world.case(fresh)
    c = world.contract
    for document in view["documents"]:  # so that the case meets its acceptance criteria
        body = {"decision": "approve", "expectedVersion": view["version"]}
        view = c.json(
            c.call(
                "POST",
                CASE + "/documents/{document_id}/decision",
                auth=world.token("admin"),
                body=body,
                **_id(view),
                document_id=document["id"],
            ),
            200,
        )
    return Call(_id(view), body={"decision": "approve", "expectedVersion": view["version"]})


def pending_approval_call(world: World, actor: str, fresh: bool) -> Call:
    """A case alice (its assignee) approved whose risk score needs four eyes: the approval
    awaits a second one, which a checker may return."""
    c = world.contract
    run = individual_run(f"matrix-{next(_entity_ids)}")
    run["context"]["customData"] = {"riskScore": 90}
    case_id = c.json(c.call("POST", f"{EXTERNAL}/workflows/run", auth="secret", body=run), 201)[
        "workflowRuntimeId"
    ]
    settle_ingest("demo", case_id)
    alice = world.token("assignee")
    view = c.json(c.call("GET", CASE, auth=alice, case_id=case_id), 200)
    claim = {"assigneeId": world.ids["assignee"], "expectedVersion": view["version"]}
    view = c.json(c.call("PUT", CASE + "/assignee", auth=alice, body=claim, **_id(view)), 200)
    for document in view["documents"]:
        body = {"decision": "approve", "expectedVersion": view["version"]}
        path = CASE + "/documents/{document_id}/decision"
        view = c.json(
            c.call("POST", path, auth=alice, body=body, **_id(view), document_id=document["id"]),
            200,
        )
    body = {"decision": "approve", "expectedVersion": view["version"]}
    view = c.json(c.call("POST", CASE + "/decision", auth=alice, body=body, **_id(view)), 200)
    assert view["pendingApproval"] is not None
    return Call(_id(view), body={"comment": "look again", "expectedVersion": view["version"]})


def document_decision_call(world: World, actor: str, fresh: bool) -> Call:
    view = world.case(fresh)
    return Call(
        {"case_id": view["id"], "document_id": view["documents"][0]["id"]},
        body={"decision": "approve", "expectedVersion": view["version"]},
    )


def role_body(world: World, actor: str, fresh: bool) -> Call:
    return Call(body={"id": f"matrix-{next(_entity_ids)}", "name": "R", "permissions": []})


def role_call(world: World, actor: str, fresh: bool) -> Call:
    """A new custom role of tenant demo, to change."""
    role = world.new_role()
    body = {"name": "Changed", "permissions": ["cases.read"], "expectedVersion": role["version"]}
    return Call({"role_id": role["id"]}, body=body)


def role_delete_call(world: World, actor: str, fresh: bool) -> Call:
    role = world.new_role()
    return Call({"role_id": role["id"]}, query=f"expectedVersion={role['version']}")


def view_body(world: World, actor: str, fresh: bool) -> Call:
    return Call(body={"name": f"mine {actor}", "filters": {"assignee": "me"}})


def view_call(world: World, actor: str, fresh: bool) -> Call:
    view = world.new_shared_view()
    body = {"name": "Changed", "shared": True, "expectedVersion": view["version"]}
    return Call({"view_id": view["id"]}, body=body)


def view_delete_call(world: World, actor: str, fresh: bool) -> Call:
    view = world.new_shared_view()
    return Call({"view_id": view["id"]}, query=f"expectedVersion={view['version']}")


def layout_call(world: World, actor: str, fresh: bool) -> Call:
    """A rollback to the bundled layout saved as the caller's tenant's first or next version."""
    c = world.contract
    path = f"{BACKOFFICE}/layouts/{{workflow_definition_id}}"
    params = {"workflow_definition_id": "kyc-manual-review"}
    current = c.json(c.call("GET", path, auth=world.token(actor_or_admin(actor)), **params), 200)
    body = {"layout": current["layout"], "expectedVersion": current["version"]}
    return Call(params, body=body)


def definition_call(world: World, actor: str, fresh: bool) -> Call:
    """Version 1 of a definition of the caller's tenant's own (a new id each call)."""
    definition = {
        "id": f"matrix-{next(_entity_ids)}",
        "version": 1,
        "name": "Matrix",
        "initialState": "review",
        "states": {"review": {"on": {"approve": "done"}}, "done": {"type": "final"}},
        "events": {"approve": {"source": "reviewer", "decision": "approve"}},
    }
    return Call(body={"definition": definition})


def published_definition_call(world: World, actor: str, fresh: bool) -> Call:
    """A definition demo's admin published (acme's admin knows no such id)."""
    c = world.contract
    published = definition_call(world, "admin", fresh)
    path = f"{BACKOFFICE}/workflow-definitions"
    c.json(c.call("POST", path, auth=world.token("admin"), body=published.body), 201)
    return Call({"workflow_definition_id": published.body["definition"]["id"]}, query="version=1")


def actor_or_admin(actor: str) -> str:
    return actor if actor in ACCOUNTS else "admin"


def invite_body(world: World, actor: str, fresh: bool) -> Call:
    email = f"matrix-{next(_entity_ids)}@{'demo' if actor != 'other_tenant' else 'acme'}.test"
    return Call(body={"email": email, "name": "Invitee", "roles": ["viewer"]})


def user_call(world: World, actor: str, fresh: bool) -> Call:
    user = world.invited(["viewer"])["user"]
    body = {"roles": ["viewer"], "active": False, "expectedVersion": user["version"]}
    return Call({"user_id": user["id"]}, body=body)


def new_password_call(world: World, actor: str, fresh: bool) -> Call:
    invited = world.invited(["viewer"])
    return Call(
        body={
            "email": invited["user"]["email"],
            "temporaryPassword": invited["temporaryPassword"],
            "newPassword": NEW_PASSWORD,
        }
    )


def login_call(world: World, actor: str, fresh: bool) -> Call:
    from local.environment import REVIEWER_PASSWORD

    return Call(body={"email": ACCOUNTS["assignee"], "password": REVIEWER_PASSWORD})


def refresh_call(world: World, actor: str, fresh: bool) -> Call:
    """A session of its own: the module's sessions may have signed out (the logout route)."""
    session = world.contract.login(ACCOUNTS["assignee"])
    return Call(body={"refreshToken": session["refreshToken"]})


def sla_settings_call(world: World, actor: str, fresh: bool) -> Call:
    return Call(body={"workflows": {"kyc-manual-review": {"manual_review": 86400}}})


def create_subscription_call(world: World, actor: str, fresh: bool) -> Call:
    return Call(body={"url": world.receiver_url()})


def subscription_call(world: World, actor: str, fresh: bool) -> Call:
    return Call({"subscription_id": world.subscription(fresh)})


def delivery_call(world: World, actor: str, fresh: bool) -> Call:
    return Call({"delivery_id": world.delivery()})


READ_CASE = {"admin": 200, "assignee": 200, "other": 200, "viewer": 200, "other_tenant": 404}
READ_TENANT = {"admin": 200, "assignee": 200, "other": 200, "viewer": 200, "other_tenant": 200}
CHANGE_CASE = {"admin": 200, "assignee": 200, "other": 403, "viewer": 403, "other_tenant": 404}

EXPECT: dict[tuple[str, str], Expect] = {
    # Integrators: API keys only; another tenant's case ids are 404.
    ("POST", f"{EXTERNAL}/workflows/run"): integrator(201, 201, run_call),
    ("GET", f"{EXTERNAL}/workflows"): integrator(200, 200),
    ("GET", f"{EXTERNAL}/workflows/{{case_id}}"): integrator(200, 404, shared_case),
    ("GET", f"{EXTERNAL}/workflows/{{case_id}}/context"): integrator(200, 404, shared_case),
    ("POST", f"{EXTERNAL}/workflows/{{case_id}}/event"): integrator(200, 404, event_call),
    ("POST", f"{EXTERNAL}/workflows/{{case_id}}/collection-link"): integrator(
        201, 404, integrator_link_call
    ),
    # The customer: a collection link's token only.
    ("POST", f"{EXTERNAL}/workflows/{{case_id}}/hook/{{event}}"): vendor(hook_call),
    ("GET", "/api/v1/collect/{token}"): customer(forged_link),
    ("POST", "/api/v1/collect/{token}/uploads"): customer(forged_link),
    ("POST", "/api/v1/collect/{token}/submit"): customer(forged_link),
    ("GET", "/api/v1/collect/{token}/messages"): customer(forged_link),
    ("POST", "/api/v1/collect/{token}/messages"): customer(forged_link),
    # Collection rounds and messages: renewing a link changes the case's review (its assignee
    # or an admin); messages are written by anyone holding messages.write.
    ("POST", f"{CASE}/collection-link"): reviewer(200, 200, 403, 403, 404, renew_link_call),
    ("GET", f"{CASE}/messages"): reviewer(200, 200, 200, 200, 404, shared_case),
    ("POST", f"{CASE}/messages"): reviewer(201, 201, 201, 403, 404, message_call),
    ("GET", f"{EXTERNAL}/workflow-definitions"): integrator(200, 200),
    # Sign-in is public; `me` needs an ID token of any role.
    ("POST", "/api/v1/auth/login"): public(200, login_call),
    ("POST", "/api/v1/auth/refresh"): public(200, refresh_call),
    ("POST", "/api/v1/auth/new-password"): public(200, new_password_call),
    ("GET", "/api/v1/auth/me"): reviewer(**READ_TENANT),
    # Sign-out: any signed-in reviewer, for themselves (the matrix's sessions sign in anew).
    ("POST", "/api/v1/auth/logout"): reviewer(
        **{actor: 204 for actor in ("admin", "assignee", "other", "viewer", "other_tenant")}
    ),
    ("GET", "/api/v1/openapi.json"): public(200),
    # The back office.
    ("GET", f"{BACKOFFICE}/cases"): reviewer(**READ_TENANT),
    ("GET", CASE): reviewer(**READ_CASE, prepare=shared_case),
    ("PUT", f"{CASE}/assignee"): reviewer(**CHANGE_CASE, prepare=assignee_call),
    ("GET", f"{CASE}/notes"): reviewer(**READ_CASE, prepare=shared_case),
    # Notes are open to every writer of the tenant (`permissions.canAddNote`), not only the
    # assignee: a note changes no decision.
    ("POST", f"{CASE}/notes"): reviewer(201, 201, 201, 403, 404, note_call),
    # Plugins: re-running one and judging a screening hit change the case's review.
    ("POST", f"{CASE}/plugins/{{plugin}}/run"): reviewer(202, 202, 403, 403, 404, plugin_call),
    ("POST", f"{CASE}/plugins/{{plugin}}/hits/{{hit_id}}/resolution"): reviewer(
        200, 200, 403, 403, 404, hit_call
    ),
    ("GET", f"{CASE}/audit"): reviewer(**READ_CASE, prepare=shared_case),
    # The assignee picker: any reader of the tenant.
    ("GET", f"{BACKOFFICE}/assignees"): reviewer(**READ_TENANT),
    # Tenant administration: users.manage / roles.manage (admins here); acme's admin sees acme's
    # lists and none of demo's ids.
    ("GET", f"{BACKOFFICE}/permissions"): reviewer(200, 403, 403, 403, 200),
    ("GET", ROLES): reviewer(200, 403, 403, 403, 200),
    ("POST", ROLES): reviewer(201, 403, 403, 403, 201, role_body),
    ("PUT", f"{ROLES}/{{role_id}}"): reviewer(200, 403, 403, 403, 404, role_call),
    ("DELETE", f"{ROLES}/{{role_id}}"): reviewer(204, 403, 403, 403, 404, role_delete_call),
    ("GET", USERS): reviewer(200, 403, 403, 403, 200),
    ("POST", USERS): reviewer(201, 403, 403, 403, 201, invite_body),
    ("PUT", f"{USERS}/{{user_id}}"): reviewer(200, 403, 403, 403, 404, user_call),
    ("GET", f"{BACKOFFICE}/admin-audit"): reviewer(200, 403, 403, 403, 200),
    ("POST", f"{CASE}/decision"): reviewer(**CHANGE_CASE, prepare=case_decision_call),
    ("POST", f"{CASE}/documents/{{document_id}}/decision"): reviewer(
        **CHANGE_CASE, prepare=document_decision_call
    ),
    # Four-eyes: a checker (`cases.approve_second`), never the approval's maker (alice here).
    ("POST", f"{CASE}/pending-approval/return"): reviewer(
        200, 403, 403, 403, 404, pending_approval_call, codes={"assignee": "self_approval"}
    ),
    ("GET", f"{BACKOFFICE}/reason-codes"): reviewer(**READ_TENANT),
    ("GET", f"{BACKOFFICE}/workflow-definitions"): reviewer(**READ_TENANT),
    # Analytics: `analytics.read` (admins); acme's admin sees acme's own numbers.
    **{
        ("GET", f"{BACKOFFICE}/analytics/{table}"): reviewer(200, 403, 403, 403, 200)
        for table in ("summary", "daily", "reviewers", "export.csv")
    },
    # Settings: `settings.manage` (admins), each tenant its own.
    ("GET", f"{BACKOFFICE}/settings/sla"): reviewer(200, 403, 403, 403, 200),
    ("PUT", f"{BACKOFFICE}/settings/sla"): reviewer(200, 403, 403, 403, 200, sla_settings_call),
    # Saved views: any reader saves personal ones; a shared one is changed with `views.share`
    # (admins here); acme's admin sees none of demo's.
    ("GET", VIEWS): reviewer(**READ_TENANT),
    ("POST", VIEWS): reviewer(201, 201, 201, 201, 201, view_body),
    ("PUT", f"{VIEWS}/{{view_id}}"): reviewer(200, 403, 403, 403, 404, view_call),
    ("DELETE", f"{VIEWS}/{{view_id}}"): reviewer(204, 403, 403, 403, 404, view_delete_call),
    # Case layouts: read by any reader, saved with `layouts.manage` (admins), each tenant its own.
    ("GET", f"{BACKOFFICE}/layouts/{{workflow_definition_id}}"): reviewer(
        **READ_TENANT,
        prepare=lambda world, actor, fresh: Call({"workflow_definition_id": "kyb-manual-review"}),
    ),
    ("PUT", f"{BACKOFFICE}/layouts/{{workflow_definition_id}}"): reviewer(
        200, 403, 403, 403, 200, layout_call
    ),
    # Published workflow definitions: `definitions.manage` (admins), each tenant its own.
    ("POST", f"{BACKOFFICE}/workflow-definitions"): reviewer(
        201, 403, 403, 403, 201, definition_call
    ),
    ("GET", f"{BACKOFFICE}/workflow-definitions/{{workflow_definition_id}}"): reviewer(
        200, 403, 403, 403, 404, published_definition_call
    ),
    # Webhooks: admins only; acme's admin sees acme's (empty) lists and none of demo's ids.
    ("GET", WEBHOOKS): reviewer(200, 403, 403, 403, 200),
    ("POST", WEBHOOKS): reviewer(201, 403, 403, 403, 201, create_subscription_call),
    ("DELETE", f"{WEBHOOKS}/{{subscription_id}}"): reviewer(
        204, 403, 403, 403, 404, subscription_call
    ),
    ("POST", f"{WEBHOOKS}/{{subscription_id}}/rotate-secret"): reviewer(
        200, 403, 403, 403, 404, subscription_call
    ),
    # The tenant's own per-run signing secret: each admin reaches only its own tenant's.
    ("GET", f"{WEBHOOKS}/signing-secret"): reviewer(200, 403, 403, 403, 200),
    ("POST", f"{WEBHOOKS}/signing-secret/reveal"): reviewer(200, 403, 403, 403, 200),
    ("POST", f"{WEBHOOKS}/signing-secret/rotate"): reviewer(200, 403, 403, 403, 200),
    ("GET", f"{WEBHOOKS}/deliveries"): reviewer(200, 403, 403, 403, 200),
    ("GET", f"{WEBHOOKS}/deliveries/{{delivery_id}}"): reviewer(
        200, 403, 403, 403, 404, delivery_call
    ),
    ("POST", f"{WEBHOOKS}/deliveries/{{delivery_id}}/redeliver"): reviewer(
        202, 403, 403, 403, 404, delivery_call
    ),
}

ROUTES = sorted(route_keys(app.routes), key=lambda key: (key[1], key[0]))


# One world for the module: provisioning moto per call would be most of the matrix's time, and
# every call that changes something is given a fresh case, role, user or subscription.
@pytest.fixture(scope="module")
def contract(module_aws: LocalProvisioner) -> Iterator[Contract]:
    with Client(app, stage_name="dev") as client:
        document = json.loads(client.http.get("/api/v1/openapi.json").body)
        yield Contract(client, document)


@pytest.fixture(scope="module")
def world(contract: Contract, module_aws: LocalProvisioner) -> Iterator[World]:
    built = World(contract, module_aws)
    built.start_pipeline()
    yield built
    built.close()


def test_every_expectation_names_a_route_of_the_app() -> None:
    assert sorted(EXPECT.keys() - set(ROUTES)) == []


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_authorization_matrix(route: tuple[str, str], world: World) -> None:
    expect = EXPECT.get(route)
    assert expect is not None, f"{route}: add the route's expected answers to EXPECT"
    assert operation_at(app.routes, *route).auth.kind == expect.family, "the auth kind disagrees"
    method, path = route
    mismatches = []
    for actor in ACTORS:
        want = expect.status_for(actor)
        call = expect.prepare(world, actor, 200 <= want < 300)
        response = world.contract.call(
            method,
            path,
            auth=world.credential(actor),
            body=call.body,
            query=call.query,
            **call.params,
        )
        if response.status_code != want:
            mismatches.append(f"{actor}: expected {want}, got {response.status_code}")
        elif want >= 400:
            code = json.loads(response.body)["error"]["code"]
            usual = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[want]
            expected_code = expect.codes.get(actor, usual)
            if code != expected_code:
                mismatches.append(f"{actor}: expected `{expected_code}`, got `{code}`")
    assert not mismatches, f"{method} {path}:\n  " + "\n  ".join(mismatches)


def test_a_reviewer_claims_only_an_unassigned_case(world: World) -> None:
    """The one change a reviewer makes to a case that is not theirs."""
    c = world.contract
    bob = world.token("reviewer")
    unassigned = c.json(
        c.call(
            "POST",
            f"{EXTERNAL}/workflows/run",
            auth="secret",
            body=individual_run(f"matrix-{next(_entity_ids)}"),
        ),
        201,
    )["workflowRuntimeId"]
    settle_ingest("demo", unassigned)
    view = c.json(c.call("GET", CASE, auth=bob, case_id=unassigned), 200)
    claim = {"assigneeId": world.ids["reviewer"], "expectedVersion": view["version"]}
    claimed = c.call("PUT", CASE + "/assignee", auth=bob, body=claim, case_id=unassigned)
    assert c.json(claimed, 200)["assignee"]["id"] == world.ids["reviewer"]
    # ...but not for someone else, and not a case assigned to alice.
    theirs = world.case(fresh=True)
    steal = {"assigneeId": world.ids["reviewer"], "expectedVersion": theirs["version"]}
    c.json(c.call("PUT", CASE + "/assignee", auth=bob, body=steal, **_id(theirs)), 403)
    view = c.json(c.call("GET", CASE, auth=bob, case_id=unassigned), 200)
    give = {"assigneeId": world.ids["assignee"], "expectedVersion": view["version"]}
    c.json(c.call("PUT", CASE + "/assignee", auth=bob, body=give, case_id=unassigned), 403)


# -- the permission matrix ------------------------------------------------------------------
REVIEWER_ROUTES = [
    route for route in ROUTES if operation_at(app.routes, *route).auth.kind == "reviewer"
]
# Routes open to any signed-in user, whatever their roles: their own session and profile.
ANY_SIGNED_IN = {("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/logout")}


def route_permissions(route: tuple[str, str]) -> tuple[str, ...]:
    return operation_at(app.routes, *route).auth.permissions


def test_every_reviewer_route_checks_a_permission_of_the_catalogue() -> None:
    for route in REVIEWER_ROUTES:
        permissions = route_permissions(route)
        if route in ANY_SIGNED_IN:
            assert permissions == (), route
        else:
            assert permissions, f"{route}: declare the permission it needs"
            assert set(permissions) <= set(PERMISSIONS), route


def _refused_for(response: Any, permissions: tuple[str, ...]) -> bool:
    """A 403 from the route's own check (naming the permissions it needs)."""
    if response.status_code != 403:
        return False
    details = json.loads(response.body)["error"].get("details")
    wanted = (
        {"permission": permissions[0]}
        if len(permissions) == 1
        else {"permissions": list(permissions)}
    )
    return bool(details == wanted)


CHECKED_ROUTES = [route for route in REVIEWER_ROUTES if route not in ANY_SIGNED_IN]


@pytest.mark.parametrize("route", CHECKED_ROUTES, ids=[f"{m} {p}" for m, p in CHECKED_ROUTES])
def test_permission_matrix(route: tuple[str, str], world: World) -> None:
    """A custom role lacking the route's permission is refused; one holding it is not."""
    permissions = route_permissions(route)
    method, path = route
    expect = EXPECT[route]
    lacking = world.user_holding(frozenset(PERMISSIONS) - set(permissions))
    holding = world.user_holding(frozenset(permissions[:1]))
    for token, refused in ((lacking, True), (holding, False)):
        call = expect.prepare(world, "admin", not refused)
        response = world.contract.call(
            method, path, auth=token, body=call.body, query=call.query, **call.params
        )
        assert _refused_for(response, permissions) is refused, (
            f"{method} {path} ({'without' if refused else 'with only'} {permissions}): "
            f"{response.status_code} {response.body[:300]!r}"
        )
