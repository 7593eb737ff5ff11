"""Saved inbox views (issue 20, item 4): personal or shared, validated like the inbox, versioned,
tenant-scoped, a default per role, counts capped to stay cheap."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api
from tests.integration.test_admin_api import error_of, ok
from tests.integration.test_backoffice_api import Reviewers, as_user, business_run, ingest
from tests.integration.test_ingestion_api import individual_run

__all__ = ["as_user"]  # the fixture, used by name

VIEWS = "/api/v1/backoffice/views"


def views_of(client: Api) -> dict[str, Any]:
    return ok(client.get(VIEWS))  # type: ignore[no-any-return]


def test_personal_and_shared_views_with_counts_versions_and_tenancy(
    api: Api, as_user: Reviewers
) -> None:
    admin, alice, bob = (as_user(f"{n}@demo.test") for n in ("admin", "alice", "bob"))
    ingest(api, business_run("views-kyb-1", "Views GmbH"))
    ingest(api, individual_run("views-kyc-1"))
    businesses = {"entityType": "business", "status": "all", "assignee": "any"}
    mine = ok(alice.post(VIEWS, {"name": "My companies", "filters": businesses}), 201)
    assert mine["count"] == {"value": 1, "more": False, "label": "1"}
    assert (mine["shared"], mine["version"], mine["editable"]) == (False, 1, True)

    # Sharing needs views.share: a reviewer is refused, an admin shares it as bob's default.
    shared_body = {"name": "Team: all", "shared": True, "filters": {"assignee": "any"}}
    assert error_of(alice.post(VIEWS, shared_body), 403)["details"] == {"permission": "views.share"}
    team = ok(admin.post(VIEWS, {**shared_body, "defaultForRoles": ["reviewer"]}), 201)

    bob_views = views_of(bob)
    assert [v["name"] for v in bob_views["data"]] == ["Team: all"]
    assert bob_views["defaultViewId"] == team["id"] and not bob_views["data"][0]["editable"]
    assert [v["name"] for v in views_of(alice)["data"]] == ["Team: all", "My companies"]
    assert views_of(admin)["defaultViewId"] is None

    # Someone else's personal view, like another tenant's, is a 404; a shared one a 403 to edit.
    change = {"name": "Renamed", "filters": businesses, "expectedVersion": 1}
    error_of(bob.put(f"{VIEWS}/{mine['id']}", change), 404)
    acme = as_user("admin@acme.test")
    error_of(acme.put(f"{VIEWS}/{mine['id']}", change), 404)
    error_of(acme.delete(f"{VIEWS}/{team['id']}?expectedVersion=1"), 404)
    assert views_of(acme)["data"] == []
    error_of(bob.put(f"{VIEWS}/{team['id']}", {**shared_body, "expectedVersion": 1}), 403)

    # Versioned: a stale version is a 409, never a lost update.
    renamed = ok(alice.put(f"{VIEWS}/{mine['id']}", change))
    assert (renamed["name"], renamed["version"]) == ("Renamed", 2)
    assert error_of(alice.put(f"{VIEWS}/{mine['id']}", change), 409)["code"] == "version_conflict"
    error_of(alice.delete(f"{VIEWS}/{mine['id']}?expectedVersion=1"), 409)
    assert alice.delete(f"{VIEWS}/{mine['id']}?expectedVersion=2").status_code == 204
    assert [v["name"] for v in views_of(alice)["data"]] == ["Team: all"]

    # Every change is in the admin trail.
    trail = ok(admin.get("/api/v1/backoffice/admin-audit"))["data"]
    actions = [(e["action"], e["subjectId"]) for e in trail if e["action"].startswith("view.")]
    assert ("view.deleted", mine["id"]) in actions and ("view.created", team["id"]) in actions


def test_filters_are_checked_as_the_inbox_checks_them(as_user: Reviewers) -> None:
    alice = as_user("alice@demo.test")
    bad = {"name": "x", "filters": {"sort": "name", "q": "\u0301", "nope": 1}}
    paths = {d["path"] for d in error_of(alice.post(VIEWS, bad), 400)["details"]}
    assert {"filters.sort", "filters.nope"} <= paths
    accents_only = {"name": "x", "filters": {"q": "\u0301"}}
    assert error_of(alice.post(VIEWS, accents_only), 400)["details"][0]["path"] == "filters.q"
    not_shared = {"name": "x", "defaultForRoles": ["reviewer"]}
    error_of(alice.post(VIEWS, not_shared), 403)
