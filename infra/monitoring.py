"""Alarms and the CloudWatch dashboard, derived from the resources in the template.

Alarms: depth of every dead-letter queue (any queue named as a DLQ in a redrive policy, plus the
stream failure queues), errors and throttles of every function, failed executions of every state
machine, and 5xx answers of the API. All go to one SNS topic (optionally mailed).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.observability import METRICS_NAMESPACE, SERVICE
from infra.functions import get_att, ref, sub

PERIOD_SECONDS = 300


def dead_letter_queues(resources: dict[str, Any]) -> list[str]:
    found = set()
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::SQS::Queue":
            continue
        target = resource["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if isinstance(target, dict) and "Fn::GetAtt" in target:
            found.add(target["Fn::GetAtt"][0])
        if logical_id.endswith("StreamFailedQueue"):
            found.add(logical_id)
    return sorted(found)


def _of_type(resources: dict[str, Any], kind: str) -> list[str]:
    return sorted(k for k, v in resources.items() if v["Type"] == kind)


def _alarm(
    name: str, namespace: str, metric: str, dimensions: dict[str, Any], statistic: str = "Sum"
) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": sub(f"${{ResourcePrefix}}-{name}"),
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Statistic": statistic,
            "Period": PERIOD_SECONDS,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            # No data means nothing happened: idle stages stay quiet.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("AlarmTopic")],
        },
    }


def add_alarms(resources: dict[str, Any], api_stage: str) -> None:
    resources["AlarmTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"DisplayName": sub("${ResourcePrefix} alarms")},
    }
    resources["AlarmEmailSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Condition": "HasAlarmEmail",
        "Properties": {
            "TopicArn": ref("AlarmTopic"),
            "Protocol": "email",
            "Endpoint": ref("AlarmEmail"),
        },
    }
    alarms: dict[str, Any] = {}
    for queue in dead_letter_queues(resources):
        alarms[f"{queue}DepthAlarm"] = _alarm(
            f"{queue}-depth",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": get_att(queue, "QueueName")},
            statistic="Maximum",
        )
    for function in _of_type(resources, "AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            alarms[f"{function}{metric}Alarm"] = _alarm(
                f"{function}-{metric.lower()}",
                "AWS/Lambda",
                metric,
                {"FunctionName": ref(function)},
            )
    for machine in _of_type(resources, "AWS::StepFunctions::StateMachine"):
        alarms[f"{machine}FailedAlarm"] = _alarm(
            f"{machine}-failed", "AWS/States", "ExecutionsFailed", {"StateMachineArn": ref(machine)}
        )
    alarms["Api5xxAlarm"] = _alarm(
        "api-5xx",
        "AWS/ApiGateway",
        "5XXError",
        {"ApiName": sub("${ResourcePrefix}-api"), "Stage": api_stage},
    )
    resources.update(alarms)


def add_dashboard(resources: dict[str, Any], api_stage: str) -> None:
    functions = _of_type(resources, "AWS::Serverless::Function")
    queues = _of_type(resources, "AWS::SQS::Queue")
    dlqs = set(dead_letter_queues(resources))
    machines = _of_type(resources, "AWS::StepFunctions::StateMachine")
    tables = _of_type(resources, "AWS::DynamoDB::Table")
    api = ["ApiName", "${ResourcePrefix}-api", "Stage", api_stage]
    widgets = [
        _metrics(
            "API requests and errors",
            [["AWS/ApiGateway", m, *api] for m in ("Count", "4XXError", "5XXError")],
        ),
        _metrics(
            "API latency (p50, p99)",
            [["AWS/ApiGateway", "Latency", *api, {"stat": s}] for s in ("p50", "p99")],
            stat="p99",
        ),
        _search(
            "Business metrics (cases, decisions, webhooks, token sends)",
            f"SEARCH('{{{METRICS_NAMESPACE},service}} service=\"{SERVICE}\"', "
            f"'Sum', {PERIOD_SECONDS})",
        ),
        *(
            _metrics(
                f"Lambda {metric}",
                [["AWS/Lambda", metric, "FunctionName", f"${{{f}}}"] for f in functions],
                stat=stat,
            )
            for metric, stat in (
                ("Invocations", "Sum"),
                ("Errors", "Sum"),
                ("Throttles", "Sum"),
                ("Duration", "p99"),
                ("ConcurrentExecutions", "Maximum"),
            )
        ),
        _metrics(
            "Queue backlog (messages visible)",
            [
                [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    f"${{{q}.QueueName}}",
                ]
                for q in queues
                if q not in dlqs
            ],
            stat="Maximum",
        ),
        _metrics(
            "Age of oldest message (s)",
            [
                ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", f"${{{q}.QueueName}}"]
                for q in queues
                if q not in dlqs
            ],
            stat="Maximum",
        ),
        _metrics(
            "Dead-letter queues (must stay 0)",
            [
                [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    f"${{{q}.QueueName}}",
                ]
                for q in sorted(dlqs)
            ],
            stat="Maximum",
        ),
        *(
            _metrics(
                f"Step Functions {metric}",
                [["AWS/States", metric, "StateMachineArn", f"${{{m}}}"] for m in machines],
            )
            for metric in ("ExecutionsStarted", "ExecutionsFailed")
        ),
        _metrics(
            "DynamoDB consumed capacity and throttles",
            [
                ["AWS/DynamoDB", metric, "TableName", f"${{{t}}}"]
                for t in tables
                for metric in (
                    "ConsumedReadCapacityUnits",
                    "ConsumedWriteCapacityUnits",
                    "ThrottledRequests",
                )
            ],
        ),
    ]
    for index, widget in enumerate(widgets):
        widget.update(x=(index % 2) * 12, y=(index // 2) * 6, width=12, height=6)
    body = json.dumps({"widgets": widgets}, separators=(",", ":"))
    resources["Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": sub("${ResourcePrefix}"), "DashboardBody": sub(body)},
    }


def _metrics(title: str, metrics: list[list[Any]], stat: str = "Sum") -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "view": "timeSeries",
            "period": PERIOD_SECONDS,
            "stat": stat,
            "metrics": metrics,
        },
    }


def _search(title: str, expression: str) -> dict[str, Any]:
    return _metrics(title, [[{"expression": expression, "id": "e1"}]])
