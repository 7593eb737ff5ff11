"""The local stack's mailbox: the customer emails moto's SES kept (served by local AWS at
`SES_SENT_MESSAGES_PATH`, `local/moto_patches.ses_sent_messages_endpoint`),
printed as they arrive, so a developer can open a collection link without a mail server.

This is the customer's inbox stand-in, not the app's log: the app never logs a link."""

from __future__ import annotations

import threading
from typing import Any

import httpx

POLL_SECONDS = 2.0
SES_SENT_MESSAGES_PATH = "/moto-api/ses/sent-messages"


def sent_messages(endpoint: str) -> list[dict[str, Any]]:
    """Every message moto's SES has sent: {id, source, destinations, subject, body}."""
    response = httpx.get(f"{endpoint}{SES_SENT_MESSAGES_PATH}", timeout=5)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    return messages


class MailboxPrinter:
    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._stop = threading.Event()
        self._seen: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="mailbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                messages = sent_messages(self._endpoint)
            except httpx.HTTPError:
                continue
            for message in messages:
                if message.get("id") in self._seen:
                    continue
                self._seen.add(str(message.get("id")))
                to = ", ".join(message.get("destinations", {}).get("ToAddresses", []))
                print(
                    f"\n  [local mailbox] to {to}: {message.get('subject')}\n"
                    + "\n".join(f"    {line}" for line in str(message.get("body")).splitlines()),
                    flush=True,
                )
