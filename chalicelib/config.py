"""Runtime settings, read from the environment when asked for (never at import).

Chalice only exposes stage environment variables while a handler runs, so nothing here may be
read at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.aws.secrets import secret_or_env
from chalicelib.limits import WEBHOOK_ATTEMPT_TIMEOUT_SECONDS, WEBHOOK_INVOCATION_BUDGET_SECONDS

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # the Lambda synchronous payload limit


@dataclass(frozen=True)
class Settings:
    stage: str
    resource_prefix: str
    cases_table: str
    idempotency_table: str
    documents_bucket: str
    # URL (cloud: DOCUMENT_FETCH_QUEUE_URL) or name (local): where unfinished work is handed back.
    document_fetch_queue: str
    event_bus: str
    # The plugin worker's queue (cloud: PLUGIN_QUEUE_URL; local: its name): reviewers' re-runs.
    plugin_queue: str
    state_machine_arn_prefix: str
    # The role published definitions' state machines run as (the bundled ones' role), and the
    # queue their waiting states send task tokens to (cloud: URL; local: its name).
    state_machine_role_arn: str
    workflow_task_queue: str
    allow_loopback_fetch: bool
    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str
    region: str
    # Secret-backed settings are read from here when first asked for, not when the settings are
    # built: a function reads only the secrets it uses, which are all its role may read.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Where Cognito sends no email (the local stack, tests), an invitation's temporary password
    # is answered to the inviting admin, once; in the cloud Cognito emails it.
    invite_password_in_answer: bool = False

    @property
    def api_key_pepper(self) -> str:
        return secret_or_env(self.env, "API_KEY_PEPPER", "local-pepper")

    @property
    def cursor_signing_key(self) -> str:
        """Signs pagination cursors. Its own secret: a cursor reveals nothing about the pepper of
        the API key hashes, and rotating it only voids the cursors clients hold."""
        return secret_or_env(self.env, "CURSOR_SIGNING_KEY", "local-cursor-key")

    @property
    def token_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def state_machine_arn(self, state_machine_name: str) -> str:
        return f"{self.state_machine_arn_prefix}{state_machine_name}"


def get_settings() -> Settings:
    env = os.environ
    prefix = env.get("RESOURCE_PREFIX", "kyc-local")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", "us-east-1")
    user_pool_id = env.get("USER_POOL_ID", "")
    return Settings(
        stage=env.get("STAGE", "local"),
        resource_prefix=prefix,
        cases_table=env.get("CASES_TABLE", f"{prefix}-cases"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", f"{prefix}-idempotency"),
        documents_bucket=env.get("DOCUMENTS_BUCKET", f"{prefix}-documents"),
        document_fetch_queue=env.get("DOCUMENT_FETCH_QUEUE_URL") or f"{prefix}-document-fetch",
        event_bus=env.get("EVENT_BUS", f"{prefix}-events"),
        plugin_queue=env.get("PLUGIN_QUEUE_URL") or f"{prefix}-plugin",
        state_machine_arn_prefix=env.get(
            "STATE_MACHINE_ARN_PREFIX",
            f"arn:aws:states:{env.get('AWS_DEFAULT_REGION', 'us-east-1')}:123456789012:"
            f"stateMachine:{prefix}-",
        ),
        state_machine_role_arn=env.get("STATE_MACHINE_ROLE_ARN")
        or f"arn:aws:iam::123456789012:role/{prefix}-state-machine",
        workflow_task_queue=env.get("WORKFLOW_TASK_QUEUE_URL") or f"{prefix}-workflow-task",
        allow_loopback_fetch=env.get("ALLOW_LOOPBACK_FETCH", "false").lower() == "true",
        user_pool_id=user_pool_id,
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        jwks_url=env.get("COGNITO_JWKS_URL") or _jwks_url(env, region, user_pool_id),
        region=region,
        env=env,
        invite_password_in_answer=env.get("INVITE_PASSWORD_IN_ANSWER", "false").lower() == "true",
    )


def _jwks_url(env: Mapping[str, str], region: str, user_pool_id: str) -> str:
    # Locally the pool's keys are served by the local AWS endpoint, not by the issuer's host.
    endpoint = env.get("AWS_ENDPOINT_URL")
    base = endpoint or f"https://cognito-idp.{region}.amazonaws.com"
    return f"{base.rstrip('/')}/{user_pool_id}/.well-known/jwks.json"


@dataclass(frozen=True)
class WebhookSettings:
    """Webhook delivery settings (issue 5). The default subscription's secret is not here: in the
    cloud it lives in Secrets Manager (`chalicelib.dependencies.default_webhook_secret`)."""

    table: str
    default_url: str
    retry_delays: tuple[float, ...]
    timeout_seconds: float
    queue: str  # URL (cloud: WEBHOOK_QUEUE_URL) or name (local)
    dead_letter_queue: str
    # http and loopback receivers are allowed only in local mode (the one-machine stack, tests).
    allow_local_receivers: bool
    invocation_budget_seconds: float


def get_webhook_settings() -> WebhookSettings:
    from chalicelib.webhooks.retry import parse_delays

    env = os.environ
    prefix = env.get("RESOURCE_PREFIX", "kyc-local")
    return WebhookSettings(
        table=env.get("WEBHOOKS_TABLE", f"{prefix}-webhooks"),
        default_url=env.get("WEBHOOK_URL", "").strip(),
        retry_delays=parse_delays(env.get("WEBHOOK_RETRY_DELAYS_SECONDS")),
        timeout_seconds=float(
            env.get("WEBHOOK_TIMEOUT_SECONDS") or WEBHOOK_ATTEMPT_TIMEOUT_SECONDS
        ),
        queue=env.get("WEBHOOK_QUEUE_URL") or f"{prefix}-webhook",
        dead_letter_queue=env.get("WEBHOOK_QUEUE_DLQ_URL") or f"{prefix}-webhook-dlq",
        allow_local_receivers=env.get("ALLOW_LOOPBACK_FETCH", "false").lower() == "true",
        invocation_budget_seconds=float(
            env.get("WEBHOOK_INVOCATION_BUDGET_SECONDS") or WEBHOOK_INVOCATION_BUDGET_SECONDS
        ),
    )


def get_analytics_table() -> str:
    """The analytics aggregates' table (issue 18)."""
    env = os.environ
    return env.get("ANALYTICS_TABLE") or f"{env.get('RESOURCE_PREFIX', 'kyc-local')}-analytics"


@dataclass(frozen=True)
class CollectionSettings:
    """The back-and-forth with the customer (issue 17)."""

    # Where the customer page is served (collection links point here): the app's origin.
    app_base_url: str
    # The SES sender identity of customer emails; empty: no emails.
    email_sender: str
    # Reminder emails go this many seconds before a round's links expire.
    reminders_before: tuple[int, ...]


def get_collection_settings() -> CollectionSettings:
    env = os.environ
    reminders = env.get("COLLECTION_REMINDERS_BEFORE_SECONDS", "86400")
    return CollectionSettings(
        app_base_url=(env.get("APP_BASE_URL") or env.get("FRONTEND_ORIGIN", "")).rstrip("/"),
        email_sender=env.get("EMAIL_SENDER", "").strip(),
        reminders_before=tuple(int(v) for v in reminders.split(",") if v.strip()),
    )
