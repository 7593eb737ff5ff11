"""After ingestion: the outbox publishes, the execution starts and parks its token, remote pages
are fetched into S3 (or marked with why not). The local pump runs in-process over moto."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, document_storage
from local.child_stack import states_entered
from local.sample_documents import render_document_page
from tests.conftest import poll
from tests.integration.conftest import Api, observe_domain_events

RUN = "/api/v1/external/workflows/run"
PNG = render_document_page("drivers_license", holder_name="Jane Doe")


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/front.png"):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def remote_run(base_url: str) -> dict[str, Any]:
    return {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {
                "id": "remote-1",
                "type": "individual",
                "data": {"firstName": "Jane", "lastName": "Doe"},
            },
            "documents": [
                {
                    "type": "drivers_license",
                    "category": "identification",
                    "pages": [
                        {"provider": "http", "uri": f"{base_url}/front.png?sig=abc", "type": "png"},
                        {"provider": "http", "uri": f"{base_url}/missing.png"},
                        {"provider": "https", "uri": "https://10.0.0.7/internal.png"},
                        {"provider": "http", "uri": "http://169.254.169.254/latest/meta-data/"},
                    ],
                }
            ],
        },
    }


def test_remote_pages_are_fetched_or_marked(api: Api, pipeline: Any, image_server: str) -> None:
    case_id = json.loads(api.post(RUN, remote_run(image_server)).body)["workflowRuntimeId"]

    def settled() -> Any:
        case = case_store().get_case("demo", case_id)
        statuses = [s.status for s in case.page_storage.values()]
        return case if "pending" not in statuses else None

    case = poll(settled)
    pages = case.documents[0].pages
    storage = [case.page_storage[p.id] for p in pages]
    assert storage[0].status == "stored"
    assert document_storage().get_page(storage[0].key) == PNG
    assert (storage[1].status, storage[1].error) == ("failed", "http_status_404")
    assert (storage[2].status, storage[2].error) == ("failed", "private_address")
    assert storage[3].status == "failed" and storage[3].error in {
        "metadata_address",
        "link_local_address",
    }
    view = json.loads(api.get(f"/api/v1/external/workflows/{case_id}").body)
    assert [p["storageStatus"] for p in view["documents"][0]["pages"]] == [
        "stored",
        "failed",
        "failed",
        "failed",
    ]
    actions = [a.action for a in case_store().list_audit("demo", case_id)]
    assert actions.count("document.page_stored") == 1
    assert actions.count("document.page_fetch_failed") == 3


def test_case_execution_starts_and_waits_in_the_initial_state(
    api: Api, pipeline: Any, seed_request: dict
) -> None:
    case_id = json.loads(api.post(RUN, seed_request).body)["workflowRuntimeId"]

    case = poll(lambda: (c := case_store().get_case("demo", case_id)) and c.task_token and c)
    assert case.task_token_state == "manual_review"

    sfn = boto3.client("stepfunctions")
    arn = get_settings().state_machine_arn("risk-score-improvement-dev-v1")
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{case_id}"
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    history = sfn.get_execution_history(executionArn=execution_arn)["events"]
    entered = states_entered(history)
    assert entered == ["manual_review"]

    actions = [a.action for a in case_store().list_audit("demo", case_id)]
    assert actions[0] == "case.created"
    assert "workflow.waiting" in actions


def test_domain_events_reach_the_bus(
    api: Api, pipeline: Any, local_aws: Any, seed_request: dict
) -> None:
    sqs = boto3.client("sqs")
    queue_url = observe_domain_events("observer")
    case_id = json.loads(api.post(RUN, seed_request).body)["workflowRuntimeId"]

    received: list[dict[str, Any]] = []

    def created_event() -> Any:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            received.append(json.loads(message["Body"]))
        return [e for e in received if e["detail-type"] == "case.created"]

    (event,) = poll(created_event)
    assert event["detail"]["caseId"] == case_id
    assert event["detail"]["tenantId"] == "demo"
    assert event["detail"]["data"]["workflowDefinitionId"] == "risk-score-improvement-dev"
