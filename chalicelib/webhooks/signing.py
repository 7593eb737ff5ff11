"""Standard Webhooks v1 signing with the `standardwebhooks` package (never hand-rolled)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

# The Standard Webhooks prefix of every secret, not a secret itself.
SECRET_PREFIX = "whsec_"  # nosec B105
USER_AGENT = "kyc-backoffice-webhooks/1"


def generate_secret() -> str:
    """A fresh 32-byte signing secret in the `whsec_<base64>` form receivers' libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(
    msg_id: str, body: str, signing_secrets: Sequence[str], now: datetime
) -> dict[str, str]:
    """Headers of one attempt. With several secrets (a rotation in progress) the signature header
    carries one `v1,<sig>` per secret, space-separated, so a receiver holding either key
    verifies: that is how Standard Webhooks makes rotation gap-free."""
    if not signing_secrets:
        raise ValueError("at least one signing secret is needed")
    signature = " ".join(Webhook(s).sign(msg_id, now, body) for s in signing_secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
