import copy
import json

import pytest

from chalicelib.workflows.asl import (
    RESUME_STATE,
    SEND_AND_WAIT,
    choice_state_name,
    compile_to_asl,
    plugin_state_name,
)
from chalicelib.workflows.definition import (
    InvalidTransition,
    WorkflowDefinition,
    WorkflowDefinitionError,
)
from chalicelib.workflows.registry import (
    DEFINITIONS_DIR,
    UnknownWorkflowDefinition,
    bundled_definitions,
    get_definition,
    latest_definitions,
)


def chart() -> dict:
    return json.loads((DEFINITIONS_DIR / "kyc-manual-review.v1.json").read_text())


def test_bundled_definitions_are_the_three_named_ones():
    assert [d.id for d in latest_definitions()] == [
        "kyb-manual-review",
        "kyc-manual-review",
        "risk-score-improvement-dev",
    ]
    assert get_definition("risk-score-improvement-dev").entity_type is None
    assert get_definition("kyb-manual-review").entity_type == "business"


def test_unknown_definition_or_version():
    with pytest.raises(UnknownWorkflowDefinition):
        get_definition("nope")
    with pytest.raises(UnknownWorkflowDefinition):
        get_definition("kyc-manual-review", 99)


def test_transitions_follow_the_chart():
    definition = get_definition("kyc-manual-review")
    assert definition.next_state("manual_review", "approve", "reviewer") == "approved"
    assert definition.next_state("revision", "resubmitted", "integrator") == "manual_review"
    assert definition.event_for_decision("manual_review", "revision") == "revision"
    assert definition.is_final("approved") and not definition.is_final("manual_review")
    with pytest.raises(InvalidTransition):
        definition.next_state("approved", "approve")
    with pytest.raises(InvalidTransition):
        definition.next_state("revision", "resubmitted", "reviewer")
    with pytest.raises(InvalidTransition):
        definition.event_for_decision("revision", "approve")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["states"]["manual_review"]["on"].update(escalate="approved"), "undeclared"),
        (lambda c: c["states"]["manual_review"]["on"].update(approve="nowhere"), "unknown state"),
        (lambda c: c.update(initialState="missing"), "initialState"),
        (lambda c: c["states"]["approved"].update(on={"approve": "rejected"}), "final state"),
        (lambda c: c["states"].update(orphan={"type": "final"}), "unreachable"),
        (lambda c: c["states"].update({"Bad Name": {"type": "final"}}), "not a valid"),
        (lambda c: c.update(surprise=True), "Extra inputs"),
        (lambda c: c["events"]["approve"].update(source="robot"), "source"),
    ],
)
def test_invalid_charts_are_refused_on_load(mutate, message):
    data = copy.deepcopy(chart())
    mutate(data)
    with pytest.raises(WorkflowDefinitionError, match=message):
        WorkflowDefinition.from_json(data)


def test_compiled_asl_has_a_token_task_per_waiting_state_and_succeed_per_final():
    for definition in bundled_definitions():
        asl = compile_to_asl(definition, "https://queue", "https://plugins")
        states = asl["States"]
        # The resume entry: no `resumeAt` starts with the ingest plugins (or else at the initial
        # state), else at that waiting state.
        assert asl["StartAt"] == RESUME_STATE
        entry = states[RESUME_STATE]["Choices"]
        ingest = definition.plugins_on_ingest()
        assert entry[0]["Next"] == (
            plugin_state_name(ingest[0].name, None) if ingest else definition.initial_state
        )
        assert entry[0]["Not"] == {"Variable": "$.resumeAt", "IsPresent": True}
        assert {c["StringEquals"]: c["Next"] for c in entry[1:]} == {
            name: name
            for name in [*definition.waiting_states, *(f"{p.name}__plugin" for p in ingest)]
        }
        for name in definition.waiting_states:
            assert states[name]["Resource"] == SEND_AND_WAIT
            assert states[name]["Parameters"]["MessageBody"]["taskToken.$"] == "$$.Task.Token"
            choices = states[choice_state_name(name)]["Choices"]
            assert {c["StringEquals"]: c["Next"] for c in choices} == dict(
                definition.states[name].on
            )
        for name, spec in definition.states.items():
            if spec.type == "final":
                assert states[name]["Type"] == "Succeed"


def test_summary_lists_states_and_events():
    summary = get_definition("kyb-manual-review").summary()
    assert summary["id"] == "kyb-manual-review"
    assert {s["name"] for s in summary["states"]} == {
        "manual_review",
        "revision",
        "approved",
        "rejected",
    }
    assert summary["events"]["approve"] == {"source": "reviewer", "decision": "approve"}
