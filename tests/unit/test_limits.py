"""Values that the infrastructure and the code must agree on (chalicelib/limits.py) still agree,
read from where each side actually uses them: the resources the stack is built from, the
consumers, the settings' defaults."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import limits
from chalicelib.cases import workflow_runtime
from chalicelib.config import get_webhook_settings
from chalicelib.handlers import workflow_tasks
from chalicelib.webhooks.delivery import WebhookDispatcher
from infra.cloud import _timeout
from infra.resources import QUEUE_CONSUMERS, describe_resources


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return describe_resources("kyc-test", frontend_origins=["http://localhost:3000"])


def queues(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::SQS::Queue"
    }


def visibility(resources: dict[str, Any], queue: str) -> int:
    return int(resources[queue]["Properties"]["VisibilityTimeout"])


def test_the_sync_consumer_flags_the_case_on_the_receive_that_dead_letters_it(
    resources: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    receives = {
        q["RedrivePolicy"]["maxReceiveCount"]
        for q in queues(resources).values()
        if "RedrivePolicy" in q
    }
    assert receives == {limits.QUEUE_MAX_RECEIVES}
    sync_queue_receives = resources["WorkflowSyncQueue"]["Properties"]["RedrivePolicy"][
        "maxReceiveCount"
    ]
    flagged: list[int] = []

    def failing_sync(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("Step Functions is down")

    monkeypatch.setattr(workflow_tasks, "case_store", lambda: None)
    monkeypatch.setattr(workflow_tasks, "workflow_engine", lambda: None)
    monkeypatch.setattr(workflow_tasks, "sync_execution", failing_sync)
    for count in range(1, sync_queue_receives + 1):
        monkeypatch.setattr(
            workflow_tasks, "set_case_flag", lambda *a, count=count, **k: flagged.append(count)
        )
        with pytest.raises(RuntimeError):
            workflow_tasks._sync("ten-1", "case-1", count, retry_in_flight=False)
    assert flagged == [sync_queue_receives]


def test_dead_letters_are_kept_as_long_as_the_limit_says(resources: dict[str, Any]) -> None:
    dead_letter_queues = [q for q in queues(resources) if q.endswith("DLQ")]
    assert dead_letter_queues
    for queue in dead_letter_queues:
        retention = resources[queue]["Properties"]["MessageRetentionPeriod"]
        assert retention == limits.DEAD_LETTER_RETENTION_SECONDS, queue


def test_every_consumer_keeps_its_full_timeout_within_its_queue_visibility(
    resources: dict[str, Any],
) -> None:
    # Otherwise infra/cloud.py silently cuts the function's timeout to the visibility timeout.
    for consumer in QUEUE_CONSUMERS:
        timeout = _timeout(consumer.function, limits.CONSUMER_TIMEOUT_SECONDS, resources)
        assert timeout == limits.CONSUMER_TIMEOUT_SECONDS, consumer
        assert timeout <= visibility(resources, consumer.queue), consumer


def test_a_send_lease_runs_out_before_the_sync_message_comes_back(
    resources: dict[str, Any],
) -> None:
    # Both the task-token and the sync consumers send transitions under the lease.
    for queue in ("WorkflowSyncQueue", "WorkflowTaskQueue"):
        assert visibility(resources, queue) > workflow_runtime.SEND_LEASE_SECONDS, queue


def test_a_webhook_batch_ends_within_its_function_and_its_queue_visibility(
    resources: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_INVOCATION_BUDGET_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = get_webhook_settings()
    assert WebhookDispatcher.timeout_seconds == settings.timeout_seconds
    function_timeout = _timeout("webhook_delivery", limits.CONSUMER_TIMEOUT_SECONDS, resources)
    # The last attempt starts before the budget ends and lasts at most the attempt timeout.
    assert settings.invocation_budget_seconds + settings.timeout_seconds < function_timeout
    assert function_timeout <= visibility(resources, "WebhookQueue")
