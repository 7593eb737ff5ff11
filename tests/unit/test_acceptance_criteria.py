"""Acceptance criteria without AWS: the format validated on load, `unknown` for missing inputs,
explanations naming the inputs, and the bundled definitions' criteria."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.workflows.criteria import OPERATIONS, AcceptanceCriterion, evaluate
from chalicelib.workflows.definition import WorkflowDefinition, WorkflowDefinitionError
from chalicelib.workflows.registry import get_definition


def criterion(rule: dict[str, Any], **more: Any) -> AcceptanceCriterion:
    return AcceptanceCriterion.model_validate(
        {"id": "c", "label": "C", "rule": rule, "enforced": True, **more}
    )


def definition_with(criteria: list[dict[str, Any]]) -> dict[str, Any]:
    data = get_definition("kyc-manual-review", 1).model_dump(by_alias=True)
    return {**data, "acceptanceCriteria": criteria}


class TestFormat:
    @pytest.mark.parametrize(
        ("criteria", "message"),
        [
            (
                [{"id": "c", "label": "C", "rule": {"nope": [1]}, "enforced": True}],
                "unknown operation `nope`",
            ),
            (
                [{"id": "c", "label": "C", "rule": {"==": [1, 1], "!=": [1, 2]}, "enforced": True}],
                "exactly one key",
            ),
            (
                [{"id": "c", "label": "C", "rule": {"var": "entty.data"}, "enforced": True}],
                "`entty.data` is not a case fact",
            ),
            ([{"id": "c", "label": "C", "rule": {"!!": 1}}], "enforced"),
            ([{"id": "Bad Id", "label": "C", "rule": {"!!": 1}, "enforced": True}], "id"),
            ([{"id": "c", "label": "", "rule": {"!!": 1}, "enforced": True}], "label"),
            ([{"id": "c", "label": "C", "rule": {"!!": 1}, "enforced": True, "extra": 1}], "extra"),
            (
                [{"id": "c", "label": "C", "rule": {"!!": 1}, "enforced": True}] * 2,
                "acceptance criterion `c` is declared twice",
            ),
        ],
    )
    def test_invalid_criteria_fail_the_load(
        self, criteria: list[dict[str, Any]], message: str
    ) -> None:
        with pytest.raises(WorkflowDefinitionError, match="kyc-manual-review") as raised:
            WorkflowDefinition.from_json(definition_with(criteria))
        assert message in str(raised.value)

    def test_vars_inside_per_item_operations_are_relative(self) -> None:
        rule = {"all": [{"var": "documents"}, {"==": [{"var": "decision.status"}, "approved"]}]}
        WorkflowDefinition.from_json(
            definition_with([{"id": "c", "label": "C", "rule": rule, "enforced": False}])
        )

    def test_known_operations_are_the_librarys(self) -> None:
        from json_logic.builtins import BUILTINS

        control = {"if", "?:", "and", "or", "all", "some", "none", "map", "filter", "reduce"}
        assert set(OPERATIONS) <= set(BUILTINS) | control


class TestEvaluation:
    def test_met_and_unmet_explain_the_inputs(self) -> None:
        rule = {">=": [{"var": "customData.riskScore"}, 50]}
        met = evaluate(criterion(rule), {"customData": {"riskScore": 70}})
        unmet = evaluate(criterion(rule), {"customData": {"riskScore": 20}})
        assert (met.status, met.explanation) == ("met", "customData.riskScore = 70")
        assert (unmet.status, unmet.explanation) == ("unmet", "customData.riskScore = 20")
        assert unmet.blocks_approval and not met.blocks_approval

    def test_a_missing_input_is_unknown_not_unmet(self) -> None:
        rule = {"and": [{"var": "entity.type"}, {">=": [{"var": "customData.riskScore"}, 50]}]}
        result = evaluate(criterion(rule), {"entity": {"type": "business"}, "customData": {}})
        assert result.status == "unknown"
        assert "customData.riskScore" in result.explanation
        assert 'entity.type = "business"' in result.explanation
        advisory = evaluate(criterion(rule, enforced=False), {"entity": {"type": "x"}})
        assert advisory.status == "unknown" and not advisory.blocks_approval

    def test_a_default_makes_an_input_known(self) -> None:
        result = evaluate(criterion({">=": [{"var": ["customData.riskScore", 0]}, 50]}), {})
        assert result.status == "unmet"

    def test_missing_asks_about_presence(self) -> None:
        rule = {"!": {"missing": ["entity.data.dateOfIncorporation"]}}
        absent = evaluate(criterion(rule), {"entity": {"data": {}}})
        present = evaluate(criterion(rule), {"entity": {"data": {"dateOfIncorporation": "2020"}}})
        assert (absent.status, absent.explanation) == (
            "unmet",
            "entity.data.dateOfIncorporation = missing",
        )
        assert present.status == "met"

    def test_a_rule_that_cannot_be_judged_is_unknown(self) -> None:
        result = evaluate(
            criterion({"/": [1, {"var": "customData.zero"}]}), {"customData": {"zero": 0}}
        )
        assert result.status == "unknown"
        assert "could not be judged" in result.explanation

    def test_long_values_are_clipped(self) -> None:
        result = evaluate(
            criterion({"!!": {"var": "customData.text"}}), {"customData": {"text": "x" * 500}}
        )
        assert result.status == "met" and len(result.explanation) < 200


def kyb_facts(**entity: Any) -> dict[str, Any]:
    return {
        "entity": {"type": "business", "data": {}, **entity},
        "documents": [
            {
                "type": "certificate_of_incorporation",
                "category": "registration",
                "decision": {"status": "approved"},
            },
            {"type": "passport", "category": "identification", "decision": {"status": "pending"}},
        ],
    }


def test_bundled_kyb_criteria() -> None:
    definition = get_definition("kyb-manual-review", 1)
    facts = kyb_facts(
        ubos=[{"ownershipPercentage": 50}, {"ownershipPercentage": 25}],
        data={"dateOfIncorporation": "2016-04-09"},
    )
    results = {c.id: evaluate(c, facts) for c in definition.acceptance_criteria}
    assert {k: r.status for k, r in results.items()} == {
        "registration-documents-approved": "met",
        "identification-documents-approved": "unmet",
        "ubo-shares-at-least-75": "met",
        "date-of-incorporation-present": "met",
        # No screening ran yet: unknown, which blocks approval as unmet does.
        "no-unresolved-sanctions-hits": "unknown",
    }
    assert "passport (pending)" in results["identification-documents-approved"].explanation
    assert all(c.enforced for c in definition.acceptance_criteria)


def test_bundled_kyc_needs_an_approved_identification_document() -> None:
    rule = get_definition("kyc-manual-review", 1).acceptance_criteria[0]
    assert evaluate(rule, {"documents": []}).status == "unmet"
    approved = [
        {"type": "passport", "category": "identification", "decision": {"status": "approved"}}
    ]
    assert evaluate(rule, {"documents": approved}).status == "met"
