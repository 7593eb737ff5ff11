"""Analytics from the event stream: a scripted history of ingests, assignments and decisions by
several reviewers (on an injected clock, through the real API) is counted from its own domain
events, shuffled and partly redelivered, into both metrics stores; the API answers exact counts
and percentiles within the sketch's stated relative error, per local day in two time zones."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.analytics.service import record_event
from chalicelib.analytics.sketch import RELATIVE_ERROR
from chalicelib.analytics.store import InMemoryMetricsStore, MetricsStore
from chalicelib.dependencies import case_store, metrics_store
from chalicelib.handlers import analytics_api
from chalicelib.ids import use_clock
from chalicelib.models.events import DomainEvent
from tests.conftest import poll
from tests.integration.conftest import Api
from tests.integration.test_auth_api import login

RUN = "/api/v1/external/workflows/run"
ANALYTICS = "/api/v1/backoffice/analytics"
DAY1 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; New York is UTC-5 (before DST)
NOW = DAY1 + timedelta(days=1, hours=12)


class Clock:
    def __init__(self) -> None:
        self.now = DAY1

    def __call__(self) -> datetime:
        return self.now

    def at(self, offset: timedelta) -> None:
        self.now = DAY1 + offset


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


class Script:
    """Drives the API as integrator and reviewers, on the injected clock."""

    def __init__(self, api: Api, seed_request: dict[str, Any], clock: Clock) -> None:
        self.api, self.seed, self.clock = api, seed_request, clock
        self.tokens = {
            email.split("@")[0]: login(api, email)
            for email in ("admin@demo.test", "alice@demo.test", "bob@demo.test")
        }
        self.ids = {name: session["user"]["id"] for name, session in self.tokens.items()}
        self.cases: list[str] = []

    def _as(self, who: str) -> Api:
        return self.api.as_tenant(self.tokens[who]["idToken"])

    def _version(self, case_id: str) -> int:
        case = case_store().get_case("demo", case_id)
        assert case is not None
        return case.version

    def ingest(self, at: timedelta, entity: str) -> str:
        self.clock.at(at)
        request = copy.deepcopy(self.seed)
        request["context"]["entity"]["id"] = entity
        response = self.api.post(RUN, request)
        assert response.status_code == 201, response.body
        case_id = str(json.loads(response.body)["workflowRuntimeId"])
        if case_id not in self.cases:
            self.cases.append(case_id)
        return case_id

    def assign(self, at: timedelta, case_id: str, who: str, by: str = "admin") -> None:
        self.clock.at(at)
        response = self._as(by).put(
            f"/api/v1/backoffice/cases/{case_id}/assignee",
            {"assigneeId": self.ids[who], "expectedVersion": self._version(case_id)},
        )
        assert response.status_code == 200, response.body

    def decide(self, at: timedelta, case_id: str, who: str, decision: str) -> None:
        self.clock.at(at)
        body: dict[str, Any] = {"decision": decision, "expectedVersion": self._version(case_id)}
        if decision != "approve":
            body["reason"] = "blurry_or_unreadable"
        response = self._as(who).post(f"/api/v1/backoffice/cases/{case_id}/decision", body)
        assert response.status_code == 200, response.body

    def events(self) -> list[DomainEvent]:
        return [
            DomainEvent.from_audit(record)
            for case_id in self.cases
            for record in case_store().list_audit("demo", case_id)
        ]


H = 60.0  # minutes per hour
# The history (minutes after DAY1 00:00 UTC) and what it must measure.
REVIEW_TIMES = [60, 85, 325, 40]  # minutes, assigned -> decided, one per decision
FIRST_ASSIGNMENT = [10, 30, 20, 5]
RESOLUTION = [70, 355, 90]


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    with use_clock(clock):
        yield clock


@pytest.fixture
def history(api: Api, seed_request: dict[str, Any], clock: Clock) -> Script:
    s = Script(api, seed_request, clock)
    # c1 (09:00): alice approves after an hour.
    c1 = s.ingest(minutes(9 * H), "ent-1")
    s.assign(minutes(9 * H + 10), c1, "alice")
    s.decide(minutes(9 * H + 70), c1, "alice", "approve")
    # c2 (09:05): bob asks for a re-upload, the integrator resubmits, bob approves.
    c2 = s.ingest(minutes(9 * H + 5), "ent-2")
    s.assign(minutes(9 * H + 35), c2, "bob")
    s.decide(minutes(9 * H + 120), c2, "bob", "revision")
    s.ingest(minutes(14 * H), "ent-2")
    s.decide(minutes(9 * H + 360), c2, "bob", "approve")
    # c3 (23:00 UTC = 18:00 in New York): alice, reassigned to bob after midnight UTC, who
    # rejects at 00:30 UTC of day 2 (19:30 of day 1 in New York).
    c3 = s.ingest(minutes(23 * H), "ent-3")
    s.assign(minutes(23 * H + 20), c3, "alice")
    s.assign(minutes(23 * H + 50), c3, "bob")
    s.decide(minutes(24 * H + 30), c3, "bob", "reject")
    # c4 (day 2, 06:00): claimed by alice, still open. c5 (day 2, 11:30): never assigned.
    c4 = s.ingest(minutes(30 * H), "ent-4")
    s.assign(minutes(30 * H + 5), c4, "alice")
    s.ingest(minutes(35 * H + 30), "ent-5")
    return s


def summary(api: Api, token: str, **params: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.as_tenant(token).get(f"{ANALYTICS}/summary?{query}")
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def assert_percentiles(stats: dict[str, Any], values_minutes: list[float]) -> None:
    seconds = [v * 60 for v in values_minutes]
    assert stats["count"] == len(seconds)
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95)):
        exact = exact_quantile(seconds, q)
        assert abs(stats[name] - exact) <= RELATIVE_ERROR * exact, (name, stats[name], exact)


@pytest.fixture
def counted(history: Script, monkeypatch: pytest.MonkeyPatch) -> list[DomainEvent]:
    """Every event counted into the DynamoDB store out of order, a third of them twice."""
    monkeypatch.setattr(analytics_api, "clock", lambda: NOW)
    events = history.events()
    shuffled = events + random.Random(7).sample(events, len(events) // 3)
    random.Random(18).shuffle(shuffled)
    for event in shuffled:
        record_event(metrics_store(), event)
    return events


def test_counts_and_percentiles_of_a_scripted_history(
    api: Api, history: Script, counted: list[DomainEvent]
) -> None:
    admin = history.tokens["admin"]["idToken"]
    body = summary(api, admin, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert body["counts"] == {
        "created": 5,
        "assigned": 5,
        "reassigned": 1,
        "decided": 4,
        "approved": 2,
        "rejected": 1,
        "revision": 1,
        "resubmitted": 1,
        "completed": 3,
        "approvalsPending": 0,
        "approvalsConfirmed": 0,
        "approvalsReturned": 0,
        "approvalsVoided": 0,
        "criteriaOverridden": 0,
        "slaBreached": 0,
    }
    assert body["rates"] == {"approval": 0.5, "rejection": 0.25, "revision": 0.25}
    assert body["revisionRoundsPerCase"] == pytest.approx(1 / 3, abs=1e-4)
    durations = body["durations"]
    assert_percentiles(durations["timeToFirstAssignment"], FIRST_ASSIGNMENT)
    assert_percentiles(durations["reviewTime"], REVIEW_TIMES)
    assert_percentiles(durations["resolutionTime"], RESOLUTION)
    assert body["relativeError"] == RELATIVE_ERROR
    # Open at NOW (day 2, 12:00): c4 created 6 h ago, c5 30 min ago, both in manual_review.
    assert body["open"]["total"] == 2
    assert body["open"]["byState"] == [
        {
            "state": "manual_review",
            "count": 2,
            "ages": {"lt1h": 1, "lt1d": 1, "lt3d": 0, "lt7d": 0, "older": 0},
        }
    ]
    assert body["decidedToday"] == 1  # c3's rejection at 00:30 UTC of day 2


def test_a_redelivered_event_is_counted_once(
    api: Api, history: Script, counted: list[DomainEvent]
) -> None:
    admin = history.tokens["admin"]["idToken"]
    before = summary(api, admin, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert not any(record_event(metrics_store(), event) for event in counted)
    assert summary(api, admin, **{"from": "2026-03-02", "to": "2026-03-03"}) == before


def test_days_split_in_the_readers_time_zone(
    api: Api, history: Script, counted: list[DomainEvent]
) -> None:
    token = history.tokens["admin"]["idToken"]

    def days(zone: str) -> dict[str, tuple[int, int, int]]:
        response = api.as_tenant(token).get(
            f"{ANALYTICS}/daily?from=2026-03-02&to=2026-03-03&timezone={zone}"
        )
        assert response.status_code == 200, response.body
        return {
            row["date"]: (row["created"], row["decided"], row["rejected"])
            for row in response.json_body["data"]
        }

    # UTC: c3's rejection (00:30 UTC) is on day 2; so are c4 and c5.
    assert days("UTC") == {"2026-03-02": (3, 3, 0), "2026-03-03": (2, 1, 1)}
    # New York: 00:30 UTC is 19:30 of day 1; c4 (06:00 UTC = 01:00) and c5 stay on day 2.
    assert days("America/New_York") == {"2026-03-02": (3, 4, 1), "2026-03-03": (2, 0, 0)}


def test_per_reviewer_counts_and_review_times(
    api: Api, history: Script, counted: list[DomainEvent]
) -> None:
    token = history.tokens["admin"]["idToken"]
    response = api.as_tenant(token).get(f"{ANALYTICS}/reviewers?from=2026-03-02&to=2026-03-03")
    assert response.status_code == 200, response.body
    rows = {row["reviewerId"]: row for row in response.json_body["data"]}
    alice, bob = rows[history.ids["alice"]], rows[history.ids["bob"]]
    assert (alice["assigned"], alice["decided"], alice["approved"]) == (3, 1, 1)
    assert (bob["assigned"], bob["reassigned"], bob["decided"]) == (2, 1, 3)
    assert (bob["approved"], bob["rejected"], bob["revision"]) == (1, 1, 1)
    assert_percentiles(alice["reviewTime"], [60])
    assert_percentiles(bob["reviewTime"], [85, 325, 40])
    assert rows[history.ids["admin"]]["decided"] == 0  # listed, with nothing done


def test_the_in_memory_store_agrees_with_dynamodb(
    api: Api, history: Script, counted: list[DomainEvent]
) -> None:
    from chalicelib.analytics import service
    from chalicelib.models.analytics import AnalyticsParams

    fake: MetricsStore = InMemoryMetricsStore()
    for event in reversed(counted):
        record_event(fake, event)
    params = AnalyticsParams.model_validate({"from": "2026-03-02", "to": "2026-03-03"})
    real = service.summary(metrics_store(), "demo", params, NOW)
    assert service.summary(fake, "demo", params, NOW) == real


def test_the_summary_reads_the_same_items_whatever_the_cases(
    api: Api, history: Script, counted: list[DomainEvent]
) -> None:
    token = history.tokens["admin"]["idToken"]
    first = summary(api, token, **{"from": "2026-03-02", "to": "2026-03-03"})["itemsRead"]
    for index in range(5):
        history.ingest(minutes(36 * H + index), f"more-{index}")
    for event in history.events():
        record_event(metrics_store(), event)
    again = summary(api, token, **{"from": "2026-03-02", "to": "2026-03-03"})
    assert again["counts"]["created"] == 10
    assert again["itemsRead"] == first


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("from=2025-01-01&to=2026-03-01", "to"),
        ("from=2026-03-05&to=2026-03-01", "from"),
        ("timezone=Mars/Olympus", "timezone"),
        ("from=yesterday", "from"),
    ],
)
def test_bad_ranges_are_400_with_the_field(api: Api, query: str, path: str) -> None:
    token = login(api, "admin@demo.test")["idToken"]
    response = api.as_tenant(token).get(f"{ANALYTICS}/summary?{query}")
    assert response.status_code == 400, response.body
    details = response.json_body["error"]["details"]
    assert path in json.dumps(details)


def test_analytics_need_the_permission(api: Api) -> None:
    viewer = login(api, "viewer@demo.test")["idToken"]
    for table in ("summary", "daily", "reviewers", "export.csv"):
        assert api.as_tenant(viewer).get(f"{ANALYTICS}/{table}").status_code == 403
        assert api.as_tenant(None).get(f"{ANALYTICS}/{table}").status_code == 401


def test_csv_export(api: Api, history: Script, counted: list[DomainEvent]) -> None:
    token = history.tokens["admin"]["idToken"]
    response = api.as_tenant(token).get(
        f"{ANALYTICS}/export.csv?from=2026-03-02&to=2026-03-03&table=daily"
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = response.body.decode().splitlines()
    assert lines[0] == "date,created,decided,approved,rejected,revision,resubmitted,completed"
    assert lines[1:] == ["2026-03-02,3,3,2,0,1,1,2", "2026-03-03,2,1,0,1,0,0,1"]
    reviewers = api.as_tenant(token).get(f"{ANALYTICS}/export.csv?table=reviewers")
    assert reviewers.status_code == 200
    assert reviewers.body.decode().splitlines()[0].startswith("reviewerId,name,assigned")


def test_events_reach_the_aggregates_through_the_bus(
    api: Api, pipeline: Any, seed_request: dict[str, Any]
) -> None:
    """Outbox -> EventBridge -> metrics rule -> SQS -> metrics consumer, on the system clock."""
    token = login(api, "admin@demo.test")["idToken"]
    request = copy.deepcopy(seed_request)
    request["context"]["entity"]["id"] = "bus-entity"
    assert api.post(RUN, request).status_code == 201

    def created() -> int:
        return int(summary(api, token)["counts"]["created"])

    poll(lambda: created() == 1)
    assert summary(api, token)["open"]["total"] == 1


def test_the_demo_history_fills_the_dashboard(
    api: Api, seed_request: dict[str, Any], clock: Clock
) -> None:
    from local.seed import seed_demo_history

    live = Script(api, seed_request, clock)
    live.ingest(minutes(35 * H), "live-entity")
    for event in live.events():  # a live case counted before the history is loaded
        record_event(metrics_store(), event)
    assert seed_demo_history(clock=lambda: NOW) > 100
    token = login(api, "admin@demo.test")["idToken"]
    response = api.as_tenant(token).get(f"{ANALYTICS}/summary?from=2026-02-10&to=2026-03-03")
    body = response.json_body
    assert body["counts"]["decided"] >= body["counts"]["completed"] > 50
    assert body["counts"]["revision"] > 0 and body["counts"]["reassigned"] > 0
    assert body["durations"]["reviewTime"]["p50"] > 0
    # The history's cases are all resolved: the open cases are the live one, still counted.
    assert body["open"]["total"] == 1
    reviewers = api.as_tenant(token).get(f"{ANALYTICS}/reviewers?from=2026-02-10&to=2026-03-03")
    assert sum(row["decided"] for row in reviewers.json_body["data"]) == body["counts"]["decided"]
