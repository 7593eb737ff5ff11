"""Local tenants, API keys and demo cases, so the back office is not empty on first start."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from chalicelib.auth.accounts import register_reviewer
from chalicelib.aws.dynamodb import DynamoTenantDirectory
from chalicelib.config import get_settings
from chalicelib.dependencies import (
    document_storage,
    reviewer_directory,
    user_pool,
    webhook_store,
)
from chalicelib.ids import utc_now
from chalicelib.tenants.api_keys import hash_api_key
from chalicelib.webhooks.tenant_secret import tenant_signing_secret
from local.environment import LOCAL_REVIEWERS, REVIEWER_PASSWORD, TENANT_API_KEYS
from local.sample_documents import render_document_page


def seed_tenants() -> None:
    settings = get_settings()
    directory = DynamoTenantDirectory(settings.cases_table)
    for tenant_id, api_key in TENANT_API_KEYS.items():
        directory.put_api_key(
            hash_api_key(api_key, settings.api_key_pepper), tenant_id, "local default", utc_now()
        )
        tenant_signing_secret(webhook_store(), tenant_id)  # created with the tenant
    seed_sanctions_lists()


def seed_sanctions_lists() -> None:
    """Put the bundled sample sanctions lists where the screening reads them (the documents
    bucket, `sanctions-lists/`): idempotent, so a restored stack gets them too."""
    from chalicelib.plugins.sanctions.provider import sample_objects

    storage = document_storage()
    for key, content in sample_objects().items():
        kind = "application/json" if key.endswith(".json") else "text/csv"
        storage.put_object(key, content, kind)


def seed_reviewers() -> None:
    pool, directory = user_pool(), reviewer_directory()
    for tenant_id, email, name, roles in LOCAL_REVIEWERS:
        register_reviewer(
            pool,
            directory,
            email=email,
            name=name,
            tenant_id=tenant_id,
            roles=list(roles),  # type: ignore[arg-type]
            password=REVIEWER_PASSWORD,
        )


def _page(kind: str, holder: str, side: str, number: str, country: str, page: int) -> dict:
    png = render_document_page(kind, holder_name=holder, side=side, number=number, country=country)
    return {
        "provider": "base64",
        "type": "png",
        "data": base64.b64encode(png).decode(),
        "metadata": {"side": side, "pageNumber": str(page)},
    }


def _document(
    kind: str,
    category: str,
    holder: str,
    number: str,
    country: str,
    sides: tuple[str, ...] = ("front",),
    **properties: Any,
) -> dict:
    return {
        "type": kind,
        "category": category,
        "issuer": {"country": country, "type": "government", "name": "Government"},
        "version": 1,
        "issuingVersion": 1,
        "properties": {"docNumber": number, **properties},
        "pages": [
            _page(kind, holder, side, number, country, index + 1)
            for index, side in enumerate(sides)
        ],
    }


def demo_runs() -> list[tuple[str, dict[str, Any]]]:
    """(API key, run request) pairs: an individual KYC, a business KYB with UBOs, and more."""
    return [
        (
            "secret",
            {
                "workflowId": "kyc-manual-review",
                "context": {
                    "entity": {
                        "id": "demo-individual-1",
                        "type": "individual",
                        "data": {
                            "firstName": "Jane",
                            "lastName": "Doe",
                            "email": "jane.doe@example.com",
                            "dateOfBirth": "1990-04-12",
                            "nationality": "DE",
                            "address": "Hauptstrasse 5, 10115 Berlin, Germany",
                        },
                    },
                    "documents": [
                        _document(
                            "passport",
                            "identification",
                            "Jane Doe",
                            "C01X00T47",
                            "DE",
                            ("front", "back"),
                            expiryDate="2031-05-01",
                        ),
                        _document("utility_bill", "proof_of_address", "Jane Doe", "UB-88213", "DE"),
                    ],
                    "customData": {"riskScore": 32, "signupChannel": "mobile"},
                },
            },
        ),
        (
            "secret",
            {
                "workflowId": "kyb-manual-review",
                "context": {
                    "entity": {
                        "id": "demo-business-1",
                        "type": "business",
                        "data": {
                            "companyName": "Northwind Trading GmbH",
                            "registrationNumber": "HRB 123456",
                            "countryOfIncorporation": "DE",
                            "legalForm": "GmbH",
                            "email": "compliance@northwind.example",
                            "website": "https://northwind.example",
                            "address": "Speicherstadt 1, 20457 Hamburg, Germany",
                            "ubos": [
                                {
                                    "firstName": "Maria",
                                    "lastName": "Schmidt",
                                    "ownershipPercentage": 60,
                                    "nationality": "DE",
                                    "email": "maria@northwind.example",
                                },
                                {
                                    "firstName": "Tom",
                                    "lastName": "Becker",
                                    "ownershipPercentage": 40,
                                    "nationality": "AT",
                                    "email": "tom@northwind.example",
                                },
                            ],
                            "directors": [
                                {"firstName": "Maria", "lastName": "Schmidt", "role": "CEO"}
                            ],
                        },
                    },
                    "documents": [
                        _document(
                            "certificate_of_incorporation",
                            "registration",
                            "Northwind Trading GmbH",
                            "HRB 123456",
                            "DE",
                        ),
                        _document(
                            "bank_statement",
                            "proof_of_address",
                            "Northwind Trading GmbH",
                            "DE89 3704 0044 0532 0130 00",
                            "DE",
                        ),
                        _document(
                            "passport",
                            "identification",
                            "Maria Schmidt",
                            "C02Y11K58",
                            "DE",
                            ("front",),
                            ubo="Maria Schmidt",
                        ),
                    ],
                    "pluginsOutput": {"companySanctions": {"hits": 0, "checkedAt": "2026-11-20"}},
                },
            },
        ),
        (
            "secret",
            {
                "workflowId": "kyc-manual-review",
                "context": {
                    "entity": {
                        "id": "demo-individual-2",
                        "type": "individual",
                        "data": {
                            "firstName": "Liam",
                            "lastName": "O'Brien",
                            "email": "liam@example.ie",
                            "nationality": "IE",
                        },
                    },
                    "documents": [
                        _document(
                            "drivers_license",
                            "identification",
                            "Liam O'Brien",
                            "IE-55120",
                            "IE",
                            ("front", "back"),
                        ),
                    ],
                },
            },
        ),
        (
            "acme-secret",
            {
                "workflowId": "kyc-manual-review",
                "context": {
                    "entity": {
                        "id": "acme-individual-1",
                        "type": "individual",
                        "data": {
                            "firstName": "Ana",
                            "lastName": "Silva",
                            "email": "ana@acme.example",
                        },
                    },
                    "documents": [
                        _document("id_card", "identification", "Ana Silva", "PT-99812", "PT"),
                    ],
                },
            },
        ),
    ]


def seed_demo_cases(base_url: str) -> list[str]:
    """Send the demo runs through the real integrator API; returns the case ids."""
    case_ids = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for api_key, run in demo_runs():
            response = client.post(
                "/api/v1/external/workflows/run",
                json=run,
                headers={"Authorization": f"Bearer {api_key}"},
            )
            response.raise_for_status()
            case_ids.append(response.json()["workflowRuntimeId"])
    return case_ids


def seed_demo_history(clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    """A few weeks of resolved cases of tenant demo, as analytics aggregates (the dashboard is
    not empty on first start); the number of events they were counted from."""
    from chalicelib.analytics.history import aggregate, demo_history
    from chalicelib.auth.permissions import permissions_of
    from chalicelib.dependencies import metrics_store
    from chalicelib.models.permissions import CASES_DECIDE

    reviewers = sorted(
        (r.id, r.name)
        for r in reviewer_directory().list_reviewers("demo")
        if CASES_DECIDE in permissions_of(r.roles)
    )
    events = demo_history("demo", reviewers, clock=clock)
    metrics_store().load(aggregate(events))
    return len(events)
