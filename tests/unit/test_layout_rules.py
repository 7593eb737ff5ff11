"""Case layouts: the rules that need no AWS (what a layout removes or masks, what it lacks)."""

from __future__ import annotations

from chalicelib.layouts.rules import (
    GENERIC_LAYOUT,
    bundled_layout,
    layout_problems,
    mask,
    masked_search_sources,
    missing_documents,
    scrubbed,
    shaped,
)
from chalicelib.models.layouts import CaseLayout, LayoutField
from chalicelib.workflows.registry import latest_definitions


def test_hidden_and_masked_fields_reach_nested_data_and_leave_the_rest() -> None:
    data = {"address": {"street": "Main 1", "country": "DE"}, "iban": "DE89370400440532013000"}
    fields = [
        LayoutField(path="address.street", hidden=True),
        LayoutField(path="iban", format="masked"),
        LayoutField(path="missing.deeper", hidden=True),
    ]
    assert shaped(data, fields, unmasked=False) == {
        "address": {"country": "DE"},
        "iban": "•••3000",
    }
    assert shaped(data, fields, unmasked=True)["iban"] == "DE89370400440532013000"
    assert data["address"] == {"street": "Main 1", "country": "DE"}  # the case is not changed
    assert mask(12345) == "•••" and mask("short") == "•••"


def test_every_bundled_definition_has_a_valid_layout_and_its_required_documents() -> None:
    for definition in latest_definitions():
        layout = bundled_layout(definition.id) or GENERIC_LAYOUT
        assert layout_problems(layout) == [], definition.id
        required = {(d.type, d.category) for d in definition.documents if d.required}
        assert required <= {(d.type, d.category) for d in layout.required_documents}


def test_missing_documents_are_the_required_ones_the_case_lacks() -> None:
    layout = CaseLayout.model_validate(
        {
            "blocks": [{"type": "documents"}],
            "requiredDocuments": [
                {"type": "passport", "category": "identification"},
                {"type": "utility_bill", "category": "proof_of_address"},
            ],
        }
    )
    missing = missing_documents(layout, [("passport", "identification")])
    assert [(d.type, d.category) for d in missing] == [("utility_bill", "proof_of_address")]


def test_plugin_data_that_echoes_a_masked_value_is_masked_and_the_rest_kept() -> None:
    data = {"screened": [{"role": "entity", "name": "Jane Doe"}, {"name": "Jo"}], "count": 2}
    masked = {"Jane", "12"}  # "12" is too short to look for
    assert scrubbed(data, masked) == {
        "screened": [{"role": "entity", "name": "•••"}, {"name": "Jo"}],
        "count": 2,
    }
    assert scrubbed(data, set()) is data


def test_the_search_sources_a_masking_layout_hides() -> None:
    layout = CaseLayout.model_validate(
        {
            "blocks": [
                {
                    "type": "entity",
                    "fields": [
                        {"path": "email", "format": "masked"},
                        {"path": "lastName", "format": "masked"},
                        {"path": "passportNumber", "format": "masked"},
                        {"path": "firstName"},
                    ],
                }
            ]
        }
    )
    # The name is made of a masked field, so it is shown masked: it is no way in either.
    assert masked_search_sources("individual", layout) == {"email", "lastName", "name"}
    assert masked_search_sources("business", layout) == {"email", "lastName"}
    assert masked_search_sources("individual", GENERIC_LAYOUT) == frozenset()
