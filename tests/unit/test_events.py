"""The event registry is the one list of domain events: the webhook types, the API schema and
the docs agree with it."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

from chalicelib.models.events import EVENT_TYPES, Rule, detail_types, webhook_type
from chalicelib.models.webhooks import WebhookType

DOCS = Path(__file__).resolve().parents[2] / "docs"


def table_rows(markdown: str, header: str) -> list[list[str]]:
    """The cells of the markdown table whose header row starts with `header`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header}"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def test_webhook_types_of_the_api_schema_are_the_registrys() -> None:
    registered = {e.webhook for e in EVENT_TYPES.values() if e.webhook}
    assert set(typing.get_args(WebhookType)) == registered


def test_the_webhooks_doc_table_is_the_registry() -> None:
    rows = table_rows((DOCS / "webhooks.md").read_text(), "domain event")
    assert rows == [[e.name, e.webhook] for e in EVENT_TYPES.values() if e.webhook]


def test_the_events_doc_lists_every_event_with_its_webhook_and_rules() -> None:
    rows = table_rows((DOCS / "events.md").read_text(), "domain event")
    expected = [
        [
            e.name,
            e.webhook or "-",
            ", ".join(rule.value for rule in e.routed_by) or "-",
            e.meaning,
        ]
        for e in EVENT_TYPES.values()
    ]
    assert [[re.sub(r"`", "", c) for c in row] for row in rows] == expected


def test_lookups() -> None:
    assert webhook_type("case.completed") == "workflow.completed"
    assert webhook_type("case.created") is None
    assert webhook_type("no.such_event") is None
    assert detail_types(Rule.PAGE_FETCH) == ["case.created", "case.context_updated"]
    assert detail_types(Rule.WEBHOOKS)[0] == "case.state_changed"


def test_every_audit_action_the_code_writes_is_registered() -> None:
    """Scan the source for AuditRecord(action=...) / audit_record(case, action, ...) literals."""
    root = Path(__file__).resolve().parents[2] / "chalicelib"
    written: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "AuditRecord":
                actions = [k.value for k in node.keywords if k.arg == "action"]
            elif name == "audit_record" and len(node.args) > 1:
                actions = [node.args[1]]
            else:
                continue
            for action in actions:
                written |= {
                    c.value
                    for c in ast.walk(action)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
    assert written, "no audit records found: the scan is broken"
    assert written <= set(EVENT_TYPES), written - set(EVENT_TYPES)


def test_every_event_analytics_counts_reaches_the_metrics_queue() -> None:
    """Four-eyes confirmations, returns and overrides are counted only if the rule routes them."""
    from chalicelib.analytics.events import COUNTED_EVENTS

    assert set(detail_types(Rule.METRICS)) == set(COUNTED_EVENTS)
