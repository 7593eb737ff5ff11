"""Creates the resources of `infra/resources.py` in the local AWS (moto) through the AWS APIs.

moto's CloudFormation cannot be used for this: state machines it creates are invisible to its
Step Functions interpreter, and it ignores bucket CORS. So this applies the same description
resource by resource, resolving the few intrinsic functions the description uses.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3

ACCOUNT_ID = "123456789012"
SKIPPED_TYPES = {"AWS::IAM::Role", "AWS::SQS::QueuePolicy", "AWS::CloudWatch::Alarm"}


class LocalProvisioner:
    def __init__(self, region: str, *, streams: bool = True) -> None:
        self.region = region
        self.refs: dict[str, str] = {}
        self.attrs: dict[tuple[str, str], str] = {}
        self.outputs: dict[str, Any] = {}
        # With streams=False tables are created without their stream, to be loaded first:
        # `enable_streams` then turns them on, so the loaded items are not stream records.
        self._streams = streams
        self.held_streams: dict[str, dict[str, Any]] = {}

    def app_environment(self) -> dict[str, str]:
        """Settings the app can only know once the resources exist (generated ids)."""
        return {
            "USER_POOL_ID": self.outputs["UserPoolId"],
            "USER_POOL_CLIENT_ID": self.outputs["UserPoolClientId"],
            "EMAIL_SENDER": LOCAL_EMAIL_SENDER,
        }

    # -- intrinsic functions -------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.refs[arg]
            if fn == "Fn::GetAtt":
                return self.attrs[(arg[0], arg[1])]
            if fn == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else arg
                resolved = {k: self.resolve(v) for k, v in variables.items()}
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1), resolved), template)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _sub(self, name: str, variables: dict[str, Any]) -> str:
        if name in variables:
            return str(variables[name])
        if name == "AWS::Region":
            return self.region
        if name == "AWS::AccountId":
            return ACCOUNT_ID
        if "." in name:
            logical, attr = name.split(".", 1)
            return self.attrs[(logical, attr)]
        return self.refs[name]

    # -- resources -----------------------------------------------------------
    def apply(self, resources: dict[str, Any]) -> None:
        for logical_id in _creation_order(resources):
            resource = resources[logical_id]
            kind = resource["Type"]
            if kind in SKIPPED_TYPES:
                self.attrs[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{logical_id}"
                continue
            props = self.resolve(resource.get("Properties", {}))
            handler = getattr(self, "_create_" + kind.split("::", 1)[1].replace("::", "_"))
            handler(logical_id, props)

    def _create_DynamoDB_Table(self, logical_id: str, props: dict[str, Any]) -> None:
        client = boto3.client("dynamodb", region_name=self.region)
        kwargs: dict[str, Any] = {
            "TableName": props["TableName"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification") and not self._streams:
            self.held_streams[logical_id] = props["StreamSpecification"]
        elif props.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        table = client.create_table(**kwargs)["TableDescription"]
        if props.get("TimeToLiveSpecification"):
            client.update_time_to_live(
                TableName=props["TableName"],
                TimeToLiveSpecification=props["TimeToLiveSpecification"],
            )
        self.refs[logical_id] = props["TableName"]
        self.attrs[(logical_id, "Arn")] = table["TableArn"]
        if table.get("LatestStreamArn"):
            self.attrs[(logical_id, "StreamArn")] = table["LatestStreamArn"]

    def enable_streams(self) -> None:
        client = boto3.client("dynamodb", region_name=self.region)
        for logical_id, specification in self.held_streams.items():
            table = client.update_table(
                TableName=self.refs[logical_id],
                StreamSpecification={"StreamEnabled": True, **specification},
            )["TableDescription"]
            self.attrs[(logical_id, "StreamArn")] = table["LatestStreamArn"]
        self.held_streams = {}

    def _create_S3_Bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        client = boto3.client("s3", region_name=self.region)
        name = props["BucketName"]
        client.create_bucket(Bucket=name)
        if "PublicAccessBlockConfiguration" in props:
            client.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "BucketEncryption" in props:
            client.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {"ApplyServerSideEncryptionByDefault": by_default}
                        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                        for by_default in [rule["ServerSideEncryptionByDefault"]]
                    ]
                },
            )
        if props.get("CorsConfiguration", {}).get("CorsRules"):
            rules = [
                {
                    "AllowedMethods": rule["AllowedMethods"],
                    "AllowedOrigins": rule["AllowedOrigins"],
                    "AllowedHeaders": rule.get("AllowedHeaders", []),
                    "MaxAgeSeconds": rule.get("MaxAge", 0),
                }
                for rule in props["CorsConfiguration"]["CorsRules"]
                if rule["AllowedOrigins"]
            ]
            if rules:
                client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        self.refs[logical_id] = name
        self.attrs[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"

    def _create_SQS_Queue(self, logical_id: str, props: dict[str, Any]) -> None:
        client = boto3.client("sqs", region_name=self.region)
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in props.items()
            if key in {"VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy"}
        }
        url = client.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        self.refs[logical_id] = url
        self.attrs[(logical_id, "Arn")] = (
            f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{props['QueueName']}"
        )
        self.attrs[(logical_id, "QueueName")] = props["QueueName"]

    def _create_Events_EventBus(self, logical_id: str, props: dict[str, Any]) -> None:
        arn = boto3.client("events", region_name=self.region).create_event_bus(Name=props["Name"])[
            "EventBusArn"
        ]
        self.refs[logical_id] = props["Name"]
        self.attrs[(logical_id, "Name")] = props["Name"]
        self.attrs[(logical_id, "Arn")] = arn

    def _create_Events_Rule(self, logical_id: str, props: dict[str, Any]) -> None:
        client = boto3.client("events", region_name=self.region)
        client.put_rule(
            Name=props["Name"],
            EventBusName=props["EventBusName"],
            EventPattern=json.dumps(props["EventPattern"]),
            State=props.get("State", "ENABLED"),
        )
        client.put_targets(
            Rule=props["Name"], EventBusName=props["EventBusName"], Targets=props["Targets"]
        )
        self.refs[logical_id] = props["Name"]

    def _create_StepFunctions_StateMachine(self, logical_id: str, props: dict[str, Any]) -> None:
        arn = boto3.client("stepfunctions", region_name=self.region).create_state_machine(
            name=props["StateMachineName"],
            definition=props["DefinitionString"],
            roleArn=props["RoleArn"],
            type=props.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        self.refs[logical_id] = arn
        self.attrs[(logical_id, "Arn")] = arn

    def _create_Cognito_UserPool(self, logical_id: str, props: dict[str, Any]) -> None:
        client = boto3.client("cognito-idp", region_name=self.region)
        pool = client.create_user_pool(
            PoolName=props["UserPoolName"],
            UsernameAttributes=props.get("UsernameAttributes", []),
            AdminCreateUserConfig=props.get("AdminCreateUserConfig", {}),
            Policies=props.get("Policies", {}),
            Schema=props.get("Schema", []),
        )["UserPool"]
        self.refs[logical_id] = pool["Id"]
        self.attrs[(logical_id, "Arn")] = pool["Arn"]
        self.outputs["UserPoolId"] = pool["Id"]

    def _create_Cognito_UserPoolClient(self, logical_id: str, props: dict[str, Any]) -> None:
        client = boto3.client("cognito-idp", region_name=self.region).create_user_pool_client(
            UserPoolId=props["UserPoolId"],
            ClientName=props["ClientName"],
            GenerateSecret=props.get("GenerateSecret", False),
            ExplicitAuthFlows=props.get("ExplicitAuthFlows", []),
        )["UserPoolClient"]
        self.refs[logical_id] = client["ClientId"]
        self.outputs["UserPoolClientId"] = client["ClientId"]

    def _create_Cognito_UserPoolGroup(self, logical_id: str, props: dict[str, Any]) -> None:
        boto3.client("cognito-idp", region_name=self.region).create_group(
            GroupName=props["GroupName"], UserPoolId=props["UserPoolId"]
        )
        self.refs[logical_id] = props["GroupName"]


def _creation_order(resources: dict[str, Any]) -> list[str]:
    """Dependencies first: a resource is created after everything it refers to."""
    order: list[str] = []

    def refs_of(value: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "Ref" and isinstance(inner, str) and inner in resources:
                    found.add(inner)
                elif key == "Fn::GetAtt":
                    found.add(inner[0])
                else:
                    found |= refs_of(inner)
        elif isinstance(value, list):
            for inner in value:
                found |= refs_of(inner)
        return found

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if logical_id in order:
            return
        if logical_id in path:
            raise ValueError(f"resource cycle: {' -> '.join((*path, logical_id))}")
        for dependency in sorted(refs_of(resources[logical_id])):
            visit(dependency, (*path, logical_id))
        order.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return order


LOCAL_EMAIL_SENDER = "no-reply@kyc.local"


def provision(resources: dict[str, Any], region: str, *, streams: bool = True) -> LocalProvisioner:
    provisioner = LocalProvisioner(region, streams=streams)
    provisioner.apply(resources)
    # Customer emails (issue 17): SES sends only from a verified identity, in moto as in AWS.
    boto3.client("ses", region_name=region).verify_email_identity(EmailAddress=LOCAL_EMAIL_SENDER)
    return provisioner
