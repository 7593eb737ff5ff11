"""The checks `make load` ends with fail when they should: an event missing, delivered under two
ids or twice, a log that disagrees with the receiver, a case nobody was answered for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from load.checks import DELIVERIES, cases_match_runs, webhooks_once
from tests.integration.test_webhooks_api import Received, Receiver

EVENTS = {"evt_1": "case_1", "evt_2": "case_1"}


def arrival(event_id: str, webhook_id: str) -> Received:
    return Received(webhook_id, "case.assigned", {"eventId": event_id, "caseId": "case_1"}, {}, 0)


def delivery(event_id: str, webhook_id: str, status: str = "delivered") -> dict[str, Any]:
    return {"id": webhook_id, "eventId": event_id, "subscriptionId": "default", "status": status}


@pytest.fixture
def log() -> list[dict[str, Any]]:
    return [delivery("evt_1", "msg_1"), delivery("evt_2", "msg_2")]


@pytest.fixture
def attempts() -> dict[str, list[dict[str, Any]]]:
    return {}


@pytest.fixture
def admin(
    log: list[dict[str, Any]], attempts: dict[str, list[dict[str, Any]]]
) -> Iterator[httpx.Client]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == DELIVERIES:
            return httpx.Response(200, json={"data": log, "nextCursor": None})
        delivery_id = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json={"attemptLog": attempts.get(delivery_id, [])})

    with httpx.Client(base_url="http://stack", transport=httpx.MockTransport(answer)) as client:
        yield client


def check(admin: httpx.Client, *arrivals: Received) -> tuple[bool, str]:
    receiver = Receiver([])
    receiver.received.extend(arrivals)
    [result] = webhooks_once(admin, EVENTS, {"default": receiver})
    return result.ok, result.detail


def test_every_event_once_under_its_logged_id_passes(admin: httpx.Client) -> None:
    assert check(admin, arrival("evt_1", "msg_1"), arrival("evt_2", "msg_2"))[0]


def test_a_missing_event_fails(admin: httpx.Client) -> None:
    ok, detail = check(admin, arrival("evt_1", "msg_1"))
    assert not ok and "missing: 1" in detail


def test_an_event_under_two_ids_fails(admin: httpx.Client) -> None:
    ok, detail = check(
        admin, arrival("evt_1", "msg_1"), arrival("evt_1", "msg_x"), arrival("evt_2", "msg_2")
    )
    assert not ok and "under several ids: 1" in detail


def test_a_log_that_disagrees_fails(admin: httpx.Client, log: list[dict[str, Any]]) -> None:
    log[1] = delivery("evt_2", "msg_2", status="retrying")
    ok, detail = check(admin, arrival("evt_1", "msg_1"), arrival("evt_2", "msg_2"))
    assert not ok and "log disagrees: 1" in detail


def test_the_same_id_answered_twice_fails_unless_the_sender_missed_the_answer(
    admin: httpx.Client, attempts: dict[str, list[dict[str, Any]]]
) -> None:
    arrivals = (arrival("evt_1", "msg_1"), arrival("evt_1", "msg_1"), arrival("evt_2", "msg_2"))
    ok, detail = check(admin, *arrivals)
    assert not ok and "same id answered 2xx twice: 1" in detail

    attempts["msg_1"] = [{"statusCode": None, "error": "timeout"}, {"statusCode": 200}]
    assert check(admin, *arrivals)[0]


def test_a_case_without_an_accepted_run_fails() -> None:
    cases = {c: {"entity": {"id": f"e-{c}"}} for c in ("case_1", "case_2")}
    assert cases_match_runs(cases, set(), {"case_1", "case_2"}).ok
    stray = cases_match_runs(cases, set(), {"case_1"})
    assert not stray.ok and "case_2 (entity e-case_2)" in stray.detail
