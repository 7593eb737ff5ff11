"""The one description of the project's AWS resources, as CloudFormation.

`local/provision.py` creates these resources in the local stack through the AWS APIs, and the
deploy package merges the same description into `chalice package` output, so the local stack
and the cloud cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.aws.dynamodb import INBOX_INDEXES, INBOX_ROW_ATTRIBUTES
from chalicelib.limits import (
    DEAD_LETTER_RETENTION_SECONDS,
    DOCUMENT_FETCH_QUEUE_VISIBILITY_SECONDS,
    METRICS_QUEUE_VISIBILITY_SECONDS,
    PLUGIN_QUEUE_VISIBILITY_SECONDS,
    QUEUE_MAX_RECEIVES,
    SLA_QUEUE_VISIBILITY_SECONDS,
    WEBHOOK_QUEUE_VISIBILITY_SECONDS,
    WORKFLOW_QUEUE_VISIBILITY_SECONDS,
)
from chalicelib.models.events import EVENT_SOURCE, Rule, detail_types
from chalicelib.workflows.asl import compile_to_asl
from chalicelib.workflows.registry import bundled_definitions

TASK_QUEUE_PLACEHOLDER = "${TaskQueueUrl}"
PLUGIN_QUEUE_PLACEHOLDER = "${PluginQueueUrl}"


@dataclass(frozen=True)
class QueueConsumer:
    """A queue and the Chalice `lambda_function` that consumes it (Lambda event source mapping)."""

    queue: str
    function: str
    batch_size: int = 10


# Which handler consumes which queue / stream: used by the local pump and by the deploy package.
QUEUE_CONSUMERS: tuple[QueueConsumer, ...] = (
    QueueConsumer("WorkflowStarterQueue", "workflow_starter"),
    QueueConsumer("WorkflowTaskQueue", "workflow_task_tokens"),
    # Runs the plugins (vendor checks) of the executions' plugin steps and reviewers' re-runs.
    QueueConsumer("PluginQueue", "plugin_worker", batch_size=1),
    QueueConsumer("DocumentFetchQueue", "document_fetch", batch_size=5),
    # Moves each case's execution on after a committed transition, retrying until it moves.
    QueueConsumer("WorkflowSyncQueue", "workflow_sync"),
    # Webhook fan-out, attempts and retries (domain events and queued attempts share the queue).
    QueueConsumer("WebhookQueue", "webhook_delivery"),
    # Counts domain events into the analytics aggregates (docs/analytics.md).
    QueueConsumer("MetricsQueue", "metrics_consumer"),
    # Arms SLA timers after each transition and fires them at their deadline (docs/sla.md).
    QueueConsumer("SlaQueue", "sla_timers"),
)
STREAM_CONSUMERS: dict[str, str] = {"CasesTable": "outbox_publisher"}


@dataclass(frozen=True)
class ScheduledFunction:
    """A Chalice `lambda_function` run on a clock: an EventBridge schedule in the cloud, a timer
    thread in the local pump (every `local_seconds`, so tests and demos need not wait minutes)."""

    function: str
    expression: str
    local_seconds: float


SCHEDULED_FUNCTIONS: tuple[ScheduledFunction, ...] = (
    # Collection reminders before a round's links expire, and the expiry flag (docs/collection.md).
    ScheduledFunction("collection_timers", "rate(5 minutes)", local_seconds=5.0),
)


def stream_failure_queue(table: str) -> str:
    """The queue a stream consumer's records go to once retries are exhausted (Lambda's
    on-failure destination in the cloud; the local pump sends them there as well)."""
    return f"{table}StreamFailedQueue"


def _stream_failure_queues(prefix: str) -> dict[str, Any]:
    return {
        stream_failure_queue(table): {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{prefix}-{_kebab(table)}-stream-failed",
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        }
        for table in STREAM_CONSUMERS
    }


def resource_names(prefix: str) -> dict[str, str]:
    """Physical names, so handlers can be configured before anything is created."""
    return {
        "CasesTable": f"{prefix}-cases",
        "IdempotencyTable": f"{prefix}-idempotency",
        "DocumentsBucket": f"{prefix}-documents",
        "EventBus": f"{prefix}-events",
        "UserPool": f"{prefix}-reviewers",
        "WebhooksTable": f"{prefix}-webhooks",
        "AnalyticsTable": f"{prefix}-analytics",
    }


def _queue_pair(name: str, prefix: str, visibility_timeout: int) -> dict[str, Any]:
    dlq = f"{name}DLQ"
    return {
        dlq: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{prefix}-{_kebab(name)}-dlq",
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        name: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{prefix}-{_kebab(name)}",
                "VisibilityTimeout": visibility_timeout,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                    "maxReceiveCount": QUEUE_MAX_RECEIVES,
                },
            },
        },
    }


def _kebab(name: str) -> str:
    out = "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
    return out.removesuffix("-queue")


def _rule(bus: str, name: str, pattern: dict[str, Any], queue: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Name": name,
            "EventBusName": {"Fn::GetAtt": [bus, "Name"]},
            "EventPattern": pattern,
            "State": "ENABLED",
            "Targets": [{"Id": queue, "Arn": {"Fn::GetAtt": [queue, "Arn"]}}],
        },
    }


def private_bucket_properties() -> dict[str, Any]:
    """Every bucket of the project: no public access, encrypted at rest."""
    return {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
    }


def _index(name: str, pk: str, sk: str, project: list[str] | None = None) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": "ALL"}
    if project:
        projection = {"ProjectionType": "INCLUDE", "NonKeyAttributes": project}
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": pk, "KeyType": "HASH"},
            {"AttributeName": sk, "KeyType": "RANGE"},
        ],
        "Projection": projection,
    }


def _webhook_resources(prefix: str) -> dict[str, Any]:
    """Webhooks (docs/webhooks.md): the rule sends the five event types to the webhook queue,
    whose consumer also re-queues its own delayed attempts there; subscriptions, deliveries and
    attempts live in their own table (four GSIs on deliveries: all, by subscription, by status,
    by event; all sorted by `gsisk`)."""
    resources: dict[str, Any] = {
        "WebhooksTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": resource_names(prefix)["WebhooksTable"],
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": a, "AttributeType": "S"}
                    for a in ("pk", "sk", "gsi1pk", "gsi2pk", "gsi3pk", "gsi4pk", "gsisk")
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "GlobalSecondaryIndexes": [
                    _index(index, f"{index}pk", "gsisk")
                    for index in ("gsi1", "gsi2", "gsi3", "gsi4")
                ],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        # The consumer stops starting attempts after its invocation budget (chalicelib/limits.py),
        # so a batch ends within the function's timeout, itself within this visibility timeout.
        **_queue_pair("WebhookQueue", prefix, visibility_timeout=WEBHOOK_QUEUE_VISIBILITY_SECONDS),
    }
    resources[Rule.WEBHOOKS.value] = _rule(
        "EventBus",
        f"{prefix}-webhook-events",
        {"source": [EVENT_SOURCE], "detail-type": detail_types(Rule.WEBHOOKS)},
        "WebhookQueue",
    )
    return resources


def _analytics_resources(prefix: str) -> dict[str, Any]:
    """Analytics (docs/analytics.md): the metrics rule sends the counted events to the metrics
    queue; aggregates and seen-markers (expiring) live in their own table, which has no stream:
    counter updates are not domain events."""
    resources: dict[str, Any] = {
        "AnalyticsTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": resource_names(prefix)["AnalyticsTable"],
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        **_queue_pair("MetricsQueue", prefix, visibility_timeout=METRICS_QUEUE_VISIBILITY_SECONDS),
    }
    resources.update(
        _queue_pair("SlaQueue", prefix, visibility_timeout=SLA_QUEUE_VISIBILITY_SECONDS)
    )
    resources[Rule.SLA.value] = _rule(
        "EventBus",
        f"{prefix}-sla-events",
        {"source": [EVENT_SOURCE], "detail-type": detail_types(Rule.SLA)},
        "SlaQueue",
    )
    resources[Rule.METRICS.value] = _rule(
        "EventBus",
        f"{prefix}-metrics-events",
        {"source": [EVENT_SOURCE], "detail-type": detail_types(Rule.METRICS)},
        "MetricsQueue",
    )
    return resources


# The key attributes of the cases table and its indexes (`approvalpk`: pending approvals only;
# `slapk`/`slask`: open cases with an SLA deadline only).
CASE_KEY_ATTRIBUTES = (
    "pk",
    "sk",
    "gsi1pk",
    "gsi1sk",
    "gsi2pk",
    "gsi2sk",
    "gsi3pk",
    "updsk",
    "approvalpk",
    "slapk",
    "slask",
)


def describe_resources(prefix: str, *, frontend_origins: list[str]) -> dict[str, Any]:
    names = resource_names(prefix)
    resources: dict[str, Any] = {
        "CasesTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": names["CasesTable"],
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": a, "AttributeType": "S"} for a in CASE_KEY_ATTRIBUTES
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "GlobalSecondaryIndexes": [
                    _index("gsi1", "gsi1pk", "gsi1sk"),
                    _index("gsi2", "gsi2pk", "gsi2sk"),
                    *(
                        _index(name, pk, sk, project=list(INBOX_ROW_ATTRIBUTES))
                        for name, pk, sk in dict.fromkeys(INBOX_INDEXES.values())
                        if name != "gsi2"
                    ),
                ],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        "IdempotencyTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": names["IdempotencyTable"],
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        "DocumentsBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": names["DocumentsBucket"],
                **private_bucket_properties(),
                "VersioningConfiguration": {"Status": "Enabled"},
                "CorsConfiguration": {
                    "CorsRules": [
                        {
                            # POST: the customer page uploads pages straight to S3.
                            "AllowedMethods": ["GET", "HEAD", "POST"],
                            "AllowedOrigins": frontend_origins,
                            "AllowedHeaders": ["*"],
                            "MaxAge": 3600,
                        }
                    ]
                },
            },
        },
        "EventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": names["EventBus"]}},
        "StateMachineRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "states.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "send-task-tokens",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "sqs:SendMessage",
                                    "Resource": [
                                        {"Fn::GetAtt": ["WorkflowTaskQueue", "Arn"]},
                                        {"Fn::GetAtt": ["PluginQueue", "Arn"]},
                                    ],
                                }
                            ],
                        },
                    }
                ],
            },
        },
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": names["UserPool"],
                "UsernameAttributes": ["email"],
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                    }
                },
                "Schema": [
                    {"Name": "email", "AttributeDataType": "String", "Required": True},
                    {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
                ],
            },
        },
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "ClientName": f"{prefix}-backoffice",
                "UserPoolId": {"Ref": "UserPool"},
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
            },
        },
    }
    workflow_visibility = WORKFLOW_QUEUE_VISIBILITY_SECONDS
    resources.update(_queue_pair("WorkflowTaskQueue", prefix, workflow_visibility))
    resources.update(_queue_pair("WorkflowStarterQueue", prefix, workflow_visibility))
    resources.update(_queue_pair("PluginQueue", prefix, PLUGIN_QUEUE_VISIBILITY_SECONDS))
    resources.update(
        _queue_pair("DocumentFetchQueue", prefix, DOCUMENT_FETCH_QUEUE_VISIBILITY_SECONDS)
    )
    # Every committed transition is followed by Step Functions: the request path sends the task
    # token at once, and this queue retries whatever could not be sent (see workflow_runtime).
    resources.update(_queue_pair("WorkflowSyncQueue", prefix, workflow_visibility))
    # Which events each rule matches comes from the event registry (chalicelib.models.events).
    resources[Rule.WORKFLOW_SYNC.value] = _rule(
        "EventBus",
        f"{prefix}-case-state-changed-sync-workflow",
        {"source": [EVENT_SOURCE], "detail-type": detail_types(Rule.WORKFLOW_SYNC)},
        "WorkflowSyncQueue",
    )
    resources[Rule.WORKFLOW_START.value] = _rule(
        "EventBus",
        f"{prefix}-case-created-start-workflow",
        {"source": [EVENT_SOURCE], "detail-type": detail_types(Rule.WORKFLOW_START)},
        "WorkflowStarterQueue",
    )
    # A run that changed the entity (or resubmitted it) has its ingest plugins run again.
    resources[Rule.PLUGINS.value] = _rule(
        "EventBus",
        f"{prefix}-context-updated-plugins",
        {"source": [EVENT_SOURCE], "detail-type": detail_types(Rule.PLUGINS)},
        "PluginQueue",
    )
    resources[Rule.PAGE_FETCH.value] = _rule(
        "EventBus",
        f"{prefix}-pages-pending-fetch",
        {
            "source": [EVENT_SOURCE],
            "detail-type": detail_types(Rule.PAGE_FETCH),
            "detail": {"data": {"pendingPageCount": [{"numeric": [">", 0]}]}},
        },
        "DocumentFetchQueue",
    )
    resources.update(_webhook_resources(prefix))
    resources.update(_analytics_resources(prefix))
    resources.update(_stream_failure_queues(prefix))
    for definition in bundled_definitions():
        asl = compile_to_asl(
            definition,
            task_queue_url=TASK_QUEUE_PLACEHOLDER,
            plugin_queue_url=PLUGIN_QUEUE_PLACEHOLDER,
        )
        logical_id = "StateMachine" + "".join(
            part.title() for part in definition.state_machine_name.split("-")
        )
        resources[logical_id] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": f"{prefix}-{definition.state_machine_name}",
                "StateMachineType": "STANDARD",
                "RoleArn": {"Fn::GetAtt": ["StateMachineRole", "Arn"]},
                "DefinitionString": {
                    "Fn::Sub": [
                        json.dumps(asl, separators=(",", ":")),
                        {
                            "TaskQueueUrl": {"Ref": "WorkflowTaskQueue"},
                            "PluginQueueUrl": {"Ref": "PluginQueue"},
                        },
                    ]
                },
            },
        }
    return resources
