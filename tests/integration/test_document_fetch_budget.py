"""The document-fetch consumer works within its invocation's time and hands the rest back.

One tenant's slow URLs must not time out a whole batch (and, batch after batch, push other
tenants' messages to the DLQ). Slowness is simulated on the Lambda context's clock: the image
server's slow page uses up 50 s of the invocation's remaining time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from chalicelib.dependencies import case_store
from chalicelib.ids import utc_now
from chalicelib.models.events import DomainEvent
from local.provision import LocalProvisioner
from local.sample_documents import render_document_page
from tests.integration.conftest import Api

RUN = "/api/v1/external/workflows/run"
PNG = render_document_page("drivers_license", holder_name="Jane Doe")


class FakeContext:
    """A Lambda context whose clock only moves when the test says so."""

    def __init__(self, remaining_seconds: float) -> None:
        self.remaining_seconds = remaining_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


@pytest.fixture
def context() -> FakeContext:
    return FakeContext(60)


@pytest.fixture
def image_server(context: FakeContext) -> Iterator[str]:
    class Images(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/slow"):
                context.remaining_seconds -= 50  # a download that took 50 s
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_with_pages(*uris: str) -> dict[str, Any]:
    return {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {"id": "e-1", "type": "individual", "data": {"firstName": "Jane"}},
            "documents": [
                {
                    "type": "drivers_license",
                    "category": "identification",
                    "pages": [{"provider": "http", "uri": uri} for uri in uris],
                }
            ],
        },
    }


def start_case(api: Api, *uris: str) -> str:
    return str(json.loads(api.post(RUN, run_with_pages(*uris)).body)["workflowRuntimeId"])


def rule_message(tenant_id: str, case_id: str, number: int) -> dict[str, Any]:
    """The SQS record of the EventBridge rule's message for a case with pending pages."""
    event = DomainEvent(
        event_id=f"evt_{number}",
        type="case.created",
        tenant_id=tenant_id,
        case_id=case_id,
        occurred_at=utc_now(),
        actor={"type": "system", "id": "test"},
        data={"pendingPageCount": 1},
    )
    body = {"detail-type": event.type, "detail": event.model_dump(by_alias=True)}
    return {
        "messageId": f"m-{number}",
        "receiptHandle": f"r-{number}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:document-fetch",
        "awsRegion": "eu-west-1",
    }


def invoke(records: list[dict[str, Any]], context: FakeContext) -> Any:
    from app import app

    return app.handler_map["document_fetch"]({"Records": records}, context)


def statuses(tenant_id: str, case_id: str) -> list[str]:
    case = case_store().get_case(tenant_id, case_id)
    assert case is not None
    return [case.page_storage[p.id].status for p in case.documents[0].pages]


def handed_back(local_aws: LocalProvisioner) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = local_aws.refs["DocumentFetchQueue"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def test_work_the_invocation_cannot_cover_is_handed_back_not_failed(
    api: Api, local_aws: LocalProvisioner, image_server: str, context: FakeContext
) -> None:
    slow_case = start_case(api, f"{image_server}/slow.png", f"{image_server}/front.png")
    other_case = start_case(api.as_tenant("acme-secret"), f"{image_server}/front.png")
    batch = [rule_message("demo", slow_case, 1), rule_message("acme", other_case, 2)]

    result = invoke(batch, context)

    # Nothing failed, so nothing counts toward the DLQ; what did not fit waits in new copies.
    assert result == {"batchItemFailures": []}
    assert statuses("demo", slow_case) == ["stored", "pending"]
    assert statuses("acme", other_case) == ["pending"]
    copies = handed_back(local_aws)
    assert sorted((m["detail"]["tenantId"], m["detail"]["caseId"]) for m in copies) == sorted(
        [("demo", slow_case), ("acme", other_case)]
    )

    records = [
        {**rule_message("x", "x", n), "body": json.dumps(copy)} for n, copy in enumerate(copies)
    ]
    assert invoke(records, FakeContext(60)) == {"batchItemFailures": []}
    assert statuses("demo", slow_case) == ["stored", "stored"]
    assert statuses("acme", other_case) == ["stored"]
    assert handed_back(local_aws) == []


def test_the_first_fetch_of_an_invocation_always_starts(
    api: Api, local_aws: LocalProvisioner, image_server: str
) -> None:
    """However short the invocation, it makes progress: handing everything back untouched could
    go round forever."""
    case_id = start_case(api, f"{image_server}/front.png", f"{image_server}/front.png")

    assert invoke([rule_message("demo", case_id, 1)], FakeContext(1)) == {"batchItemFailures": []}

    assert statuses("demo", case_id) == ["stored", "pending"]
    [copy] = handed_back(local_aws)
    assert copy["detail"]["caseId"] == case_id
