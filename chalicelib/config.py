"""Runtime settings, read from the environment when asked for (never at import).

Chalice only exposes stage environment variables while a handler runs, so nothing here may be
read at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # the Lambda synchronous payload limit


@dataclass(frozen=True)
class Settings:
    stage: str
    resource_prefix: str
    cases_table: str
    idempotency_table: str
    documents_bucket: str
    event_bus: str
    state_machine_arn_prefix: str
    api_key_pepper: str
    allow_loopback_fetch: bool

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def state_machine_arn(self, state_machine_name: str) -> str:
        return f"{self.state_machine_arn_prefix}{state_machine_name}"


def get_settings() -> Settings:
    env = os.environ
    prefix = env.get("RESOURCE_PREFIX", "kyc-local")
    return Settings(
        stage=env.get("STAGE", "local"),
        resource_prefix=prefix,
        cases_table=env.get("CASES_TABLE", f"{prefix}-cases"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", f"{prefix}-idempotency"),
        documents_bucket=env.get("DOCUMENTS_BUCKET", f"{prefix}-documents"),
        event_bus=env.get("EVENT_BUS", f"{prefix}-events"),
        state_machine_arn_prefix=env.get(
            "STATE_MACHINE_ARN_PREFIX",
            f"arn:aws:states:{env.get('AWS_DEFAULT_REGION', 'us-east-1')}:123456789012:"
            f"stateMachine:{prefix}-",
        ),
        api_key_pepper=env.get("API_KEY_PEPPER", "local-pepper"),
        allow_loopback_fetch=env.get("ALLOW_LOOPBACK_FETCH", "false").lower() == "true",
    )
