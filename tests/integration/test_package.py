"""The deploy package: `chalice package` + infra/, linted, checked and deployed into moto.

Builds the package once per module into a temporary directory (the same code `make package`
runs), so it never disturbs a `build/package` someone else is using.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.models.events import EVENT_SOURCE, Rule, detail_types
from infra import package
from infra.cloud import functions_by_name
from infra.functions import CLOUD_USES_DEFAULT, WILDCARD_RESOURCE_REASONS
from infra.monitoring import dead_letter_queues
from infra.resources import (
    QUEUE_CONSUMERS,
    SCHEDULED_FUNCTIONS,
    STREAM_CONSUMERS,
    describe_resources,
)
from local.environment import PREFIX, REGION
from local.provision import provision

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCAL_ORIGIN = "http://localhost:3000"
PUBLIC_ACCESS_BLOCK = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package.build_package(tmp_path_factory.mktemp("package"))


@pytest.fixture(scope="module")
def template(built: Path) -> dict[str, Any]:
    return json.loads(built.read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


# -- the artefacts and cfn-lint -------------------------------------------------------------------
def test_package_writes_the_template_next_to_the_lambda_zip(built: Path) -> None:
    assert built.name == "sam.json"
    assert (built.parent / "deployment.zip").stat().st_size > 0


def test_the_lambda_zip_ships_compiled_modules(built: Path) -> None:
    """Lambda cannot write bytecode caches: every module ships compiled, valid without mtimes."""
    import importlib.util
    import zipfile

    with zipfile.ZipFile(built.parent / "deployment.zip") as archive:
        names = set(archive.namelist())
        sources = [n for n in names if n.endswith(".py")]
        assert "app.py" in sources
        missing = [n for n in sources if importlib.util.cache_from_source(n) not in names]
        assert missing == []
        pyc = archive.read(importlib.util.cache_from_source("chalicelib/config.py"))
    flags = int.from_bytes(pyc[4:8], "little")
    assert flags == 0b01  # hash-based, unchecked (PEP 552)


def test_the_lambda_zip_holds_no_local_stack_code(built: Path) -> None:
    """`local/` (e.g. the `LOCAL_FAULT` fault injection) must never reach a deployment."""
    import zipfile

    with zipfile.ZipFile(built.parent / "deployment.zip") as archive:
        names = archive.namelist()
        assert [n for n in names if n.startswith(("local/", "tests/"))] == []
        shipped = [archive.read(n) for n in names if n.endswith(".py")]
    assert not any(b"LOCAL_FAULT" in source for source in shipped)


def test_template_passes_cfn_lint(built: Path) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", "--regions", REGION, "--", str(built)],
        capture_output=True,
        text=True,
        check=False,
    )
    matches = json.loads(result.stdout or "[]")
    errors = [m for m in matches if m["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=1)
    assert result.returncode & 2 == 0, result.stderr


# -- data stores ----------------------------------------------------------------------------------
def test_tables_are_encrypted_recoverable_on_demand_and_retained(resources: dict) -> None:
    tables = of_type(resources, "AWS::DynamoDB::Table")
    assert {"CasesTable", "IdempotencyTable"} <= set(tables)
    for logical_id, table in tables.items():
        props = table["Properties"]
        assert props["SSESpecification"]["SSEEnabled"] is True, logical_id
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], logical_id
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain", logical_id
    cases = tables["CasesTable"]["Properties"]
    assert cases["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert {i["IndexName"] for i in cases["GlobalSecondaryIndexes"]} >= {"gsi1", "gsi2"}
    ttl = tables["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}


def test_buckets_are_private_and_encrypted(resources: dict) -> None:
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert {"DocumentsBucket", "FrontendBucket"} <= set(buckets)
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        block = props["PublicAccessBlockConfiguration"]
        assert set(block) == set(PUBLIC_ACCESS_BLOCK), logical_id
        assert all(block[k] is True for k in PUBLIC_ACCESS_BLOCK), logical_id
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    documents = buckets["DocumentsBucket"]
    assert documents["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert documents["DeletionPolicy"] == "Retain"
    cors = documents["Properties"]["CorsConfiguration"]["CorsRules"][0]
    assert cors["AllowedOrigins"] == [{"Fn::Sub": "https://${FrontendDistribution.DomainName}"}]
    lifecycle = documents["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0


def test_secrets_are_generated_in_secrets_manager_and_never_in_the_environment(
    resources: dict,
) -> None:
    secrets = of_type(resources, "AWS::SecretsManager::Secret")
    assert {"ApiKeyPepperSecret", "CursorSigningKeySecret", "WebhookSecret"} <= set(secrets)
    for secret in secrets.values():
        assert "GenerateSecretString" in secret["Properties"]
        assert "SecretString" not in secret["Properties"]
    for function in of_type(resources, "AWS::Serverless::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["API_KEY_PEPPER_SECRET_ARN"] == {"Ref": "ApiKeyPepperSecret"}
        assert variables["WEBHOOK_SECRET_ARN"] == {"Ref": "WebhookSecret"}
        assert variables["CURSOR_SIGNING_KEY_SECRET_ARN"] == {"Ref": "CursorSigningKeySecret"}
        for name in ("API_KEY_PEPPER", "WEBHOOK_SECRET", "CURSOR_SIGNING_KEY"):
            assert name not in variables


# -- messaging: every queue has a DLQ, every consumer reports partial batch failures --------------
def test_every_queue_has_a_dead_letter_queue_and_is_encrypted(resources: dict) -> None:
    queues = of_type(resources, "AWS::SQS::Queue")
    dlqs = set(dead_letter_queues(resources))
    for logical_id, queue in queues.items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId"), logical_id
        if logical_id in dlqs:
            continue
        redrive = props["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in dlqs, logical_id
        assert redrive["maxReceiveCount"] >= 1


def test_consumers_are_triggered_with_partial_batch_failures(resources: dict) -> None:
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    by_source = {json.dumps(m["Properties"]["EventSourceArn"]): m["Properties"] for m in mappings}
    for consumer in QUEUE_CONSUMERS:
        props = by_source[json.dumps({"Fn::GetAtt": [consumer.queue, "Arn"]})]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BatchSize"] == consumer.batch_size
        function = resources[props["FunctionName"]["Ref"]]["Properties"]
        assert function["Timeout"] <= resources[consumer.queue]["Properties"]["VisibilityTimeout"]
    for table in STREAM_CONSUMERS:
        props = by_source[json.dumps({"Fn::GetAtt": [table, "StreamArn"]})]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        failure_queue = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        assert failure_queue in dead_letter_queues(resources)


def test_eventbridge_may_send_to_each_rule_target_queue_only_from_that_rule(
    resources: dict,
) -> None:
    policies = of_type(resources, "AWS::SQS::QueuePolicy").values()
    allowed = {
        (
            s["Resource"]["Fn::GetAtt"][0],
            s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0],
        )
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    }
    for rule_id, rule in of_type(resources, "AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            if resources[target["Arn"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue":
                assert (target["Arn"]["Fn::GetAtt"][0], rule_id) in allowed


def test_each_rule_routes_exactly_the_events_the_registry_gives_it(resources: dict) -> None:
    rules = {
        rule_id: rule
        for rule_id, rule in of_type(resources, "AWS::Events::Rule").items()
        if "EventPattern" in rule["Properties"]
    }
    assert set(rules) == {rule.value for rule in Rule}
    for rule in Rule:
        pattern = rules[rule.value]["Properties"]["EventPattern"]
        assert pattern["source"] == [EVENT_SOURCE]
        assert pattern["detail-type"] == detail_types(rule), rule


def test_each_scheduled_function_runs_on_its_schedule_and_only_the_rule_may_invoke_it(
    template: dict,
) -> None:
    resources = template["Resources"]
    functions = functions_by_name(template)
    schedules = {
        rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]: (rule_id, rule)
        for rule_id, rule in of_type(resources, "AWS::Events::Rule").items()
        if "ScheduleExpression" in rule["Properties"]
    }
    assert len(schedules) == len(SCHEDULED_FUNCTIONS)
    permissions = of_type(resources, "AWS::Lambda::Permission").values()
    for scheduled in SCHEDULED_FUNCTIONS:
        rule_id, rule = schedules[functions[scheduled.function]]
        assert rule["Properties"]["ScheduleExpression"] == scheduled.expression
        assert "EventBusName" not in rule["Properties"]  # schedules run on the default bus
        assert any(
            p["Properties"]["FunctionName"] == {"Ref": functions[scheduled.function]}
            and p["Properties"]["Principal"] == "events.amazonaws.com"
            and p["Properties"]["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}
            for p in permissions
        )


# -- observability --------------------------------------------------------------------------------
def test_alarms_cover_dlqs_function_errors_and_throttles(resources: dict) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm").values()
    watched = {
        (a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms
    }
    for queue in dead_letter_queues(resources):
        value = json.dumps({"Fn::GetAtt": [queue, "QueueName"]})
        assert ("ApproximateNumberOfMessagesVisible", value) in watched, queue
    for function in of_type(resources, "AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            assert (metric, json.dumps({"Ref": function})) in watched, (function, metric)
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_dashboard_charts_every_function_and_queue(resources: dict) -> None:
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    charted = json.dumps(widgets)
    assert len(widgets) >= 8
    for logical_id in of_type(resources, "AWS::Serverless::Function"):
        assert f"${{{logical_id}}}" in charted
    for logical_id in of_type(resources, "AWS::SQS::Queue"):
        assert f"${{{logical_id}.QueueName}}" in charted


def test_functions_log_with_powertools_without_xray(resources: dict) -> None:
    for logical_id, function in of_type(resources, "AWS::Serverless::Function").items():
        props = function["Properties"]
        variables = props["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "backoffice"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "KycBackoffice"
        assert props.get("Tracing") != "Active", logical_id
        log_group = resources[f"{logical_id}LogGroup"]["Properties"]
        assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_document_fetch_timeout_fits_a_whole_fetch_and_matches_the_local_pump(
    resources: dict,
) -> None:
    """The consumer starts a fetch only while one fits in what is left of the invocation, so
    the function must fit a few; the local pump gives handlers the same time as the cloud."""
    from chalicelib.documents.remote_fetch import FetchPolicy
    from chalicelib.handlers.document_fetch import BUDGET_MARGIN_SECONDS
    from local.pump import FUNCTION_TIMEOUT_MS

    function = resources["DocumentFetch"]["Properties"]
    assert function["Timeout"] >= BUDGET_MARGIN_SECONDS + 2 * FetchPolicy().timeout_seconds
    assert function["Timeout"] * 1000 == FUNCTION_TIMEOUT_MS


def test_every_setting_config_reads_is_provided_in_the_cloud(resources: dict) -> None:
    """A setting added to chalicelib/config.py must be set in infra/functions.py (or declared
    as fine with its default there), or the cloud silently runs on the local default."""
    source = (PROJECT_DIR / "chalicelib" / "config.py").read_text()
    read = set(re.findall(r"""env\.get\(\s*["']([A-Z0-9_]+)["']""", source))
    provided = next(iter(of_type(resources, "AWS::Serverless::Function").values()))
    variables = provided["Properties"]["Environment"]["Variables"]
    missing = {
        name
        for name in read
        if name not in variables
        and f"{name}_SECRET_ARN" not in variables
        and name not in CLOUD_USES_DEFAULT
    }
    assert not missing, f"add to function_environment() in infra/functions.py: {sorted(missing)}"


# -- least privilege ------------------------------------------------------------------------------
def policy_statements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"PolicyDocument", "AssumeRolePolicyDocument"}:
                statements = value["Statement"]
                yield from statements if isinstance(statements, list) else [statements]
            else:
                yield from policy_statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from policy_statements(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_statement_grants_a_wildcard_action_or_an_unexplained_wildcard_resource(
    resources: dict,
) -> None:
    statements = list(policy_statements(resources))
    assert len(statements) > 10
    for statement in statements:
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action, statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        if "*" in as_list(statement.get("Resource", [])):
            assert statement.get("Sid") in WILDCARD_RESOURCE_REASONS, statement


def test_only_the_api_creates_state_machines_and_only_the_stacks_published_ones(
    resources: dict,
) -> None:
    """Publishing a workflow definition creates its state machine (issue 20): CreateStateMachine
    only on `<prefix>-wd-*` and PassRole only of the stack's state machine role, for the API's
    role alone; the starter may start executions of those machines and of the bundled ones."""
    published = {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
        "${ResourcePrefix}-wd-*"
    }
    granted: dict[str, list[dict[str, Any]]] = {}
    for logical_id, role in of_type(resources, "AWS::IAM::Role").items():
        for statement in policy_statements(role):
            for action in as_list(statement.get("Action", [])):
                if action in {"states:CreateStateMachine", "iam:PassRole", "states:StartExecution"}:
                    granted.setdefault(action, []).append(
                        {"role": logical_id, "resources": as_list(statement["Resource"])}
                    )
    api_role = resources["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    starter = resources["WorkflowStarter"]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert granted["states:CreateStateMachine"] == [{"role": api_role, "resources": [published]}]
    assert granted["iam:PassRole"] == [
        {"role": api_role, "resources": [{"Fn::GetAtt": ["StateMachineRole", "Arn"]}]}
    ]
    (start,) = granted["states:StartExecution"]
    assert start["role"] == starter and published in start["resources"]
    assert all(r == published or set(r) == {"Ref"} for r in start["resources"])


def test_each_function_has_its_own_role_writing_only_its_own_logs(resources: dict) -> None:
    functions = of_type(resources, "AWS::Serverless::Function")
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert len(roles) == len(functions)
    assert "DefaultRole" not in resources
    for logical_id, function in functions.items():
        assert "Policies" not in function["Properties"]
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        (policy,) = role["Properties"]["Policies"]
        logs = [
            s for s in policy["PolicyDocument"]["Statement"]
            if any(a.startswith("logs:") for a in s["Action"])
        ]  # fmt: skip
        assert logs == [
            {
                "Sid": "WriteOwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [{"Fn::GetAtt": [f"{logical_id}LogGroup", "Arn"]}],
            }
        ]


# -- frontend and API on one origin ---------------------------------------------------------------
def test_cloudfront_serves_the_frontend_and_routes_api_to_api_gateway(resources: dict) -> None:
    config = resources["FrontendDistribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["frontend"]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["FrontendOriginAccessControl", "Id"]
    }
    assert "${RestAPI}.execute-api" in origins["api"]["DomainName"]["Fn::Sub"]
    assert origins["api"]["OriginPath"] == f"/{package.api_stage()}"
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["TargetOriginId"] == "api" and "POST" in api["AllowedMethods"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "frontend"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


# -- the same resources as the local stack, deployed through moto's CloudFormation ----------------
def references(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                names = re.findall(r"\$\{([^}!]+)\}", text)
                found |= {n.split(".")[0] for n in names if n not in variables}
                found |= references(variables)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def moto_template(template: dict[str, Any]) -> dict[str, Any]:
    """The non-Lambda resources moto's CloudFormation implements (and what they refer to)."""
    from moto.cloudformation.parsing import get_model_map

    # CloudFront is not emulated; the local stack's origin stands in for the distribution's.
    text = json.dumps(template["Resources"]).replace(
        json.dumps({"Fn::Sub": "https://${FrontendDistribution.DomainName}"}),
        json.dumps(LOCAL_ORIGIN),
    )
    resources = _escape_for_moto_sub(json.loads(text))
    supported = set(get_model_map())
    lambda_types = ("AWS::Serverless::", "AWS::Lambda::")
    keep = {
        k for k, v in resources.items()
        if v["Type"] in supported and not v["Type"].startswith(lambda_types)
    }  # fmt: skip
    changed = True
    while changed:
        changed = False
        for logical_id in sorted(keep):
            resource = resources[logical_id]
            needs = references(resource) | set(as_list(resource.get("DependsOn", [])))
            if {n for n in needs if n in resources} - keep:
                keep.discard(logical_id)
                changed = True
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": template["Parameters"],
        "Conditions": template["Conditions"],
        "Resources": {k: resources[k] for k in keep},
    }


def _escape_for_moto_sub(node: Any) -> Any:
    """moto resolves the variables of a list-form Fn::Sub with `string.Template`, which turns
    "$$" into "$" (CloudFormation leaves it alone): "$$.Task.Token" would lose a "$", once for
    each variable (it substitutes them one at a time)."""
    if isinstance(node, dict):
        value = node.get("Fn::Sub")
        if len(node) == 1 and isinstance(value, list):
            escaped = value[0].replace("$$", "$$" * 2 ** len(value[1]))
            return {"Fn::Sub": [escaped, _escape_for_moto_sub(value[1])]}
        return {key: _escape_for_moto_sub(inner) for key, inner in node.items()}
    if isinstance(node, list):
        return [_escape_for_moto_sub(inner) for inner in node]
    return node


def snapshot() -> dict[str, Any]:
    """What the integration tests and the local stack rely on, in comparable form."""
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    events, sfn, s3 = boto3.client("events"), boto3.client("stepfunctions"), boto3.client("s3")
    tables = {}
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        tables[name] = {
            "keys": table["KeySchema"],
            "attributes": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
            "indexes": sorted(
                (i["IndexName"], json.dumps(i["KeySchema"]), i["Projection"]["ProjectionType"])
                for i in table.get("GlobalSecondaryIndexes", [])
            ),
            "stream": table.get("StreamSpecification"),
        }
    queues = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queues[url.rsplit("/", 1)[1]] = {
            "VisibilityTimeout": attributes.get("VisibilityTimeout"),
            "MessageRetentionPeriod": attributes.get("MessageRetentionPeriod"),
            "RedrivePolicy": json.loads(attributes.get("RedrivePolicy", "null")),
        }
    buses = sorted(b["Name"] for b in events.list_event_buses()["EventBuses"])
    rules = {}
    for bus in buses:
        for rule in events.list_rules(EventBusName=bus)["Rules"]:
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
            rules[rule["Name"]] = {
                "bus": bus,
                "pattern": json.loads(rule["EventPattern"]),
                "state": rule["State"],
                "targets": sorted(t["Arn"] for t in targets),
            }
    machines = {}
    for machine in sfn.list_state_machines()["stateMachines"]:
        described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
        machines[machine["name"]] = {
            "type": described["type"],
            "definition": json.loads(described["definition"]),
        }
    # moto's CloudFormation ignores the public access block (asserted on the template above).
    documents = f"{PREFIX}-documents"
    bucket = {
        "versioning": s3.get_bucket_versioning(Bucket=documents).get("Status"),
        "encryption": s3.get_bucket_encryption(Bucket=documents)[
            "ServerSideEncryptionConfiguration"
        ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
    }
    return {"tables": tables, "queues": queues, "buses": buses, "rules": rules,
            "machines": machines, "documents_bucket": bucket}  # fmt: skip


def test_cloudformation_deploys_what_the_local_stack_provisions(
    template: dict[str, Any], aws_env: None
) -> None:
    with mock_aws():
        provision(describe_resources(PREFIX, frontend_origins=[LOCAL_ORIGIN]), REGION)
        local = snapshot()
        local_ttl = {
            name: boto3.client("dynamodb")
            .describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            .get("AttributeName")
            for name in local["tables"]
        }
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(
            StackName="kyc-backoffice-test",
            TemplateBody=json.dumps(moto_template(template)),
            Parameters=[
                {"ParameterKey": "Stage", "ParameterValue": "test"},
                {"ParameterKey": "ResourcePrefix", "ParameterValue": PREFIX},
            ],
            Capabilities=["CAPABILITY_IAM"],
        )
        status = cloudformation.describe_stacks(StackName="kyc-backoffice-test")["Stacks"][0]
        assert status["StackStatus"] == "CREATE_COMPLETE", status
        cloud = snapshot()
    # The stream failure destinations are local too: the pump sends exhausted records there.
    assert {q for q in local["queues"] if q.endswith("-stream-failed")} == {
        f"{PREFIX}-cases-table-stream-failed"
    }
    assert local["tables"] and local["queues"] and local["rules"] and local["machines"]
    for part in ("tables", "queues", "buses", "rules", "machines", "documents_bucket"):
        assert cloud[part] == local[part], part
    # moto's CloudFormation ignores TimeToLiveSpecification: compare the template's instead.
    template_ttl = {
        f"{PREFIX}-{t['Properties']['TableName']['Fn::Sub'].split('}-', 1)[1]}": t["Properties"]
        .get("TimeToLiveSpecification", {})
        .get("AttributeName")
        for t in of_type(template["Resources"], "AWS::DynamoDB::Table").values()
    }
    assert template_ttl == local_ttl


# -- the secrets adapter --------------------------------------------------------------------------
@pytest.fixture
def secrets(aws_env: None) -> Iterator[Any]:
    from chalicelib import caches
    from chalicelib.aws import secrets as adapter

    caches.reset_all()
    with mock_aws():
        yield adapter
    caches.reset_all()


def test_settings_come_from_the_named_secret_in_the_cloud_and_the_variable_locally(
    secrets: Any,
) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="pepper", SecretString="s3cret")["ARN"]
    assert secrets.secret_or_env({"API_KEY_PEPPER_SECRET_ARN": arn}, "API_KEY_PEPPER", "d") == (
        "s3cret"
    )
    assert secrets.secret_or_env({"API_KEY_PEPPER": "local"}, "API_KEY_PEPPER", "d") == "local"
    assert secrets.secret_or_env({}, "API_KEY_PEPPER", "d") == "d"


def test_config_reads_the_pepper_from_secrets_manager_in_the_cloud(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.config import get_settings

    arn = boto3.client("secretsmanager").create_secret(Name="pepper", SecretString="s3cret")["ARN"]
    monkeypatch.delenv("API_KEY_PEPPER", raising=False)
    monkeypatch.setenv("API_KEY_PEPPER_SECRET_ARN", arn)
    assert get_settings().api_key_pepper == "s3cret"


def test_cursors_are_signed_with_a_secret_of_their_own_in_the_cloud(
    secrets: Any, monkeypatch: pytest.MonkeyPatch, resources: dict
) -> None:
    from chalicelib.config import get_settings

    client = boto3.client("secretsmanager")
    pepper = client.create_secret(Name="pepper", SecretString="s3cret")["ARN"]
    cursor_key = client.create_secret(Name="cursor-key", SecretString="curs0r")["ARN"]
    monkeypatch.setenv("API_KEY_PEPPER_SECRET_ARN", pepper)
    monkeypatch.setenv("CURSOR_SIGNING_KEY_SECRET_ARN", cursor_key)
    assert get_settings().cursor_signing_key == "curs0r"
    # The API signs cursors, so its role (and only its role) may read that secret.
    readers = {
        logical_id
        for logical_id, role in of_type(resources, "AWS::IAM::Role").items()
        for statement in policy_statements(role)
        if {"Ref": "CursorSigningKeySecret"} in as_list(statement.get("Resource", []))
    }
    assert readers == {"APIHandlerRole"}


def test_settings_read_no_secret_until_one_is_asked_for(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every function gets every secret's ARN but may read only the secrets it uses: building
    the settings (every consumer does, for its table or bus) must not read any."""
    from botocore.exceptions import ClientError

    from chalicelib.config import get_settings

    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:not-readable-AbCdEf"
    for name in ("API_KEY_PEPPER", "CURSOR_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(f"{name}_SECRET_ARN", missing)
    settings = get_settings()
    assert settings.cases_table and settings.event_bus
    with pytest.raises(ClientError):
        _ = settings.api_key_pepper


def test_the_environment_carries_only_what_the_code_reads(resources: dict) -> None:
    """The 4 KB environment is a budget: a variable nobody reads spends it for nothing."""
    source = "\n".join(p.read_text() for p in (PROJECT_DIR / "chalicelib").rglob("*.py"))
    function = next(iter(of_type(resources, "AWS::Serverless::Function").values()))
    variables = function["Properties"]["Environment"]["Variables"]
    unread = {
        name
        for name in variables
        if not name.startswith("POWERTOOLS_")  # read by Powertools itself
        and f'"{name}"' not in source
        # Secrets: read as `NAME_SECRET_ARN` by secret_or_env(env, "NAME") or by the settings.
        and f'"{name.removesuffix("_ARN")}"' not in source
        and f'"{name.removesuffix("_SECRET_ARN")}"' not in source
    }
    assert not unread, f"nothing in chalicelib reads {sorted(unread)}"


def test_function_environment_fits_lambdas_4_kb_limit(template: dict) -> None:
    """Every queue adds its URL: keep a margin. An intrinsic counts as a long ARN/URL, a
    reference to a template parameter as the parameter's longest allowed value."""
    parameters = template["Parameters"]
    function = next(iter(of_type(template["Resources"], "AWS::Serverless::Function").values()))
    variables = function["Properties"]["Environment"]["Variables"]

    def longest(value: Any) -> int:
        if isinstance(value, str):
            return len(value)
        parameter = parameters.get(value.get("Ref"), {}) if isinstance(value, dict) else {}
        return int(parameter.get("MaxLength", 110))

    size = sum(len(k) + longest(v) for k, v in variables.items())
    assert size < 4096 - 512, size
