"""The cloud-only half of the template: what the local stack does not need or cannot emulate.

Everything here is derived from the resources of `infra/resources.py` and the functions in
`chalice package` output (no list of queues or functions is repeated here), so a queue, rule,
table or consumer added there is wired, permitted, alarmed and charted on the next package.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.utils import to_cfn_resource_name

from chalicelib.limits import CONSUMER_TIMEOUT_SECONDS
from infra.functions import (
    API_HANDLER,
    API_TIMEOUT_SECONDS,
    DEFAULT_MEMORY_MB,
    FUNCTION_MEMORY_MB,
    Grant,
    function_environment,
    function_grants,
    get_att,
    ref,
    sub,
)
from infra.resources import (
    QUEUE_CONSUMERS,
    SCHEDULED_FUNCTIONS,
    STREAM_CONSUMERS,
    private_bucket_properties,
    stream_failure_queue,
)

SAM_FUNCTION = "AWS::Serverless::Function"
SQS_QUEUE = "AWS::SQS::Queue"
# Data that outlives a stack: `make destroy` keeps it unless asked to purge (docs/deploy.md).
RETAINED_TYPES = {"AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::S3::Bucket"}
# Old versions of document pages are kept this long after being overwritten or deleted.
NONCURRENT_DOCUMENT_DAYS = 90

# CloudFront managed policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# Forwards every viewer header (Authorization included, since caching is off) except Host, which
# API Gateway must see as its own domain.
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"

PARAMETERS: dict[str, Any] = {
    "Stage": {
        "Type": "String",
        "AllowedPattern": "^[a-z][a-z0-9-]{0,15}$",
        "Description": "Stage name (dev, prod...), exported to the functions as STAGE.",
    },
    "ResourcePrefix": {
        "Type": "String",
        "AllowedPattern": "^[a-z][a-z0-9-]{2,28}[a-z0-9]$",
        "Description": "Prefix of every physical name. S3 bucket names are global: "
        "make it unique to your account, e.g. kyc-prod-acme.",
    },
    "WebhookUrl": {
        "Type": "String",
        "Default": "",
        "Description": "Default webhook subscription URL (empty: none).",
    },
    "AppBaseUrl": {
        "Type": "String",
        "Default": "",
        "MaxLength": 100,
        "AllowedPattern": "^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$",
        "Description": "Public origin of the back office (https://host), the base of collection "
        "links in customer emails. infra/deploy.sh sets it to the CloudFront URL unless given "
        "(empty: links are relative).",
    },
    "EmailSender": {
        "Type": "String",
        "Default": "",
        "MaxLength": 100,
        "AllowedPattern": "^([^@\\s]+@[^@\\s]+)?$",
        "Description": "SES-verified address customer emails are sent from (empty: none sent).",
    },
    "AlarmEmail": {
        "Type": "String",
        "Default": "",
        "Description": "Email subscribed to the alarm topic (empty: no subscription).",
    },
    "LogRetentionDays": {
        "Type": "Number",
        "Default": 30,
        "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653],
        "Description": "Retention of the functions' log groups.",
    },
    "LogLevel": {
        "Type": "String",
        "Default": "INFO",
        "AllowedValues": ["DEBUG", "INFO", "WARNING", "ERROR"],
        "Description": "Powertools log level.",
    },
    "ApiRateLimit": {
        "Type": "Number",
        "Default": 100,
        "MinValue": 1,
        "Description": "Steady requests per second the API stage accepts (bounds cost).",
    },
    "ApiBurstLimit": {
        "Type": "Number",
        "Default": 200,
        "MinValue": 1,
        "Description": "Request burst the API stage accepts.",
    },
}
CONDITIONS = {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]}}


def kebab(name: str) -> str:
    return name.replace("_", "-")


def functions_by_name(template: dict[str, Any]) -> dict[str, str]:
    """Chalice function name -> logical id of its AWS::Serverless::Function."""
    names: dict[str, str] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != SAM_FUNCTION:
            continue
        name = API_HANDLER if logical_id == "APIHandler" else _snake(logical_id)
        names[name] = logical_id
    for consumer in [c.function for c in QUEUE_CONSUMERS] + list(STREAM_CONSUMERS.values()):
        if consumer not in names:
            raise ValueError(
                f"consumer {consumer!r} has no Chalice lambda_function "
                f"(expected {to_cfn_resource_name(consumer)} in chalice package output)"
            )
    return names


def _snake(logical_id: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in logical_id).lstrip("_")


# -- functions: names, roles, logs, environment ------------------------------------------------
def configure_functions(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    environment = function_environment(resources)
    for name, logical_id in functions_by_name(template).items():
        log_group = f"{logical_id}LogGroup"
        role = f"{logical_id}Role"
        props = resources[logical_id]["Properties"]
        props["FunctionName"] = sub(f"${{ResourcePrefix}}-{kebab(name)}")
        props["Role"] = get_att(role, "Arn")
        props["MemorySize"] = FUNCTION_MEMORY_MB.get(name, DEFAULT_MEMORY_MB)
        props["Timeout"] = _timeout(name, props.get("Timeout", CONSUMER_TIMEOUT_SECONDS), resources)
        chalice_env = props.get("Environment", {}).get("Variables", {})
        props["Environment"] = {"Variables": {**chalice_env, **environment}}
        # The role may only write to this group, so it must exist before the first invocation.
        resources[logical_id]["DependsOn"] = [log_group]
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub(f"/aws/lambda/${{ResourcePrefix}}-{kebab(name)}"),
                "RetentionInDays": ref("LogRetentionDays"),
            },
        }
        resources[role] = _role(logical_id, _statements(name, logical_id, resources))
    resources.pop("DefaultRole", None)  # Chalice's shared role: replaced by one role per function


def _timeout(name: str, chalice_timeout: int, resources: dict[str, Any]) -> int:
    if name == API_HANDLER:
        return API_TIMEOUT_SECONDS
    # Lambda refuses an SQS trigger whose queue hides a message for less than the function runs.
    limits = [
        resources[c.queue]["Properties"].get("VisibilityTimeout", 30)
        for c in QUEUE_CONSUMERS
        if c.function == name
    ]
    return min([chalice_timeout, *limits])


def _statements(name: str, logical_id: str, resources: dict[str, Any]) -> list[dict[str, Any]]:
    grants = [
        Grant(
            "WriteOwnLogGroup",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            (get_att(f"{logical_id}LogGroup", "Arn"),),
        )
    ]
    for consumer in QUEUE_CONSUMERS:
        if consumer.function == name:
            grants.append(
                Grant(
                    f"Consume{consumer.queue}",
                    ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                    (get_att(consumer.queue, "Arn"),),
                )
            )
    for table, function in STREAM_CONSUMERS.items():
        if function == name:
            grants.append(
                Grant(
                    f"Read{table}Stream",
                    (
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ),
                    (sub(f"${{{table}.Arn}}/stream/*"),),
                )
            )
            grants.append(
                Grant(
                    f"Report{table}StreamFailures",
                    ("sqs:SendMessage",),
                    (get_att(stream_failure_queue(table), "Arn"),),
                )
            )
    grants.extend(function_grants(name, resources))
    return [grant.statement() for grant in grants]


def _role(logical_id: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": f"{logical_id}-least-privilege",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


# -- triggers ---------------------------------------------------------------------------------
def add_triggers(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    functions = functions_by_name(template)
    for consumer in QUEUE_CONSUMERS:
        function = functions[consumer.function]
        resources[f"{function}From{consumer.queue}"] = {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": get_att(consumer.queue, "Arn"),
                "FunctionName": ref(function),
                "BatchSize": consumer.batch_size,
                # More than 10 messages per batch needs a batching window (Lambda's rule).
                "MaximumBatchingWindowInSeconds": 1 if consumer.batch_size > 10 else 0,
                # Only the failed messages return to the queue (and, after retries, its DLQ).
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        }
    for scheduled in SCHEDULED_FUNCTIONS:
        function = functions[scheduled.function]
        # On the default bus: schedules belong to the account's clock, not to the domain bus.
        resources[f"{function}Schedule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": f"Runs {scheduled.function} {scheduled.expression}",
                "ScheduleExpression": scheduled.expression,
                "State": "ENABLED",
                "Targets": [{"Id": "function", "Arn": get_att(function, "Arn")}],
            },
        }
        resources[f"{function}SchedulePermission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(function),
                "Principal": "events.amazonaws.com",
                "SourceArn": get_att(f"{function}Schedule", "Arn"),
            },
        }
    for table, consumer_name in STREAM_CONSUMERS.items():
        function = functions[consumer_name]
        failure_queue = stream_failure_queue(table)  # described in infra/resources.py
        resources[f"{function}From{table}Stream"] = {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": get_att(table, "StreamArn"),
                "FunctionName": ref(function),
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": 100,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                # A failing record is isolated by bisection and retried; after that its position
                # goes to the failure queue (alarmed). The audit record itself stays in the table,
                # so it can be republished (docs/deploy.md, "Runbook").
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": 10,
                "DestinationConfig": {"OnFailure": {"Destination": get_att(failure_queue, "Arn")}},
                # Only new audit records are domain events: other writes never invoke the function.
                "FilterCriteria": {
                    "Filters": [
                        {
                            "Pattern": json.dumps(
                                {
                                    "eventName": ["INSERT"],
                                    "dynamodb": {"NewImage": {"recordType": {"S": ["audit"]}}},
                                }
                            )
                        }
                    ]
                },
            },
        }


def add_queue_policies(resources: dict[str, Any]) -> None:
    """EventBridge may deliver to a rule's target queue only for that rule (aws:SourceArn)."""
    statements: dict[str, list[dict[str, Any]]] = {}
    for rule_id, rule in sorted(resources.items()):
        if rule["Type"] != "AWS::Events::Rule":
            continue
        for target in rule["Properties"].get("Targets", []):
            queue = _queue_of(target.get("Arn"), resources)
            if queue is None:
                continue
            statements.setdefault(queue, []).append(
                {
                    "Sid": f"From{rule_id}",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": get_att(queue, "Arn"),
                    "Condition": {"ArnEquals": {"aws:SourceArn": get_att(rule_id, "Arn")}},
                }
            )
    for queue, queue_statements in statements.items():
        resources[f"{queue}Policy"] = {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref(queue)],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": queue_statements},
            },
        }


def _queue_of(arn: Any, resources: dict[str, Any]) -> str | None:
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        logical_id = arn["Fn::GetAtt"][0]
        if resources.get(logical_id, {}).get("Type") == SQS_QUEUE:
            return str(logical_id)
    return None


# -- data: retention, lifecycle, secrets --------------------------------------------------------
def protect_data(resources: dict[str, Any], described: set[str]) -> None:
    for logical_id in described:
        if resources[logical_id]["Type"] in RETAINED_TYPES:
            resources[logical_id]["DeletionPolicy"] = "Retain"
            resources[logical_id]["UpdateReplacePolicy"] = "Retain"
        if resources[logical_id]["Type"] == "AWS::DynamoDB::Table":
            # Cheap insurance (billed per GB stored) that the local stack has no use for.
            resources[logical_id]["Properties"].setdefault(
                "PointInTimeRecoverySpecification", {"PointInTimeRecoveryEnabled": True}
            )
        if resources[logical_id]["Type"] == "AWS::S3::Bucket":
            # Versioning keeps overwritten pages recoverable; this bounds what that costs.
            resources[logical_id]["Properties"].setdefault(
                "LifecycleConfiguration",
                {
                    "Rules": [
                        {
                            "Id": "expire-old-versions",
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": NONCURRENT_DOCUMENT_DAYS
                            },
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        }
                    ]
                },
            )


def add_secrets(resources: dict[str, Any]) -> None:
    # Generated by Secrets Manager at deploy time: never in the template, the repo or a parameter.
    resources["ApiKeyPepperSecret"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Description": sub("${ResourcePrefix}: pepper of the integrators' API key hashes"),
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
        },
    }
    resources["CursorSigningKeySecret"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Description": sub("${ResourcePrefix}: key signing the API's pagination cursors"),
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
        },
    }
    # 32 letters and digits are valid base64: the signing secret is `whsec_` + this value.
    resources["WebhookSecret"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Description": sub("${ResourcePrefix}: default webhook signing secret (whsec_<value>)"),
            "GenerateSecretString": {"PasswordLength": 32, "ExcludePunctuation": True},
        },
    }


# -- frontend: bucket + CloudFront, /api/* to API Gateway on the same origin --------------------
SPA_REWRITE = """function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) { request.uri = '/index.html'; }
  return request;
}"""


def add_frontend(resources: dict[str, Any], api_stage: str) -> None:
    resources["FrontendBucket"] = {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            **private_bucket_properties(),
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
    }
    resources["FrontendOriginAccessControl"] = {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": sub("${ResourcePrefix}-frontend"),
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }
    resources["FrontendBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref("FrontendBucket"),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadByThisDistributionOnly",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": sub("${FrontendBucket.Arn}/*"),
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": sub(
                                    "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                                    "distribution/${FrontendDistribution}"
                                )
                            }
                        },
                    }
                ],
            },
        },
    }
    resources["SpaRewriteFunction"] = {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": sub("${ResourcePrefix}-spa-rewrite"),
            "AutoPublish": True,
            "FunctionCode": SPA_REWRITE,
            "FunctionConfig": {
                "Comment": "client-side routes are served index.html",
                "Runtime": "cloudfront-js-2.0",
            },
        },
    }
    resources["FrontendDistribution"] = _distribution(api_stage)


def _distribution(api_stage: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": sub("${ResourcePrefix} back office"),
                "DefaultRootObject": "index.html",
                "HttpVersion": "http2and3",
                "PriceClass": "PriceClass_100",
                "Origins": [
                    {
                        "Id": "frontend",
                        "DomainName": get_att("FrontendBucket", "RegionalDomainName"),
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": get_att("FrontendOriginAccessControl", "Id"),
                    },
                    {
                        "Id": "api",
                        "DomainName": sub(
                            "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
                        ),
                        # /api/v1/... at CloudFront is /<stage>/api/v1/... at API Gateway.
                        "OriginPath": f"/{api_stage}",
                        "CustomOriginConfig": {
                            "OriginProtocolPolicy": "https-only",
                            "OriginSSLProtocols": ["TLSv1.2"],
                        },
                    },
                ],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "frontend",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": CACHING_OPTIMIZED,
                    "ResponseHeadersPolicyId": SECURITY_HEADERS,
                    "Compress": True,
                    "FunctionAssociations": [
                        {
                            "EventType": "viewer-request",
                            "FunctionARN": get_att(
                                "SpaRewriteFunction", "FunctionMetadata.FunctionARN"
                            ),
                        }
                    ],
                },
                "CacheBehaviors": [
                    {
                        "PathPattern": "/api/*",
                        "TargetOriginId": "api",
                        "ViewerProtocolPolicy": "https-only",
                        "AllowedMethods": [
                            "GET",
                            "HEAD",
                            "OPTIONS",
                            "PUT",
                            "PATCH",
                            "POST",
                            "DELETE",
                        ],
                        "CachedMethods": ["GET", "HEAD"],
                        "CachePolicyId": CACHING_DISABLED,
                        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                        "ResponseHeadersPolicyId": SECURITY_HEADERS,
                        "Compress": True,
                    }
                ],
                "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
            }
        },
    }


FRONTEND_ORIGIN = sub("https://${FrontendDistribution.DomainName}")


def configure_api(resources: dict[str, Any]) -> None:
    props = resources["RestAPI"]["Properties"]
    props["Name"] = sub("${ResourcePrefix}-api")
    props["MethodSettings"] = [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": ref("ApiRateLimit"),
            "ThrottlingBurstLimit": ref("ApiBurstLimit"),
        }
    ]
