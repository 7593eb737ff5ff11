"""Client input that used to answer 500 (issue 13, item 7): each gets a clear 4xx, and a large
context is stored (in S3 behind a pointer on the case item) rather than refused."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from chalicelib.config import get_settings
from tests.integration.conftest import Api
from tests.integration.test_backoffice_api import CASES, Reviewers, as_user, ingest
from tests.integration.test_ingestion_api import RUN, error_of, individual_run, png_page

__all__ = ["as_user"]
WORKFLOWS = "/api/v1/external/workflows"


def case_item(case_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(get_settings().cases_table)
    return table.get_item(Key={"pk": f"T#demo#C#{case_id}", "sk": "CASE"})["Item"]


def context_of(api: Api, case_id: str) -> dict[str, Any]:
    response = api.get(f"{WORKFLOWS}/{case_id}/context")
    assert response.status_code == 200, response.body
    return json.loads(response.body)["context"]


class TestLargeContext:
    def test_non_ascii_context_over_the_item_limit_once_escaped_is_stored(
        self, api: Api, as_user: Reviewers
    ) -> None:
        # 120,000 characters: 240 KB as UTF-8 in the request, 720 KB escaped in the case item.
        run = individual_run("big-1")
        run["context"]["customData"] = {"notes": "é" * 120_000}
        body = json.dumps(run, ensure_ascii=False).encode()
        response = api.post(RUN, body)
        assert response.status_code == 201, response.body
        case_id = json.loads(response.body)["workflowRuntimeId"]

        assert context_of(api, case_id)["customData"] == {"notes": "é" * 120_000}
        item = case_item(case_id)
        assert "contextJson" not in item
        assert item["contextRef"].startswith(f"tenants/demo/cases/{case_id}/context/")
        view = as_user("admin@demo.test").get(f"{CASES}/{case_id}")
        assert view.status_code == 200, view.body
        assert view.json_body["customData"] == {"notes": "é" * 120_000}

        # A re-run updates the case through the pointer: the merged context is read back whole.
        rerun = individual_run("big-1")
        rerun["context"]["customData"] = {"segment": "retail"}
        assert api.post(RUN, rerun).status_code == 201
        merged = context_of(api, case_id)["customData"]
        assert merged == {"notes": "é" * 120_000, "segment": "retail"}

    def test_a_context_up_to_the_request_limit_is_stored(self, api: Api) -> None:
        run = individual_run("big-2")
        run["context"]["customData"] = {"blob": "x" * (5 * 1024 * 1024)}
        response = api.post(RUN, run)
        assert response.status_code == 201, response.body
        case_id = json.loads(response.body)["workflowRuntimeId"]
        assert len(context_of(api, case_id)["customData"]["blob"]) == 5 * 1024 * 1024
        listed = json.loads(api.get(WORKFLOWS).body)["data"]
        assert [c["id"] for c in listed] == [case_id]

    def test_a_small_context_stays_on_the_item(self, api: Api) -> None:
        case_id = ingest(api, individual_run("small"))
        item = case_item(case_id)
        assert "contextRef" not in item
        assert json.loads(item["contextJson"])["entity"]["id"] == "small"


class TestMalformedJson:
    @pytest.mark.parametrize("depth", [256, 100_000])
    def test_deep_nesting_is_400(self, api: Api, depth: int) -> None:
        response = api.post(RUN, "[" * depth + "]" * depth)
        assert response.status_code == 400, response.body
        assert "recursion limit" in error_of(response)["message"]

    def test_deep_nesting_inside_the_context_is_400(self, api: Api) -> None:
        run = json.dumps(individual_run("deep"))
        deep = '{"a":' * 300 + "1" + "}" * 300
        body = run.replace('"documents":', f'"customData":{{"x":{deep}}},"documents":', 1)
        assert api.post(RUN, body).status_code == 400

    @pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud800x", "\\udc00\\ud800"])
    def test_lone_surrogate_escapes_are_400(self, api: Api, escape: str) -> None:
        body = json.dumps(individual_run("sur")).replace('"Jane"', f'"{escape}"')
        response = api.post(RUN, body)
        assert response.status_code == 400, response.body
        assert error_of(response)["code"] == "validation_error"

    def test_surrogate_pairs_are_characters(self, api: Api) -> None:
        body = json.dumps(individual_run("pair")).replace('"Jane"', '"\\ud83d\\ude00"')
        response = api.post(RUN, body)
        assert response.status_code == 201, response.body
        case_id = json.loads(response.body)["workflowRuntimeId"]
        assert context_of(api, case_id)["entity"]["data"]["firstName"] == "\U0001f600"

    def test_deep_nesting_in_a_back_office_body_is_400(self, api: Api, as_user: Reviewers) -> None:
        case_id = ingest(api, individual_run("p-1"))
        body = '{"text":' + "[" * 1000 + "]" * 1000 + "}"
        response = as_user("alice@demo.test").post(f"{CASES}/{case_id}/notes", body)
        assert response.status_code == 400, response.body


class TestStrictBodies:
    """Found by fuzzing: a body the schema refuses must be refused (a JSON `false` was taken as
    the integer 0, a string of digits as a number), and one it accepts accepted (`1.0` is an
    integer to JSON Schema)."""

    @pytest.mark.parametrize("version", [False, True, "1", 1.5])
    def test_a_version_that_is_not_an_integer_is_400(
        self, api: Api, as_user: Reviewers, version: Any
    ) -> None:
        case_id = ingest(api, individual_run("s-1"))
        response = as_user("admin@demo.test").put(
            f"{CASES}/{case_id}/assignee", {"assigneeId": None, "expectedVersion": version}
        )
        assert response.status_code == 400, response.body
        assert error_of(response)["details"][0]["path"] == "expectedVersion"

    def test_an_integral_number_is_an_integer(self, api: Api, as_user: Reviewers) -> None:
        case_id = ingest(api, individual_run("s-3"))
        admin = as_user("admin@demo.test")
        version = admin.get(f"{CASES}/{case_id}").json_body["version"]
        response = admin.put(
            f"{CASES}/{case_id}/assignee", {"assigneeId": None, "expectedVersion": float(version)}
        )
        assert response.status_code == 200, response.body

    def test_an_overlap_that_is_not_an_integer_is_400(self, as_user: Reviewers) -> None:
        response = as_user("admin@demo.test").post(
            "/api/v1/backoffice/webhooks/signing-secret/rotate", {"overlapSeconds": False}
        )
        assert response.status_code == 400, response.body

    def test_a_run_with_a_string_version_is_400(self, api: Api) -> None:
        run = individual_run("s-2")
        run["context"]["documents"][0]["version"] = "1"
        response = api.post(RUN, run)
        assert response.status_code == 400, response.body
        assert error_of(response)["details"][0]["path"] == "context.documents[0].version"


class TestQueryParameters:
    @pytest.mark.parametrize("cursor", ["é", "abc.é", "ünïcode.sig", "abc.\u200b"])
    def test_a_non_ascii_cursor_is_400(self, api: Api, as_user: Reviewers, cursor: str) -> None:
        inbox = as_user("alice@demo.test").get(f"{CASES}?cursor={quote(cursor)}")
        assert inbox.status_code == 400, inbox.body
        assert inbox.json_body["error"]["details"][0]["path"] == "cursor"
        assert api.get(f"{WORKFLOWS}?cursor={quote(cursor)}").status_code == 400

    @pytest.mark.parametrize("q", ["\u0301", "\u0301\u0308\u0327", " \u0301 "])
    def test_a_search_of_only_combining_marks_is_400(self, as_user: Reviewers, q: str) -> None:
        response = as_user("alice@demo.test").get(f"{CASES}?q={quote(q)}")
        assert response.status_code == 400, response.body
        assert response.json_body["error"]["details"][0]["path"] == "q"

    def test_a_search_with_accents_still_matches(self, api: Api, as_user: Reviewers) -> None:
        case_id = ingest(api, individual_run("p-1"))
        response = as_user("alice@demo.test").get(f"{CASES}?q={quote('Jáné')}")
        assert [row["id"] for row in response.json_body["data"]] == [case_id]


class TestRejectedRunsStoreNothing:
    def stored_keys(self) -> list[str]:
        s3 = boto3.client("s3")
        listed = s3.list_objects_v2(Bucket=get_settings().documents_bucket, Prefix="tenants/")
        return [item["Key"] for item in listed.get("Contents", [])]

    def run_with_a_bad_last_page(self, entity_id: str) -> dict[str, Any]:
        run = individual_run(entity_id)
        not_an_image = {"provider": "base64", "data": base64.b64encode(b"plain text").decode()}
        run["context"]["documents"][0]["pages"].append(not_an_image)
        run["context"]["documents"].append(
            {"type": "selfie", "category": "identification", "pages": [png_page()]}
        )
        return run

    def test_a_run_with_one_bad_page_uploads_none(self, api: Api) -> None:
        response = api.post(RUN, self.run_with_a_bad_last_page("p-1"))
        assert response.status_code == 400, response.body
        assert error_of(response)["details"][0]["path"] == "context.documents[0].pages[1].data"
        assert self.stored_keys() == []

    def test_a_rejected_rerun_uploads_none(self, api: Api) -> None:
        ingest(api, individual_run("p-1"))
        before = self.stored_keys()
        assert len(before) == 1
        assert api.post(RUN, self.run_with_a_bad_last_page("p-1")).status_code == 400
        assert self.stored_keys() == before
