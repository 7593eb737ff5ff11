"""Amazon SES adapter: plain-text email to customers (the only boto3 importer for SES).
Locally moto's SES keeps every sent message (`local/mailbox.py` reads them)."""

from __future__ import annotations

import functools
from typing import Any

import boto3

from chalicelib.caches import register


@register
@functools.cache
def ses_client() -> Any:
    return boto3.client("ses")


class SesMailer:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, to: str, subject: str, body: str) -> str:
        """Send one plain-text message; SES's message id."""
        response = ses_client().send_email(
            Source=self._sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
        return str(response["MessageId"])
