"""The environment of the one-machine stack: where local AWS is and what the resources are named."""

from __future__ import annotations

import os

REGION = "us-east-1"
PREFIX = "kyc-local"
DEFAULT_API_PORT = 3000
DEFAULT_AWS_PORT = 4566

# Fixed local tenants and their integrator API keys.
TENANT_API_KEYS = {"demo": "secret", "acme": "acme-secret"}

# Fixed local reviewer accounts: (tenant, email, name, roles); one password for all.
REVIEWER_PASSWORD = "Passw0rd!local"
LOCAL_REVIEWERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("demo", "admin@demo.test", "Ada Admin", ("admin",)),
    ("demo", "alice@demo.test", "Alice Reviewer", ("reviewer",)),
    ("demo", "bob@demo.test", "Bob Reviewer", ("reviewer",)),
    ("demo", "carol@demo.test", "Carol Senior", ("senior_reviewer",)),
    ("demo", "viewer@demo.test", "Victor Viewer", ("viewer",)),
    ("acme", "admin@acme.test", "Acme Admin", ("admin",)),
)


def api_port() -> int:
    return int(os.environ.get("LOCAL_API_PORT", DEFAULT_API_PORT))


def aws_port() -> int:
    return int(os.environ.get("LOCAL_AWS_PORT", DEFAULT_AWS_PORT))


def local_environment(aws_port: int, api_port: int) -> dict[str, str]:
    endpoint = f"http://127.0.0.1:{aws_port}"
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "STAGE": "local",
        "RESOURCE_PREFIX": PREFIX,
        "API_KEY_PEPPER": "local-pepper",
        "CURSOR_SIGNING_KEY": "local-cursor-key",
        "ALLOW_LOOPBACK_FETCH": "true",
        "INVITE_PASSWORD_IN_ANSWER": "true",
        "FRONTEND_ORIGIN": f"http://localhost:{api_port}",
        "POWERTOOLS_METRICS_NAMESPACE": "KycBackoffice",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }
