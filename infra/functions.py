"""What each Lambda function gets in the cloud: its environment and its permissions.

This is the file to extend when a handler needs a new setting or a new AWS call:
- a setting: add it to `function_environment()`;
- an AWS call: add a `Grant` to the function's entry in `FUNCTION_GRANTS`.

Queue/stream consumption and log writing are granted automatically from `QUEUE_CONSUMERS`,
`STREAM_CONSUMERS` and the function list, so only data access is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.observability import METRICS_NAMESPACE, SERVICE

PREFIX_PARAMETER = "ResourcePrefix"
API_HANDLER = "api_handler"  # the name Chalice gives the function serving every HTTP route


def ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def sub(template: str) -> dict[str, Any]:
    return {"Fn::Sub": template}


# The environment is 4 KB at most, so it carries only what the code reads. Queues are exported
# by URL only where the application sends to them (the others are fed by EventBridge rules or
# Step Functions and consumed by Lambda; the SLA queue is addressed by its name,
# `<prefix>-sla`); the analytics table's name is derived from RESOURCE_PREFIX
# (`chalicelib/config.py`), as the template names it.
ADDRESSED_QUEUES = frozenset(
    {"DocumentFetchQueue", "PluginQueue", "WebhookQueue", "WebhookQueueDLQ", "WorkflowTaskQueue"}
)
NOT_IN_ENVIRONMENT = frozenset({"AnalyticsTable"})


def function_environment(resources: dict[str, Any]) -> dict[str, Any]:
    """The environment of every function (`chalicelib/config.py` reads it).

    `resources` is the merged template's resources: each addressed queue's URL is exported as
    `<LOGICAL_ID_IN_UPPER_SNAKE>_URL` (e.g. WEBHOOK_QUEUE_URL), and every table's name as
    `<LOGICAL_ID_IN_UPPER_SNAKE>` (e.g. WEBHOOKS_TABLE).
    """
    environment: dict[str, Any] = {
        "STAGE": ref("Stage"),
        "RESOURCE_PREFIX": ref(PREFIX_PARAMETER),
        "CASES_TABLE": ref("CasesTable"),
        "IDEMPOTENCY_TABLE": ref("IdempotencyTable"),
        "DOCUMENTS_BUCKET": bucket_name(resources, "DocumentsBucket"),
        # Ref to an event bus breaks in moto's CloudFormation; the Name attribute works everywhere.
        "EVENT_BUS": get_att("EventBus", "Name"),
        "STATE_MACHINE_ARN_PREFIX": sub(
            "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
            "${ResourcePrefix}-"
        ),
        # Published workflow definitions' state machines run as the bundled ones' role.
        "STATE_MACHINE_ROLE_ARN": get_att("StateMachineRole", "Arn"),
        # Secrets are never in the environment, only where to read them (chalicelib/aws/secrets.py).
        "API_KEY_PEPPER_SECRET_ARN": ref("ApiKeyPepperSecret"),
        "CURSOR_SIGNING_KEY_SECRET_ARN": ref("CursorSigningKeySecret"),
        "WEBHOOK_SECRET_ARN": ref("WebhookSecret"),
        "WEBHOOK_URL": ref("WebhookUrl"),
        # The customer page's origin (links in emails) and the emails' sender; both may be empty.
        "APP_BASE_URL": ref("AppBaseUrl"),
        "EMAIL_SENDER": ref("EmailSender"),
        "USER_POOL_ID": ref("UserPool"),
        "USER_POOL_CLIENT_ID": ref("UserPoolClient"),
        "ALLOW_LOOPBACK_FETCH": "false",
        # In the cloud Cognito emails an invitation's temporary password; it is never answered.
        "INVITE_PASSWORD_IN_ANSWER": "false",
        "POWERTOOLS_SERVICE_NAME": SERVICE,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": ref("LogLevel"),
    }
    for logical_id, resource in sorted(resources.items()):
        if logical_id in NOT_IN_ENVIRONMENT:
            continue
        if resource["Type"] == "AWS::SQS::Queue" and logical_id in ADDRESSED_QUEUES:
            environment[f"{upper_snake(logical_id)}_URL"] = ref(logical_id)
        if resource["Type"] == "AWS::DynamoDB::Table":
            environment[upper_snake(logical_id)] = ref(logical_id)  # e.g. WEBHOOKS_TABLE
    return environment


def upper_snake(name: str) -> str:
    out = ""
    for index, char in enumerate(name):
        if char.isupper() and index and (not name[index - 1].isupper()):
            out += "_"
        out += char.upper()
    return out


@dataclass(frozen=True)
class Grant:
    """One IAM statement. `sid` names it in the policy (IAM allows only letters and digits)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[Any, ...]

    def statement(self) -> dict[str, Any]:
        return {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": sorted(self.actions),
            "Resource": list(self.resources),
        }


# The only statements allowed to use Resource "*": AWS offers no narrower resource for them.
# The test of the package fails on any other "*" resource.
WILDCARD_RESOURCE_REASONS: dict[str, str] = {
    "SendTaskTokensNoResourceLevelPermissions": (
        "states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat for tokens issued by "
        "service-integration (.waitForTaskToken) Task states cannot be scoped: IAM has no "
        "resource type for a task token, only for activities. The token itself is the capability."
    ),
}

_TABLE_READ = ("dynamodb:GetItem", "dynamodb:Query")
# TransactWriteItems has no IAM action of its own: each item is authorised as its own action.
_TABLE_WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)


def table(logical_id: str, actions: tuple[str, ...], *, indexes: bool = False) -> Grant:
    arns: tuple[Any, ...] = (get_att(logical_id, "Arn"),)
    if indexes:
        arns += (sub(f"${{{logical_id}.Arn}}/index/*"),)
    return Grant(f"{logical_id}Access", actions, arns)


def bucket_name(resources: dict[str, Any], logical_id: str) -> Any:
    """A bucket's name without a reference to the bucket resource.

    The documents bucket's CORS names the CloudFront origin, CloudFront routes to the API, the
    API's function uses the bucket: referencing the bucket from the function would be a cycle.
    """
    return resources[logical_id]["Properties"]["BucketName"]


def bucket_objects(resources: dict[str, Any], logical_id: str, actions: tuple[str, ...]) -> Grant:
    name = bucket_name(resources, logical_id)
    template = name["Fn::Sub"] if isinstance(name, dict) else name
    arn = sub(f"arn:${{AWS::Partition}}:s3:::{template}/*")
    return Grant(f"{logical_id}Objects", actions, (arn,))


def read_secret(logical_id: str) -> Grant:
    return Grant(f"Read{logical_id}", ("secretsmanager:GetSecretValue",), (ref(logical_id),))


def put_events(bus_logical_id: str) -> Grant:
    return Grant(
        f"PutEventsOn{bus_logical_id}", ("events:PutEvents",), (get_att(bus_logical_id, "Arn"),)
    )


# The state machines of workflow definitions tenants publish, created by the API at run time
# (`WorkflowDefinition.state_machine_name`: `<prefix>-wd-...`).
PUBLISHED_STATE_MACHINES = sub(
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
    "${ResourcePrefix}-wd-*"
)


def start_executions(state_machine_logical_ids: list[str]) -> Grant:
    # Ref of a state machine is its ARN.
    return Grant(
        "StartCaseExecutions",
        ("states:StartExecution",),
        (*(ref(logical_id) for logical_id in state_machine_logical_ids), PUBLISHED_STATE_MACHINES),
    )


# Publishing a definition creates its state machine, which runs as the stack's state machine
# role: the API may create only the stack's published machines and pass only that role.
CREATE_PUBLISHED_STATE_MACHINES = Grant(
    "CreatePublishedStateMachines", ("states:CreateStateMachine",), (PUBLISHED_STATE_MACHINES,)
)
PASS_STATE_MACHINE_ROLE = Grant(
    "PassStateMachineRole", ("iam:PassRole",), (get_att("StateMachineRole", "Arn"),)
)


def send_email() -> Grant:
    return Grant(
        "SendCustomerEmails",
        ("ses:SendEmail",),
        (sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),),
    )


SEND_TASK_TOKENS = Grant(
    "SendTaskTokensNoResourceLevelPermissions",
    ("states:SendTaskSuccess", "states:SendTaskFailure"),
    ("*",),
)


def queue(logical_id: str, actions: tuple[str, ...]) -> Grant:
    return Grant(f"{logical_id}Access", actions, (get_att(logical_id, "Arn"),))


# The tenants' vendor credentials: http plugins' headers, asynchronous vendors' callbacks.
READ_TENANT_VENDOR_SECRETS = Grant(
    "ReadTenantVendorSecrets",
    ("secretsmanager:GetSecretValue",),
    (
        sub(
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:"
            "secret:${ResourcePrefix}/vendors/*"
        ),
    ),
)


def function_grants(function: str, resources: dict[str, Any]) -> list[Grant]:
    """The data access of one function (by its Chalice name). Unknown functions get none.

    Cognito sign-in (InitiateAuth) needs no IAM permission, and metrics are written through the
    logs (EMF), so neither appears here.
    """
    state_machines = sorted(
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    )
    case_store_rw = ("dynamodb:GetItem", "dynamodb:Query", *_TABLE_WRITE)
    # A context too large for the case item lives in the documents bucket: whoever reads a case
    # reads it there, and whoever writes a case may write one.
    contexts_rw = bucket_objects(resources, "DocumentsBucket", ("s3:PutObject", "s3:GetObject"))
    webhook_store = table("WebhooksTable", _TABLE_READ + _TABLE_WRITE, indexes=True)
    grants: dict[str, list[Grant]] = {
        API_HANDLER: [
            table(
                "CasesTable", (*_TABLE_READ, "dynamodb:BatchGetItem", *_TABLE_WRITE), indexes=True
            ),
            table("IdempotencyTable", ("dynamodb:GetItem", *_TABLE_WRITE[:3])),
            table("AnalyticsTable", ("dynamodb:Query",)),
            webhook_store,
            # GetObject also backs the presigned page URLs the API hands out.
            bucket_objects(resources, "DocumentsBucket", ("s3:PutObject", "s3:GetObject")),
            read_secret("ApiKeyPepperSecret"),
            read_secret("CursorSigningKeySecret"),
            read_secret("WebhookSecret"),
            # Redeliveries are queued; the deliveries view reports the DLQ's depth.
            queue("WebhookQueue", ("sqs:SendMessage",)),
            queue("WebhookQueueDLQ", ("sqs:GetQueueAttributes",)),
            # Reviewers' plugin re-runs go to the plugin worker; asynchronous vendors' callbacks
            # are verified with the tenant's secret.
            queue("PluginQueue", ("sqs:SendMessage",)),
            READ_TENANT_VENDOR_SECRETS,
            # Reviewer decisions move the case's execution on at once (DESIGN.md, invariant 2).
            SEND_TASK_TOKENS,
            # Customer emails: collection links and reviewers' messages (issue 17).
            send_email(),
            # Workflow definitions published by admins (issue 20).
            CREATE_PUBLISHED_STATE_MACHINES,
            PASS_STATE_MACHINE_ROLE,
            # Sign-out revokes the reviewer's refresh tokens; user management invites,
            # disables and enables accounts.
            Grant(
                "ManageReviewerAccounts",
                (
                    "cognito-idp:AdminUserGlobalSignOut",
                    "cognito-idp:AdminCreateUser",
                    "cognito-idp:AdminDisableUser",
                    "cognito-idp:AdminEnableUser",
                ),
                (get_att("UserPool", "Arn"),),
            ),
        ],
        "outbox_publisher": [put_events("EventBus")],
        # Counters are added in one transaction with the event's seen-marker.
        "metrics_consumer": [table("AnalyticsTable", ("dynamodb:PutItem", "dynamodb:UpdateItem"))],
        # Reads cases and SLA settings, writes timers and breaches; re-queues early timers.
        "sla_timers": [
            table("CasesTable", case_store_rw),
            contexts_rw,
            queue("SlaQueue", ("sqs:SendMessage", "sqs:GetQueueUrl")),
        ],
        "workflow_starter": [start_executions(state_machines)],
        # Both park or read the token on the case, then send it on (and flag the case if not).
        "workflow_task_tokens": [table("CasesTable", case_store_rw), contexts_rw, SEND_TASK_TOKENS],
        "workflow_sync": [table("CasesTable", case_store_rw), contexts_rw, SEND_TASK_TOKENS],
        # Runs plugins: reads the sanctions lists (documents bucket), the tenant's vendor
        # secret, records results on the case and sends the plugin step's token back.
        "plugin_worker": [
            table("CasesTable", case_store_rw),
            contexts_rw,
            SEND_TASK_TOKENS,
            READ_TENANT_VENDOR_SECRETS,
        ],
        "document_fetch": [
            table("CasesTable", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
            # Pages are put, large contexts read (the case is rewritten with its page storage).
            contexts_rw,
            # Work its time budget could not cover goes back to its own queue as a new message.
            queue("DocumentFetchQueue", ("sqs:SendMessage",)),
        ],
        # Reminders (emails with a fresh link) and the expiry flag of collection rounds.
        "collection_timers": [table("CasesTable", case_store_rw), contexts_rw, send_email()],
        "webhook_delivery": [
            webhook_store,
            # A revision's webhook to the tenant's receivers mints a collection link (PutItem).
            table("CasesTable", (*_TABLE_READ, "dynamodb:PutItem")),
            bucket_objects(resources, "DocumentsBucket", ("s3:GetObject",)),
            read_secret("WebhookSecret"),
            # Delayed attempts go back to its own queue; exhausted ones to the DLQ by hand.
            queue("WebhookQueue", ("sqs:SendMessage",)),
            queue("WebhookQueueDLQ", ("sqs:SendMessage", "sqs:GetQueueAttributes")),
        ],
    }
    return grants.get(function, [])


# Memory also sets the CPU share, which is what the cold start (pydantic, Powertools) is bound by.
FUNCTION_MEMORY_MB: dict[str, int] = {API_HANDLER: 512}
DEFAULT_MEMORY_MB = 256
# API Gateway gives up after 29 s, so a longer API timeout would only bill for unseen work.
API_TIMEOUT_SECONDS = 29

# Settings `chalicelib/config.py` reads that the template deliberately leaves unset in the cloud.
CLOUD_USES_DEFAULT: dict[str, str] = {
    "AWS_REGION": "set by the Lambda runtime",
    "AWS_DEFAULT_REGION": "set by the Lambda runtime",
    "AWS_ENDPOINT_URL": "local AWS only; unset means the real endpoints",
    "COGNITO_JWKS_URL": "derived from the region and the user pool id",
    "WEBHOOK_RETRY_DELAYS_SECONDS": "the code's schedule (about a day) is the production one",
    "WEBHOOK_TIMEOUT_SECONDS": "the code's default is the production value",
    "WEBHOOK_INVOCATION_BUDGET_SECONDS": "the code's default fits the function's timeout",
    "ANALYTICS_TABLE": "derived from RESOURCE_PREFIX, as the template names the table",
    "COLLECTION_REMINDERS_BEFORE_SECONDS": "the code's default (a day before expiry)",
    "FRONTEND_ORIGIN": "local fallback of APP_BASE_URL",
}
