"""After the load: wait for the stack to drain, then check what it committed against what it
delivered, through the API and local AWS: cases = accepted runs, one delivered `webhook-id` per
event per subscription, every execution in its case's state, empty dead-letter queues."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chalicelib.models.events import webhook_type
from local.child_stack import Stack, states_entered
from tests.integration.test_webhooks_api import Receiver

CASES = "/api/v1/backoffice/cases"
DELIVERIES = "/api/v1/backoffice/webhooks/deliveries"
UNFINISHED_DELIVERIES = ("pending", "retrying")
QUEUE_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True)
class Result:
    check: str
    ok: bool
    detail: str


def pages(admin: httpx.Client, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        more = {"cursor": cursor} if cursor else {}
        response = admin.get(path, params={**params, "limit": 100, **more})
        response.raise_for_status()
        body = response.json()
        yield from body["data"]
        cursor = body.get("nextCursor")
        if not cursor:
            return


def all_cases(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    rows = pages(admin, CASES, {"status": "all", "assignee": "any"})
    return {row["id"]: row for row in rows}


def _queue_depths(stack: Stack) -> dict[str, int]:
    sqs = stack.aws_client("sqs")
    depths = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(QUEUE_COUNTS))
        depths[url.rsplit("/", 1)[-1]] = sum(
            int(attributes["Attributes"].get(name, 0)) for name in QUEUE_COUNTS
        )
    return depths


def drain(stack: Stack, admin: httpx.Client, timeout: float) -> float:
    """Wait until no queue holds a message and no delivery waits for an attempt, twice in a row
    a second apart (a stream record can sit between the table and the bus); seconds waited."""
    started = time.monotonic()
    settled = 0
    while settled < 2 and time.monotonic() - started < timeout:
        busy = {name: n for name, n in _queue_depths(stack).items() if n and "dlq" not in name}
        unfinished = sum(
            len(admin.get(DELIVERIES, params={"status": s, "limit": 1}).json()["data"])
            for s in UNFINISHED_DELIVERIES
        )
        settled = settled + 1 if not busy and not unfinished else 0
        time.sleep(1)
    return time.monotonic() - started


def poll_checks(check: Callable[[], list[Result]], timeout: float) -> list[Result]:
    """Run `check` until all pass or the deadline: consumers may still be finishing."""
    deadline = time.monotonic() + timeout
    while True:
        results = check()
        if all(r.ok for r in results) or time.monotonic() > deadline:
            return results
        time.sleep(2)


def cases_match_runs(
    cases: dict[str, dict[str, Any]], before: set[str], accepted: set[str]
) -> Result:
    new = set(cases) - before
    missing, extra = accepted - new, new - accepted
    detail = f"{len(new)} cases, {len(accepted)} accepted runs"
    if missing or extra:
        strays = [f"{c} (entity {cases[c]['entity']['id']})" for c in sorted(extra)[:5]]
        detail += f"; not listed: {sorted(missing)[:5]}; never accepted: {strays}"
    return Result("cases = accepted runs", not missing and not extra, detail)


def expected_events(admin: httpx.Client, case_ids: set[str]) -> dict[str, str]:
    """event id -> case id, for every audited event of these cases that is sent as a webhook."""
    events = {}
    for case_id in sorted(case_ids):
        response = admin.get(f"{CASES}/{case_id}/audit")
        response.raise_for_status()
        for entry in response.json()["data"]:
            if webhook_type(entry["action"]):
                events[entry["id"]] = case_id
    return events


def webhooks_once(
    admin: httpx.Client,
    events: dict[str, str],
    receivers: dict[str, Receiver],
) -> list[Result]:
    """Per subscription: every event arrived verified under exactly one `webhook-id`, nothing
    arrived that was not audited, and the delivery log says the same."""
    log: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for delivery in pages(admin, DELIVERIES, {}):
        if delivery["eventId"] in events:
            log[(delivery["eventId"], delivery["subscriptionId"])].append(delivery)
    results = []
    for subscription_id, receiver in receivers.items():
        with receiver.lock:
            received = list(receiver.received)
            requests = len(receiver.requests)
            failed = sum(1 for r in receiver.requests if r[3] != "200")
        ids: dict[str, set[str]] = defaultdict(set)
        answered: dict[str, int] = defaultdict(int)
        for arrival in received:
            if arrival.data["caseId"] in events.values():
                ids[arrival.data["eventId"]].add(arrival.webhook_id)
                answered[arrival.webhook_id] += 1
        missing = [e for e in events if not ids.get(e)]
        several = [e for e in events if len(ids.get(e, ())) > 1]
        unaudited = [e for e in ids if e not in events]
        # The same id answered 2xx twice is fine only when the sender never saw an answer
        # (a timeout): SQS and the sender are at-least-once, receivers de-duplicate on the id.
        twice = [w for w, n in answered.items() if n > 1 and not _sender_missed_answer(admin, w)]
        off_log = [
            e
            for e in events
            if [(d["id"], d["status"]) for d in log.get((e, subscription_id), [])]
            != [(w, "delivered") for w in sorted(ids.get(e, ()))]
        ]
        ok = not (missing or several or unaudited or off_log or twice or receiver.rejected)
        detail = (
            f"{len(events)} events, {len(ids)} delivered, {requests} requests "
            f"({failed} answered 500), {len(receiver.rejected)} bad signatures"
        )
        for name, bad in (
            ("missing", missing),
            ("under several ids", several),
            ("not audited", unaudited),
            ("log disagrees", off_log),
            ("same id answered 2xx twice", twice),
        ):
            if bad:
                detail += f"; {name}: {len(bad)} e.g. {bad[:3]}"
        results.append(Result(f"one webhook-id per event: {subscription_id}", ok, detail))
    return results


def _sender_missed_answer(admin: httpx.Client, delivery_id: str) -> bool:
    attempts = admin.get(f"{DELIVERIES}/{delivery_id}").json().get("attemptLog") or []
    return any(a["statusCode"] is None for a in attempts)


def executions_in_sync(stack: Stack, cases: dict[str, dict[str, Any]]) -> Result:
    """Each case's execution waits in the case's state, or ended in it when the case did."""
    sfn = stack.aws_client("stepfunctions")
    wrong = []
    for case_id, case in sorted(cases.items()):
        definition, version = case["workflowDefinitionId"], case["workflowDefinitionVersion"]
        machine = stack.state_machine_arn(definition, version)
        execution = machine.replace(":stateMachine:", ":execution:") + f":{case_id}"
        status = sfn.describe_execution(executionArn=execution)["status"]
        entered = states_entered(stack.execution_history(definition, case_id, version) or [])
        expected_status = "SUCCEEDED" if case["status"] == "completed" else "RUNNING"
        if entered[-1:] != [case["state"]] or status != expected_status:
            wrong.append(f"{case_id}: case {case['state']}, execution {status} in {entered[-1:]}")
    detail = f"{len(cases) - len(wrong)}/{len(cases)} in their case's state"
    if wrong:
        detail += f"; e.g. {wrong[:3]}"
    return Result("executions in the case's state", not wrong, detail)


def dead_letters(stack: Stack) -> Result:
    depths = {name: n for name, n in _queue_depths(stack).items() if "dlq" in name.lower()}
    full = {name: n for name, n in depths.items() if n}
    detail = f"{len(depths)} DLQs, {full or 'all empty'}"
    return Result("no DLQ messages", bool(depths) and not full, detail)
