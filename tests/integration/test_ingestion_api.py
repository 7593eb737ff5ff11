"""POST /api/v1/external/workflows/run and reading cases back, against moto in-process."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import boto3
import pytest

from chalicelib.config import get_settings
from local.sample_documents import render_document_page
from tests.integration.conftest import Api

RUN = "/api/v1/external/workflows/run"


def png_page(side: str = "front") -> dict[str, Any]:
    png = render_document_page("passport", holder_name="Jane Doe", side=side)
    return {
        "provider": "base64",
        "type": "png",
        "data": base64.b64encode(png).decode(),
        "metadata": {"side": side},
    }


def individual_run(entity_id: str = "person-1", **overrides: Any) -> dict[str, Any]:
    run = {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "individual",
                "data": {"firstName": "Jane", "lastName": "Doe", "email": "j@example.com"},
            },
            "documents": [
                {"type": "passport", "category": "identification", "pages": [png_page()]}
            ],
        },
    }
    run.update(overrides)
    return run


def error_of(response: Any) -> dict[str, Any]:
    return json.loads(response.body)["error"]


class TestSeedFixtures:
    def test_seed_request_verbatim_creates_a_case(self, api: Api, seed_request: dict) -> None:
        response = api.post(RUN, seed_request)
        assert response.status_code == 201, response.body
        body = json.loads(response.body)
        assert body["workflowDefinitionId"] == "risk-score-improvement-dev"
        assert body["workflowRuntimeId"].startswith("case_")
        assert body["ballerineEntityId"].startswith("ent_")
        assert body["created"] is True

        case = json.loads(api.get(f"/api/v1/external/workflows/{body['workflowRuntimeId']}").body)
        assert case["state"] == "manual_review"
        assert case["status"] == "active"
        assert case["entity"] == {
            "id": "fido-user-id1111111",
            "type": "business",
            "name": "McClure Inc",
            "ballerineEntityId": body["ballerineEntityId"],
        }
        assert [d["type"] for d in case["documents"]] == [
            "drivers_license",
            "certificate_of_incorporation",
        ]
        assert all(p["storageStatus"] == "pending" for d in case["documents"] for p in d["pages"])

    def test_postman_variant_verbatim_creates_a_case(self, api: Api, postman_request: dict) -> None:
        response = api.post(RUN, postman_request)
        assert response.status_code == 201, response.body

    def test_context_is_kept_whole(self, api: Api, seed_request: dict) -> None:
        sent = copy.deepcopy(seed_request)
        sent["context"]["pluginsOutput"] = {"kyb": {"vendor": "x", "score": 0.73}}
        sent["context"]["entity"]["data"]["nested"] = {"deep": [1, 2.5, {"k": None}]}
        case_id = json.loads(api.post(RUN, sent).body)["workflowRuntimeId"]

        stored = json.loads(api.get(f"/api/v1/external/workflows/{case_id}/context").body)
        context = stored["context"]
        assert context["entity"] == sent["context"]["entity"]
        assert context["pluginsOutput"] == sent["context"]["pluginsOutput"]
        for kept, original in zip(context["documents"], sent["context"]["documents"], strict=True):
            for key in ("type", "category", "issuer", "properties", "version", "issuingVersion"):
                assert kept[key] == original[key]
            for page, original_page in zip(kept["pages"], original["pages"], strict=True):
                assert page["uri"] == original_page["uri"]
                assert page["metadata"] == original_page["metadata"]
                assert page.get("ballerineFileId") == original_page.get("ballerineFileId")
        assert context["documents"][1]["pages"][0]["ballerineFileId"] == "clhz0lhzd0006ru5ab3p0uf67"


class TestAuthentication:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Basic c2VjcmV0"},
            {"Authorization": "Bearer "},
        ],
    )
    def test_missing_or_wrong_key_is_401(self, api: Api, headers: dict, seed_request: dict) -> None:
        anonymous = api.as_tenant(None)
        response = anonymous.post(RUN, seed_request, headers=headers)
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthenticated"
        assert (
            api.as_tenant(None).get("/api/v1/external/workflows", headers=headers).status_code
            == 401
        )

    def test_keys_are_stored_only_as_hashes(self, local_aws: Any) -> None:
        table = boto3.resource("dynamodb").Table(get_settings().cases_table)
        raw = json.dumps(table.scan()["Items"], default=str)
        assert "K#" in raw
        assert '"secret"' not in raw and "acme-secret" not in raw

    def test_another_tenants_case_is_404(self, api: Api, seed_request: dict) -> None:
        case_id = json.loads(api.post(RUN, seed_request).body)["workflowRuntimeId"]
        acme = api.as_tenant("acme-secret")
        for path in (
            f"/api/v1/external/workflows/{case_id}",
            f"/api/v1/external/workflows/{case_id}/context",
        ):
            assert acme.get(path).status_code == 404
            assert api.get(path).status_code == 200
        listed = json.loads(acme.get("/api/v1/external/workflows").body)["data"]
        assert case_id not in {c["id"] for c in listed}


class TestValidation:
    def test_invalid_json_is_400(self, api: Api) -> None:
        response = api.post(RUN, "{not json")
        assert response.status_code == 400
        assert error_of(response)["code"] == "validation_error"

    def test_missing_entity_names_the_field(self, api: Api, seed_request: dict) -> None:
        del seed_request["context"]["entity"]
        response = api.post(RUN, seed_request)
        assert response.status_code == 400
        paths = [d["path"] for d in error_of(response)["details"]]
        assert "context.entity" in paths

    def test_wrong_types_name_each_field(self, api: Api, seed_request: dict) -> None:
        seed_request["context"]["entity"]["type"] = "robot"
        seed_request["context"]["documents"][0]["pages"] = "nope"
        seed_request["context"]["documents"][1]["pages"][0]["uri"] = "ftp://x/y.png"
        response = api.post(RUN, seed_request)
        assert response.status_code == 400
        paths = {d["path"] for d in error_of(response)["details"]}
        assert {
            "context.entity.type",
            "context.documents[0].pages",
            "context.documents[1].pages[0]",
        } <= paths

    def test_invalid_base64_page_is_400(self, api: Api) -> None:
        run = individual_run()
        run["context"]["documents"][0]["pages"][0]["data"] = "!!!not base64!!!"
        response = api.post(RUN, run)
        assert response.status_code == 400
        assert error_of(response)["details"][0]["path"] == "context.documents[0].pages[0].data"

    def test_non_image_page_is_400(self, api: Api) -> None:
        run = individual_run()
        run["context"]["documents"][0]["pages"][0]["data"] = base64.b64encode(b"<html>").decode()
        assert api.post(RUN, run).status_code == 400

    def test_unknown_workflow_is_404(self, api: Api, seed_request: dict) -> None:
        seed_request["workflowId"] = "no-such-workflow"
        response = api.post(RUN, seed_request)
        assert response.status_code == 404
        assert "no-such-workflow" in error_of(response)["message"]

    def test_entity_type_the_workflow_does_not_review_is_422(self, api: Api) -> None:
        run = individual_run()
        run["workflowId"] = "kyb-manual-review"
        assert api.post(RUN, run).status_code == 422

    def test_body_over_6_mb_is_413_and_the_server_keeps_serving(
        self, api: Api, seed_request: dict
    ) -> None:
        big = individual_run()
        big["context"]["customData"] = {"blob": "x" * (6 * 1024 * 1024 + 1)}
        response = api.post(RUN, big)
        assert response.status_code == 413
        assert error_of(response)["code"] == "payload_too_large"
        assert api.post(RUN, seed_request).status_code == 201

    def test_empty_body_is_400(self, api: Api) -> None:
        assert api.post(RUN, b"").status_code == 400


class TestRerunAndIdempotency:
    def test_rerun_for_an_active_case_updates_it(self, api: Api, local_aws: Any) -> None:
        first = json.loads(api.post(RUN, individual_run()).body)
        rerun = individual_run()
        rerun["context"]["entity"]["data"] = {"email": "new@example.com", "phone": "+4912345"}
        rerun["context"]["documents"] = [
            {"type": "passport", "category": "identification", "pages": [png_page("back")]},
            {"type": "utility_bill", "category": "proof_of_address", "pages": [png_page()]},
        ]
        second_response = api.post(RUN, rerun)
        assert second_response.status_code == 201
        second = json.loads(second_response.body)
        assert second["workflowRuntimeId"] == first["workflowRuntimeId"]
        assert second["created"] is False

        case_id = first["workflowRuntimeId"]
        context = json.loads(api.get(f"/api/v1/external/workflows/{case_id}/context").body)
        data = context["context"]["entity"]["data"]
        assert data == {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "new@example.com",
            "phone": "+4912345",
        }
        documents = context["context"]["documents"]
        assert [d["type"] for d in documents] == ["passport", "utility_bill"]
        assert documents[0]["pages"][0]["metadata"] == {"side": "back"}
        assert documents[0]["pageHistory"][0]["pages"][0]["metadata"] == {"side": "front"}
        assert context["version"] == 2

        from chalicelib.dependencies import case_store

        actions = [a.action for a in case_store().list_audit("demo", case_id)]
        assert actions[:2] == ["case.created", "case.context_updated"]
        listed = json.loads(api.get("/api/v1/external/workflows").body)["data"]
        assert [c["id"] for c in listed] == [case_id]

    def test_other_tenant_same_entity_gets_its_own_case(self, api: Api) -> None:
        ours = json.loads(api.post(RUN, individual_run()).body)["workflowRuntimeId"]
        theirs = json.loads(api.as_tenant("acme-secret").post(RUN, individual_run()).body)
        assert theirs["workflowRuntimeId"] != ours

    def test_idempotency_key_replays_the_original_response(self, api: Api) -> None:
        headers = {"Idempotency-Key": "order-42"}
        first = api.post(RUN, individual_run("p-idem"), headers=headers)
        again = api.post(RUN, individual_run("p-idem"), headers=headers)
        assert first.status_code == again.status_code == 201
        assert json.loads(first.body) == json.loads(again.body)
        assert json.loads(again.body)["created"] is True  # the original answer, not an update

        other = api.post(RUN, individual_run("someone-else"), headers=headers)
        assert other.status_code == 422

    def test_idempotency_keys_are_per_tenant(self, api: Api) -> None:
        headers = {"Idempotency-Key": "shared-key"}
        ours = json.loads(api.post(RUN, individual_run(), headers=headers).body)
        theirs = json.loads(
            api.as_tenant("acme-secret").post(RUN, individual_run(), headers=headers).body
        )
        assert ours["workflowRuntimeId"] != theirs["workflowRuntimeId"]


class TestStorage:
    def test_base64_pages_are_in_s3_at_once(self, api: Api) -> None:
        run = individual_run()
        sent = base64.b64decode(run["context"]["documents"][0]["pages"][0]["data"])
        case_id = json.loads(api.post(RUN, run).body)["workflowRuntimeId"]

        from chalicelib.dependencies import case_store, document_storage

        case = case_store().get_case("demo", case_id)
        (storage,) = case.page_storage.values()
        assert storage.status == "stored"
        assert storage.content_type == "image/png"
        assert document_storage().get_page(storage.key) == sent
        assert "data" not in case.context["documents"][0]["pages"][0]


class TestListing:
    def test_cursor_pagination_and_status_filter(self, api: Api) -> None:
        ids = [
            json.loads(api.post(RUN, individual_run(f"p-{n}")).body)["workflowRuntimeId"]
            for n in range(5)
        ]
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            query = "?limit=2" + (f"&cursor={cursor}" if cursor else "") + "&status=active"
            body = json.loads(api.get(f"/api/v1/external/workflows{query}").body)
            seen += [c["id"] for c in body["data"]]
            pages += 1
            cursor = body["nextCursor"]
            if not cursor:
                break
        assert seen == list(reversed(ids))
        assert pages == 3
        completed = json.loads(api.get("/api/v1/external/workflows?status=completed").body)
        assert completed["data"] == []

    def test_tampered_or_foreign_cursor_is_400(self, api: Api) -> None:
        for n in range(3):
            api.post(RUN, individual_run(f"p-{n}"))
        cursor = json.loads(api.get("/api/v1/external/workflows?limit=1").body)["nextCursor"]
        assert api.get(f"/api/v1/external/workflows?cursor={cursor}x").status_code == 400
        acme = api.as_tenant("acme-secret")
        assert acme.get(f"/api/v1/external/workflows?cursor={cursor}").status_code == 400

    def test_cursors_are_signed_with_their_own_key_not_the_api_key_pepper(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for n in range(2):
            api.post(RUN, individual_run(f"p-{n}"))
        cursor = json.loads(api.get("/api/v1/external/workflows?limit=1").body)["nextCursor"]
        assert api.get(f"/api/v1/external/workflows?limit=1&cursor={cursor}").status_code == 200
        # Rotating the cursor key voids the cursors clients hold; their API keys keep working.
        monkeypatch.setenv("CURSOR_SIGNING_KEY", "rotated-cursor-key")
        assert api.get(f"/api/v1/external/workflows?limit=1&cursor={cursor}").status_code == 400
        assert api.get("/api/v1/external/workflows?limit=1").status_code == 200

    def test_bad_query_is_400(self, api: Api) -> None:
        response = api.get("/api/v1/external/workflows?limit=0&status=weird")
        assert response.status_code == 400
        assert {d["path"] for d in error_of(response)["details"]} == {"limit", "status"}

    def test_workflow_definitions_are_listed(self, api: Api) -> None:
        body = json.loads(api.get("/api/v1/external/workflow-definitions").body)
        ids = {d["id"] for d in body["data"]}
        assert {"risk-score-improvement-dev", "kyc-manual-review", "kyb-manual-review"} <= ids
