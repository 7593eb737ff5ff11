"""Tenant administration (issue 16, items 4-5): custom roles, users, the grant ceiling, the
first-login password step, deactivation and the admin trail."""

from __future__ import annotations

import itertools
import json
from typing import Any

import boto3
import pytest

from tests.conftest import poll
from tests.integration.conftest import Api, observe_domain_events
from tests.integration.test_backoffice_api import CASES, Reviewers, as_user, claim, ingest
from tests.integration.test_ingestion_api import individual_run

__all__ = ["as_user"]  # the fixture, used by name

BO = "/api/v1/backoffice"
NEW_PASSWORD = "N3w-passw0rd!long"
_people = itertools.count()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.body
    return response.json_body


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    return response.json_body["error"]  # type: ignore[no-any-return]


def invite(admin: Api, roles: list[str], name: str = "Invited") -> dict[str, Any]:
    email = f"invited-{next(_people)}@demo.test"
    answer = ok(admin.post(f"{BO}/users", {"email": email, "name": name, "roles": roles}), 201)
    assert answer["user"]["email"] == email and answer["temporaryPassword"]
    return answer  # type: ignore[no-any-return]


def first_sign_in(api: Api, invited: dict[str, Any]) -> Api:
    body = {
        "email": invited["user"]["email"],
        "temporaryPassword": invited["temporaryPassword"],
        "newPassword": NEW_PASSWORD,
    }
    session = ok(api.as_tenant(None).post("/api/v1/auth/new-password", body))
    return api.as_tenant(session["idToken"])


def create_role(admin: Api, role_id: str, permissions: list[str]) -> dict[str, Any]:
    body = {"id": role_id, "name": role_id.title(), "permissions": permissions}
    return ok(admin.post(f"{BO}/roles", body), 201)  # type: ignore[no-any-return]


def user_with_role(api: Api, admin: Api, role_id: str, permissions: list[str]) -> Api:
    create_role(admin, role_id, permissions)
    return first_sign_in(api, invite(admin, [role_id]))


class TestRoles:
    def test_built_in_roles_are_listed_read_only_beside_custom_ones(
        self, as_user: Reviewers
    ) -> None:
        admin = as_user("admin@demo.test")
        created = create_role(admin, "auditor", ["cases.read", "notes.write"])
        assert created == {
            "id": "auditor",
            "name": "Auditor",
            "description": "",
            "permissions": ["cases.read", "notes.write"],
            "builtIn": False,
            "version": 1,
            "holders": 0,
        }
        roles = {r["id"]: r for r in ok(admin.get(f"{BO}/roles"))["data"]}
        assert [r for r in roles if roles[r]["builtIn"]] == [
            "viewer",
            "reviewer",
            "senior_reviewer",
            "admin",
        ]
        assert "cases.approve_second" in roles["senior_reviewer"]["permissions"]
        assert roles["auditor"]["permissions"] == ["cases.read", "notes.write"]
        body = {"name": "x", "permissions": [], "expectedVersion": 1}
        assert error_of(admin.put(f"{BO}/roles/admin", body), 409)["code"] == "conflict"
        assert admin.delete(f"{BO}/roles/viewer?expectedVersion=1").status_code == 409
        catalogue = ok(admin.get(f"{BO}/permissions"))["data"]
        assert {"id": "roles.manage", "description": catalogue[11]["description"]} in catalogue
        assert len(catalogue) == 17

    def test_unknown_permissions_and_ids_are_refused_with_their_field(
        self, as_user: Reviewers
    ) -> None:
        admin = as_user("admin@demo.test")
        body = {"id": "x", "name": "X", "permissions": ["cases.read", "cases.fly"]}
        error = error_of(admin.post(f"{BO}/roles", body), 400)
        assert error["details"] == [
            {"path": "permissions[1]", "message": "unknown permission `cases.fly`"}
        ]
        body = {"id": "admin", "name": "X", "permissions": []}
        assert error_of(admin.post(f"{BO}/roles", body), 400)["details"][0]["path"] == "id"
        body = {"id": "Bad Id", "name": "X", "permissions": []}
        assert admin.post(f"{BO}/roles", body).status_code == 400
        create_role(admin, "twice", [])
        assert error_of(admin.post(f"{BO}/roles", {**body, "id": "twice"}), 409)

    def test_changes_need_the_current_version(self, as_user: Reviewers) -> None:
        admin = as_user("admin@demo.test")
        create_role(admin, "clerk", ["cases.read"])
        change = {
            "name": "Clerk",
            "permissions": ["cases.read", "notes.write"],
            "expectedVersion": 1,
        }
        assert ok(admin.put(f"{BO}/roles/clerk", change))["version"] == 2
        assert error_of(admin.put(f"{BO}/roles/clerk", change), 409)["code"] == "version_conflict"
        assert admin.delete(f"{BO}/roles/clerk?expectedVersion=1").status_code == 409
        assert admin.delete(f"{BO}/roles/clerk?expectedVersion=2").status_code == 204
        assert admin.delete(f"{BO}/roles/clerk?expectedVersion=2").status_code == 404

    def test_a_role_held_by_a_user_is_not_deleted(self, api: Api, as_user: Reviewers) -> None:
        admin = as_user("admin@demo.test")
        create_role(admin, "held", ["cases.read"])
        invited = invite(admin, ["held"])
        error = error_of(admin.delete(f"{BO}/roles/held?expectedVersion=1"), 409)
        assert error["code"] == "role_in_use" and error["details"] == {"holders": 1}
        user = invited["user"]
        change = {"roles": ["viewer"], "active": True, "expectedVersion": user["version"]}
        ok(admin.put(f"{BO}/users/{user['id']}", change))
        assert admin.delete(f"{BO}/roles/held?expectedVersion=1").status_code == 204

    def test_a_role_change_holds_at_its_holders_next_request(
        self, api: Api, as_user: Reviewers
    ) -> None:
        admin = as_user("admin@demo.test")
        reader = user_with_role(api, admin, "reader", ["cases.read"])
        assert ok(api.as_tenant(None).get("/api/v1/openapi.json"))
        assert reader.get(f"{CASES}").status_code == 200
        assert ok(reader.get("/api/v1/auth/me"))["permissions"] == ["cases.read"]
        change = {"name": "Reader", "permissions": ["notes.write"], "expectedVersion": 1}
        ok(admin.put(f"{BO}/roles/reader", change))
        error = error_of(reader.get(f"{CASES}"), 403)
        assert error["details"] == {"permission": "cases.read"}


class TestGrantCeiling:
    @pytest.fixture
    def manager(self, api: Api, as_user: Reviewers) -> Api:
        """A user manager who may read cases and manage users and roles, and nothing else."""
        return user_with_role(
            api,
            as_user("admin@demo.test"),
            "manager",
            ["cases.read", "users.manage", "roles.manage"],
        )

    def test_no_one_defines_a_role_beyond_their_own_permissions(self, manager: Api) -> None:
        body = {"id": "decider", "name": "Decider", "permissions": ["cases.read", "cases.decide"]}
        error = error_of(manager.post(f"{BO}/roles", body), 403)
        assert error["details"] == {"permissions": ["cases.decide"]}
        create_role(manager, "reader2", ["cases.read"])
        change = {
            "name": "R",
            "permissions": ["cases.read", "webhooks.manage"],
            "expectedVersion": 1,
        }
        assert error_of(manager.put(f"{BO}/roles/reader2", change), 403)["details"] == {
            "permissions": ["webhooks.manage"]
        }

    def test_no_one_gives_a_role_beyond_their_own_permissions(
        self, manager: Api, as_user: Reviewers
    ) -> None:
        body = {"email": "too-much@demo.test", "name": "Too Much", "roles": ["reviewer"]}
        error = error_of(manager.post(f"{BO}/users", body), 403)
        assert "cases.decide" in error["details"]["permissions"]
        invited = invite(manager, ["viewer"])
        user = invited["user"]
        change = {"roles": ["viewer", "admin"], "active": True, "expectedVersion": user["version"]}
        assert manager.put(f"{BO}/users/{user['id']}", change).status_code == 403
        # Taking roles away is no grant.
        bob = as_user("bob@demo.test")
        me = ok(bob.get("/api/v1/auth/me"))
        change = {"roles": ["viewer"], "active": True, "expectedVersion": me["version"]}
        assert ok(manager.put(f"{BO}/users/{me['id']}", change))["roles"] == ["viewer"]

    def test_a_role_name_is_not_a_permission(self, manager: Api) -> None:
        assert manager.get(f"{BO}/webhooks").status_code == 403
        assert manager.get(f"{BO}/users").status_code == 200


class TestInvitation:
    def test_an_invited_user_chooses_a_password_at_first_sign_in(
        self, api: Api, as_user: Reviewers
    ) -> None:
        admin = as_user("admin@demo.test")
        invited = invite(admin, ["reviewer"], name="Nina New")
        email, temporary = invited["user"]["email"], invited["temporaryPassword"]
        anonymous = api.as_tenant(None)
        login = anonymous.post("/api/v1/auth/login", {"email": email, "password": temporary})
        assert error_of(login, 401)["code"] == "new_password_required"
        weak = {"email": email, "temporaryPassword": temporary, "newPassword": "short"}
        assert error_of(anonymous.post("/api/v1/auth/new-password", weak), 400)
        nodigit = {**weak, "newPassword": "no-digits-at-ALL!"}
        error = error_of(anonymous.post("/api/v1/auth/new-password", nodigit), 400)
        assert error["details"][0]["path"] == "newPassword"
        wrong = {**weak, "temporaryPassword": "nope", "newPassword": NEW_PASSWORD}
        assert error_of(anonymous.post("/api/v1/auth/new-password", wrong), 401)
        session = ok(
            anonymous.post(
                "/api/v1/auth/new-password",
                {"email": email, "temporaryPassword": temporary, "newPassword": NEW_PASSWORD},
            )
        )
        assert session["user"]["name"] == "Nina New"
        assert session["user"]["roles"] == ["reviewer"]
        assert "cases.decide" in session["user"]["permissions"]
        again = ok(anonymous.post("/api/v1/auth/login", {"email": email, "password": NEW_PASSWORD}))
        assert again["user"]["id"] == invited["user"]["id"]
        # The temporary password is spent.
        used = {"email": email, "temporaryPassword": temporary, "newPassword": NEW_PASSWORD}
        assert anonymous.post("/api/v1/auth/new-password", used).status_code == 401

    def test_an_email_with_an_account_already_is_a_conflict(self, as_user: Reviewers) -> None:
        admin = as_user("admin@demo.test")
        body = {"email": "alice@demo.test", "name": "Alice", "roles": ["viewer"]}
        assert error_of(admin.post(f"{BO}/users", body), 409)
        body = {"email": "ghost@demo.test", "name": "G", "roles": ["nonexistent"]}
        assert error_of(admin.post(f"{BO}/users", body), 400)["details"][0]["path"] == "roles[0]"


class TestDeactivation:
    def test_it_holds_at_the_next_request_and_releases_open_cases(
        self, api: Api, as_user: Reviewers
    ) -> None:
        admin = as_user("admin@demo.test")
        alice = as_user("alice@demo.test")
        mine = [ingest(api, individual_run(f"deact-{i}")) for i in range(3)]
        for case_id in mine:
            ok(claim(as_user, "alice@demo.test", case_id))
        other = ingest(api, individual_run("deact-bob"))
        ok(claim(as_user, "bob@demo.test", other))
        me = ok(alice.get("/api/v1/auth/me"))
        change = {"roles": ["reviewer"], "active": False, "expectedVersion": me["version"]}
        updated = ok(admin.put(f"{BO}/users/{me['id']}", change))
        assert updated["active"] is False and updated["version"] == me["version"] + 1
        # Her ID token is still unexpired, but the directory says no.
        assert error_of(alice.get(f"{CASES}"), 401)["code"] == "unauthenticated"
        sign_in = {"email": "alice@demo.test", "password": "Passw0rd!local"}
        assert api.as_tenant(None).post("/api/v1/auth/login", sign_in).status_code == 401
        for case_id in mine:
            view = ok(admin.get(f"{CASES}/{case_id}"))
            assert view["assignee"] is None
            audit = ok(admin.get(f"{CASES}/{case_id}/audit"))["data"]
            released = audit[-1]
            assert released["action"] == "case.assigned"
            assert released["details"]["reason"] == "assignee_deactivated"
            assert released["actor"]["name"] == "Ada Admin"
        assert ok(admin.get(f"{CASES}/{other}"))["assignee"]["name"] == "Bob Reviewer"
        assignees = ok(admin.get(f"{BO}/assignees"))["data"]
        assert "alice@demo.test" not in [u["email"] for u in assignees]
        # Reactivated: she signs in again (her cases stay with the pool).
        change = {"roles": ["reviewer"], "active": True, "expectedVersion": updated["version"]}
        assert ok(admin.put(f"{BO}/users/{me['id']}", change))["active"] is True
        assert api.as_tenant(None).post("/api/v1/auth/login", sign_in).status_code == 200

    def test_no_one_deactivates_themselves(self, as_user: Reviewers) -> None:
        admin = as_user("admin@demo.test")
        me = ok(admin.get("/api/v1/auth/me"))
        change = {"roles": ["admin"], "active": False, "expectedVersion": me["version"]}
        assert error_of(admin.put(f"{BO}/users/{me['id']}", change), 409)

    def test_another_tenants_user_is_not_found(self, as_user: Reviewers) -> None:
        alice = ok(as_user("alice@demo.test").get("/api/v1/auth/me"))
        acme = as_user("admin@acme.test")
        change = {"roles": ["viewer"], "active": False, "expectedVersion": alice["version"]}
        assert acme.put(f"{BO}/users/{alice['id']}", change).status_code == 404


class TestAdminTrail:
    def test_role_and_user_changes_are_in_the_trail_newest_first(self, as_user: Reviewers) -> None:
        admin = as_user("admin@demo.test")
        create_role(admin, "trail", ["cases.read"])
        invited = invite(admin, ["trail"])
        user = invited["user"]
        change = {"roles": ["viewer"], "active": False, "expectedVersion": user["version"]}
        ok(admin.put(f"{BO}/users/{user['id']}", change))
        first = ok(admin.get(f"{BO}/admin-audit?limit=2"))
        assert [e["action"] for e in first["data"]] == ["user.deactivated", "user.roles_changed"]
        assert first["data"][1]["before"] == {"roles": ["trail"]}
        assert first["data"][1]["after"] == {"roles": ["viewer"]}
        assert first["data"][0]["actor"]["name"] == "Ada Admin"
        assert "temporaryPassword" not in str(first)
        rest = ok(admin.get(f"{BO}/admin-audit?limit=2&cursor={first['nextCursor']}"))
        assert [e["action"] for e in rest["data"]] == ["user.invited", "role.created"]
        assert rest["data"][0]["subjectId"] == user["id"]
        assert rest["data"][1]["after"]["permissions"] == ["cases.read"]
        assert as_user("viewer@demo.test").get(f"{BO}/admin-audit").status_code == 403
        assert ok(as_user("admin@acme.test").get(f"{BO}/admin-audit"))["data"] == []
        bad = admin.get(f"{BO}/admin-audit?cursor=forged")
        assert error_of(bad, 400)["details"][0]["path"] == "cursor"


def test_the_assignee_picker_follows_custom_roles(api: Api, as_user: Reviewers) -> None:
    admin = as_user("admin@demo.test")
    create_role(admin, "decider", ["cases.read", "cases.claim", "cases.decide"])
    create_role(admin, "onlooker", ["cases.read", "cases.claim"])
    decider = invite(admin, ["decider"], name="Dee Decider")["user"]
    onlooker = invite(admin, ["onlooker"], name="Olly Onlooker")["user"]
    emails = [u["email"] for u in ok(admin.get(f"{BO}/assignees"))["data"]]
    assert decider["email"] in emails and onlooker["email"] not in emails
    case_id = ingest(api, individual_run("picker-1"))
    for user, status in ((onlooker, 400), (decider, 200)):
        version = ok(admin.get(f"{CASES}/{case_id}"))["version"]
        body = {"assigneeId": user["id"], "expectedVersion": version}
        assert admin.put(f"{CASES}/{case_id}/assignee", body).status_code == status
    assert ok(admin.get(f"{CASES}/{case_id}"))["assignee"]["name"] == "Dee Decider"


def test_role_and_user_changes_are_published_on_the_bus(
    as_user: Reviewers, pipeline: Any, local_aws: Any
) -> None:
    sqs = boto3.client("sqs")
    queue_url = observe_domain_events("admin-observer")
    admin = as_user("admin@demo.test")
    create_role(admin, "published", ["cases.read"])
    invited = invite(admin, ["published"])
    received: list[dict[str, Any]] = []

    def admin_events() -> list[dict[str, Any]]:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            received.append(json.loads(message["Body"]))
        found = [e for e in received if e["detail-type"] in ("role.created", "user.invited")]
        return found if len(found) == 2 else []

    role_event, user_event = sorted(poll(admin_events), key=lambda e: e["detail-type"])
    assert role_event["detail"]["subjectType"] == "role"
    assert role_event["detail"]["subjectId"] == "published"
    assert role_event["detail"]["data"]["after"]["permissions"] == ["cases.read"]
    assert role_event["resources"] == ["role/published"]
    assert user_event["detail"]["subjectId"] == invited["user"]["id"]
    assert user_event["detail"]["tenantId"] == "demo"
    assert user_event["detail"]["actor"]["name"] == "Ada Admin"
    assert invited["temporaryPassword"] not in json.dumps(received)
