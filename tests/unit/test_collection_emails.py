"""Customer emails: the recipient, the language (templates as data, English as the fallback)
and what a request's email says."""

from __future__ import annotations

from typing import Any

from chalicelib.collection import emails
from chalicelib.models.case import Case, RequestedDocument


def case(config: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> Case:
    return Case(
        case_id="case_1",
        tenant_id="demo",
        workflow_definition_id="kyc-manual-review",
        workflow_definition_version=1,
        state="revision",
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        entity_type="individual",
        entity_id="e-1",
        ballerine_entity_id="ent_1",
        entity_name="Jane Doe",
        context={"entity": {"id": "e-1", "data": data or {}}, "documents": []},
        config=config or {},
    )


def test_the_runs_address_wins_over_the_entitys() -> None:
    assert emails.recipient(case(data={"email": "jane@example.com"})) == "jane@example.com"
    run = case({"notifications": {"email": "ops@example.com"}}, {"email": "jane@example.com"})
    assert emails.recipient(run) == "ops@example.com"
    assert emails.recipient(case(data={"email": "not an address"})) is None


def test_a_language_without_templates_falls_back_to_english() -> None:
    assert emails.language_of(case({"language": "de-DE"})) == "de"
    assert emails.templates("de") == emails.templates("en")
    assert emails.templates("../../etc") == emails.templates("en")


def test_the_request_email_lists_every_document_with_its_reason_and_the_link() -> None:
    requested = [
        RequestedDocument(
            document_id="doc_1", type="passport", category="id", reason="expired", message="new one"
        ),
        RequestedDocument(type="utility_bill", category="proof_of_address"),
    ]
    subject, body = emails.render(
        "request",
        case(),
        requested=requested,
        message="Thanks!",
        url="https://app.example/collect/t",
        expires_at="2026-01-08T00:00:00.000Z",
    )
    assert "Jane Doe" in subject
    assert "- Passport: the document has expired (new one)" in body
    assert "- Utility bill: we do not have this document yet" in body
    assert "Thanks!" in body and "https://app.example/collect/t" in body
