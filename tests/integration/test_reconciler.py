"""The reconciler over moto in-process: lost executions come back in the case's state and follow
the transitions committed meanwhile; unfinished webhook deliveries are queued again; lost SLA
timers are armed again and a case past its deadline breaches at once."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.config import get_settings, get_webhook_settings
from chalicelib.dependencies import (
    case_store,
    sla_settings,
    webhook_store,
    workflow_engine,
)
from chalicelib.ids import utc_now
from chalicelib.models.sla import SlaSettings
from chalicelib.models.webhooks import DeliveryRecord
from chalicelib.reconciler import STEPS, default_reconciliation, reconcile
from local.child_stack import states_entered as chart_states_entered
from local.environment import PREFIX, REGION
from local.pump import Pump
from tests.conftest import poll
from tests.integration.conftest import RUN, Api, ingest, running_pipeline
from tests.integration.test_auth_api import login
from tests.integration.test_backoffice_api import Reviewers
from tests.integration.test_decisions_api import (
    decide,
    execution_arn,
    settled_transition,
    states_entered,
)
from tests.integration.test_definitions_api import DEFINITIONS, own_definition
from tests.integration.test_ingestion_api import individual_run


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

    assert poll(waiting_in) == ["ResumeAt__on", "revision"]


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
    assert report["state_machines"] == {}  # none published
    assert [s.name for s in STEPS][:5] == [
        "state_machines",
        "executions",
        "webhook_deliveries",
        "pending_pages",
        "sla_timers",
    ]
    sfn = boto3.client("stepfunctions")
    described = sfn.describe_execution(executionArn=execution_arn(case_id))
    assert json.loads(described["input"])["resumeAt"] == "manual_review"

    from app import app

    pump = Pump(app, local_aws.refs, local_aws.attrs, REGION)
    pump.start()
    try:
        # The new execution parks its token; the transition committed meanwhile is sent to it.
        assert poll(lambda: states_entered(case_id)[-1:] == ["revision"])
        assert states_entered(case_id) == ["manual_review", "revision"]
        # Running again changes nothing: the execution runs and has followed every transition
        # (once the consumer has finished the transition's bookkeeping, just after the send).
        settled_transition(case_id)
        again = reconcile(default_reconciliation(), only=["executions"])
        assert again == {"executions": {"running_in_sync": 1}}
    finally:
        pump.stop()


def test_a_case_stopped_before_its_screening_resumes_at_the_screening(
    api: Api, local_aws: Any
) -> None:
    # Committed, but its execution never ran the ingest plugin (as after a stop mid-step).
    response = api.post(RUN, individual_run("resume-screening"))
    assert response.status_code == 201, response.body
    case_id = response.json_body["workflowRuntimeId"]
    assert case_store().get_case("demo", case_id).vendor_results == {}

    assert reconcile(default_reconciliation(), only=["executions"]) == {
        "executions": {"started": 1}
    }
    sfn = boto3.client("stepfunctions")
    arn = execution_arn(case_id, "kyc-manual-review-v1")
    assert json.loads(sfn.describe_execution(executionArn=arn)["input"])["resumeAt"] == (
        "sanctions__plugin"
    )

    def waiting_in() -> str | None:
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        if not history or history[-1]["type"] != "TaskSubmitted":
            return None
        entered = [
            e["stateEnteredEventDetails"]["name"]
            for e in history
            if "stateEnteredEventDetails" in e
        ]
        return entered[-1]

    with running_pipeline(local_aws):
        # The screening runs, is recorded, and the execution goes on to wait for review.
        assert poll(lambda: waiting_in() == "manual_review", timeout=60)
    assert "sanctions" in case_store().get_case("demo", case_id).vendor_results


def test_a_case_stopped_before_its_states_plugins_resumes_at_them(api: Api, local_aws: Any) -> None:
    """A plugin run on entering a state: an execution lost before it recorded its result is
    replaced by one that runs it (it used to start waiting in the state and skip it)."""
    admin = Reviewers(api)("admin@demo.test")
    screening = own_definition()["plugins"][0]
    rescreen = {**screening, "name": "rescreen", "when": {"state": "manual_review"}}
    chart = own_definition(id="demo-rescreen", plugins=[screening, rescreen])
    published = admin.post(DEFINITIONS, {"definition": chart})
    assert published.status_code == 201, published.body
    machine = published.json_body["stateMachineName"]
    # No pipeline: the ingest screening is recorded, the state's plugin never ran.
    case_id = ingest(api, individual_run("resume-state-plugin", workflowId="demo-rescreen"))
    assert set(case_store().get_case("demo", case_id).vendor_results) == {"sanctions"}

    assert reconcile(default_reconciliation(), only=["executions"]) == {
        "executions": {"started": 1}
    }
    sfn = boto3.client("stepfunctions")
    arn = execution_arn(case_id, machine.removeprefix(f"{get_settings().resource_prefix}-"))
    assert json.loads(sfn.describe_execution(executionArn=arn)["input"])["resumeAt"] == (
        "manual_review__rescreen__plugin"
    )

    with running_pipeline(local_aws):
        # The state's plugin runs, is recorded, and the execution goes on to wait for review.
        poll(lambda: case_store().get_case("demo", case_id).task_token_state == "manual_review")
    recorded = case_store().get_case("demo", case_id).vendor_results["rescreen"]
    assert (recorded.trigger, recorded.status) == ("state", "succeeded")
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert chart_states_entered(history, plugin_steps=True) == [
        "manual_review__rescreen__plugin",
        "manual_review",
    ]


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


def test_lost_sla_timers_are_armed_again_and_a_passed_deadline_breaches_at_once(
    api: Api, local_aws: Any, seed_request: dict[str, Any]
) -> None:
    # No pump yet: the case is committed, its arming event never reached the SLA consumer.
    case_id = ingest(api, seed_request)
    case = case_store().get_case("demo", case_id)
    sla_settings().put(
        "demo", SlaSettings(workflows={case.workflow_definition_id: {case.state: 1}})
    )
    assert case.sla_timer is None
    assert reconcile(default_reconciliation(), only=["sla_timers"]) == {"sla_timers": {"armed": 1}}
    armed = case_store().get_case("demo", case_id).sla_timer
    assert armed.generation == 1 and armed.entered_at == case.created_at
    # The timer message is lost too (a restore cannot keep queued messages): a new generation.
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=f"{PREFIX}-sla")["QueueUrl"])
    assert reconcile(default_reconciliation(), only=["sla_timers"]) == {
        "sla_timers": {"rearmed": 1}
    }
    rearmed = case_store().get_case("demo", case_id).sla_timer
    assert (rearmed.generation, rearmed.due_at) == (2, armed.due_at)

    from app import app

    pump = Pump(app, local_aws.refs, local_aws.attrs, REGION)
    pump.start()
    try:
        breached = poll(
            lambda: (
                (c := case_store().get_case("demo", case_id)).sla_timer.status == "breached" and c
            ),
        )
        assert "sla_breached" in breached.flags
        breaches = [
            r for r in case_store().list_audit("demo", case_id) if r.action == "case.sla_breached"
        ]
        assert [r.details["generation"] for r in breaches] == [2]
        assert reconcile(default_reconciliation(), only=["sla_timers"]) == {
            "sla_timers": {"unchanged": 1}
        }
    finally:
        pump.stop()
