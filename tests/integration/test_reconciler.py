"""The reconciler over moto in-process: lost executions come back in the case's state and follow
the transitions committed meanwhile; unfinished webhook deliveries are queued again."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.config import get_settings, get_webhook_settings
from chalicelib.dependencies import case_store, webhook_store, workflow_engine
from chalicelib.ids import utc_now
from chalicelib.models.webhooks import DeliveryRecord
from chalicelib.reconciler import STEPS, default_reconciliation, reconcile
from local.environment import REGION
from local.pump import Pump
from tests.conftest import poll
from tests.integration.conftest import Api
from tests.integration.test_auth_api import login
from tests.integration.test_decisions_api import decide, execution_arn, ingest, states_entered


def test_the_resume_entry_starts_the_execution_waiting_in_the_named_state(local_aws: Any) -> None:
    machine = get_settings().state_machine_arn("kyb-manual-review-v1")
    arn = workflow_engine().start_case_execution(
        machine, "case_resume_probe", "demo", resume_at="revision"
    )
    sfn = boto3.client("stepfunctions")

    def waiting_in() -> list[str] | None:
        history = sfn.get_execution_history(executionArn=arn)["events"]
        if not history or history[-1]["type"] != "TaskSubmitted":
            return None
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in history
            if "stateEnteredEventDetails" in e
        ]

    assert poll(waiting_in, timeout=30) == ["ResumeAt__on", "revision"]


def test_a_lost_execution_is_restarted_and_follows_the_transitions_committed_meanwhile(
    api: Api, local_aws: Any, seed_request: dict[str, Any]
) -> None:
    # No pump yet: the case is committed but its execution never started (as after a restore).
    case_id = ingest(api, seed_request)
    case = case_store().get_case("demo", case_id)
    certificate_id = case.documents[1].id
    admin = login(api, "admin@demo.test")["idToken"]
    body = {"decision": "revision", "reason": "blurry_or_unreadable", "expectedVersion": 1}
    marked = decide(api, admin, case_id, body, certificate_id)
    assert marked.status_code == 200, marked.body
    revised = decide(api, admin, case_id, {**body, "expectedVersion": 2})
    assert revised.status_code == 200, revised.body
    assert revised.json_body["state"] == "revision"

    report = reconcile(default_reconciliation())
    assert report["executions"] == {"started": 1}
    assert [s.name for s in STEPS][:3] == ["executions", "webhook_deliveries", "pending_pages"]
    sfn = boto3.client("stepfunctions")
    described = sfn.describe_execution(executionArn=execution_arn(case_id))
    assert json.loads(described["input"])["resumeAt"] == "manual_review"

    from app import app

    pump = Pump(app, local_aws.refs, local_aws.attrs, REGION)
    pump.start()
    try:
        # The new execution parks its token; the transition committed meanwhile is sent to it.
        assert poll(lambda: states_entered(case_id)[-1:] == ["revision"], timeout=30)
        assert states_entered(case_id) == ["manual_review", "revision"]
        # Running again changes nothing: the execution runs and has followed every transition.
        again = reconcile(default_reconciliation(), only=["executions"])
        assert again == {"executions": {"running_in_sync": 1}}
    finally:
        pump.stop()


def test_unfinished_deliveries_are_queued_again(local_aws: Any) -> None:
    now = utc_now()
    record = DeliveryRecord(
        id="msg_reconcile_probe",
        tenant_id="demo",
        subscription_id="default",
        subscription_kind="default",
        url="http://127.0.0.1:9/hook",
        event_id="evt_probe",
        event_type="case.note_added",
        webhook_type="case.note_added",
        case_id="case_probe",
        payload="{}",
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    assert webhook_store().create_delivery(record)

    assert reconcile(default_reconciliation(), only=["webhook_deliveries"]) == {
        "webhook_deliveries": {"queued": 1}
    }
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=get_webhook_settings().queue)["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    queued = json.loads(message["Body"])["webhookDelivery"]
    assert (queued["deliveryId"], queued["attempt"], queued["round"]) == (record.id, 1, 1)
