"""Plugins without AWS: declarations validated on load, input and output mappings, results
recorded as the system's (versioned, audited, onError), and what rules and the case view see."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.cases.case_view import plugin_results
from chalicelib.cases.store import InMemoryCaseStore
from chalicelib.decisions.policy import blocking_criteria
from chalicelib.ids import utc_now
from chalicelib.models.case import DecidedBy, HitResolution, PluginResult, evidence_digest
from chalicelib.plugins.mapping import input_digest, map_input, map_output
from chalicelib.plugins.results import PLUGIN_FAILED_FLAG, PluginRun, record_result
from chalicelib.plugins.sanctions.matching import ScreeningIndex
from chalicelib.plugins.sanctions.provider import (
    SAMPLE_MANIFEST,
    SanctionsProvider,
    load_lists,
    read_sample,
)
from chalicelib.workflows.definition import PluginSpec, WorkflowDefinition, WorkflowDefinitionError
from chalicelib.workflows.registry import get_definition
from tests.unit.test_decisions import make_case

# The screening input of a business: the company, then each UBO and director.
KYB_SUBJECTS = (
    "[[{role: 'entity', kind: 'organization', name: entity.name,"
    " country: entity.data.countryOfIncorporation}],"
    " entity.ubos[].{role: 'ubo', kind: 'person',"
    " name: name || join(' ', [firstName || '', lastName || '']),"
    " birthDate: dateOfBirth, country: nationality},"
    " entity.directors[].{role: 'director', kind: 'person',"
    " name: name || join(' ', [firstName || '', lastName || '']),"
    " birthDate: dateOfBirth, country: nationality}][] | [?name]"
)
SANCTIONS = {
    "name": "sanctions",
    "provider": "sanctions",
    "when": "ingest",
    "input": {"subjects": KYB_SUBJECTS},
    "onError": "flag",
}
NO_UNRESOLVED_HITS = {
    "id": "no-unresolved-sanctions-hits",
    "label": "No unresolved sanctions hits",
    "rule": {
        "and": [
            {"==": [{"var": "vendorResults.sanctions.unresolvedHits"}, 0]},
            {"==": [{"var": "vendorResults.sanctions.confirmedHits"}, 0]},
        ]
    },
    "enforced": True,
}


def definition(
    *plugins: dict[str, Any], criteria: tuple[dict[str, Any], ...] = ()
) -> WorkflowDefinition:
    data = get_definition("risk-score-improvement-dev", 1).model_dump(by_alias=True)
    data["acceptanceCriteria"] = [*data["acceptanceCriteria"], *criteria]
    return WorkflowDefinition.from_json({**data, "plugins": list(plugins)})


@pytest.fixture(scope="module")
def provider() -> SanctionsProvider:
    index = ScreeningIndex(load_lists(read_sample, SAMPLE_MANIFEST))
    return SanctionsProvider(lambda: index)


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ({**SANCTIONS, "input": {"subjects": "entity.["}}, "input.subjects: not a JMESPath"),
        ({**SANCTIONS, "provider": "http"}, "`request` is required for the http provider"),
        ({**SANCTIONS, "request": {"url": "https://v.test"}}, "only for it"),
        ({**SANCTIONS, "when": {"state": "approved"}}, "no waiting state"),
        ({**SANCTIONS, "onError": "ignore"}, "onError"),
        ({**SANCTIONS, "name": "Bad Name"}, "name"),
        ({**SANCTIONS, "retries": 11}, "retries"),
    ],
)
def test_bad_plugin_declarations_are_refused_on_load(plugin: dict, message: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=message):
        definition(plugin)


def test_a_plugin_is_declared_once_and_triggers_on_ingest_or_a_state() -> None:
    with pytest.raises(WorkflowDefinitionError, match="declared twice"):
        definition(SANCTIONS, SANCTIONS)
    chart = definition(
        SANCTIONS, {**SANCTIONS, "name": "rescreen", "when": {"state": "manual_review"}}
    )
    assert [p.name for p in chart.plugins_on_ingest()] == ["sanctions"]
    assert [p.name for p in chart.plugins_entering("manual_review")] == ["rescreen"]
    spec = chart.plugin("sanctions")
    assert spec and (spec.timeout_seconds, spec.retries, spec.on_error) == (30, 2, "flag")


def business_case(store: InMemoryCaseStore) -> Any:
    case = make_case(store)
    changed = case.model_copy(deep=True)
    changed.context["entity"]["data"] = {
        "companyName": "McClure Inc",
        "countryOfIncorporation": "DE",
        "ubos": [{"firstName": "Ramzan", "lastName": "Kadyrov", "nationality": "RU"}],
        "directors": [{"name": "Maria Schmidt"}],
    }
    return store.update_case(changed, expected_version=case.version, audit=[])


def test_the_input_mapping_builds_the_subjects_from_the_case_facts() -> None:
    store = InMemoryCaseStore()
    case = business_case(store)
    spec = PluginSpec.model_validate(SANCTIONS)
    assert map_input(spec, case) == {
        "subjects": [
            {"role": "entity", "kind": "organization", "name": "McClure Inc", "country": "DE"},
            {
                "role": "ubo",
                "kind": "person",
                "name": "Ramzan Kadyrov",
                "birthDate": None,
                "country": "RU",
            },
            {
                "role": "director",
                "kind": "person",
                "name": "Maria Schmidt",
                "birthDate": None,
                "country": None,
            },
        ]
    }
    without_people = make_case(store, entity="ent-2")
    assert map_input(spec, without_people)["subjects"] == [
        {"role": "entity", "kind": "organization", "name": "McClure Inc", "country": None}
    ]


def test_the_output_mapping_keeps_what_it_names() -> None:
    spec = PluginSpec.model_validate({**SANCTIONS, "output": {"risk": "result.score", "id": "ref"}})
    assert map_output(spec, {"result": {"score": 7, "x": 1}, "ref": "r1"}) == {
        "risk": 7,
        "id": "r1",
    }
    assert map_output(PluginSpec.model_validate(SANCTIONS), {"a": 1}) == {"a": 1}
    assert input_digest({"b": 1, "a": 2}) == input_digest({"a": 2, "b": 1})


def screen(store: InMemoryCaseStore, case: Any, provider: SanctionsProvider) -> Any:
    spec = PluginSpec.model_validate(SANCTIONS)
    payload = map_input(spec, case)
    answer = provider.screen(payload, spec.options)
    now = utc_now()
    run = PluginRun(
        status="succeeded",
        started_at=now,
        finished_at=now,
        input_digest=input_digest(payload),
        provider_version=answer.version,
        data=map_output(spec, answer.data),
    )
    return record_result(
        store, tenant_id="demo", case_id=case.case_id, spec=spec, run=run, trigger="ingest"
    )


def test_a_result_is_versioned_audited_and_changes_the_evidence(
    provider: SanctionsProvider,
) -> None:
    store = InMemoryCaseStore()
    case = business_case(store)
    before = evidence_digest(case)
    first = screen(store, case, provider)
    second = screen(store, case, provider)
    assert (first.version, second.version) == (1, 2)
    stored = store.get_case("demo", case.case_id)
    assert stored.vendor_results["sanctions"].version == 2
    assert evidence_digest(stored) != before
    audit = [
        r for r in store.list_audit("demo", case.case_id) if r.action == "workflow.context.changed"
    ]
    assert [r.details["resultVersion"] for r in audit] == [1, 2]
    assert audit[0].details["hits"] == 1 and audit[0].details["plugin"] == "sanctions"
    assert audit[0].actor.type == "system"


def test_no_unresolved_hits_is_unknown_before_screening_and_met_once_dismissed(
    provider: SanctionsProvider,
) -> None:
    store = InMemoryCaseStore()
    chart = definition(SANCTIONS, criteria=(NO_UNRESOLVED_HITS,))
    case = business_case(store)

    def status() -> str | None:
        current = store.get_case("demo", case.case_id)
        blocking = [
            r
            for r in blocking_criteria(current, chart)
            if r.criterion.id == NO_UNRESOLVED_HITS["id"]
        ]
        return blocking[0].status if blocking else "met"

    assert status() == "unknown"
    result = screen(store, case, provider)
    assert status() == "unmet"
    (hit,) = result.hits
    current = store.get_case("demo", case.case_id)
    facts = current.facts.rule_data()["vendorResults"]["sanctions"]
    assert (facts["hits"], facts["unresolvedHits"], facts["confirmedHits"]) == (1, 1, 0)
    judged = current.model_copy(deep=True)
    judged.hit_resolutions[hit["id"]] = HitResolution(
        plugin="sanctions",
        status="dismissed",
        reason="another person: born 1990",
        by=DecidedBy(id="u-alice", name="Alice"),
        at=utc_now(),
    )
    store.update_case(judged, expected_version=current.version, audit=[])
    assert status() == "met"
    screen(store, case, provider)  # a re-run finds the same entry: the judgement holds
    assert status() == "met"
    (view,) = plugin_results(store.get_case("demo", case.case_id))
    assert (
        view.version == 2
        and view.hits[0].resolution
        and view.hits[0].resolution.status == "dismissed"
    )
    assert view.hits[0].entry_name == "Ramzan Kadyrov" and view.hits[0].subject["role"] == "ubo"


@pytest.mark.parametrize(
    ("on_error", "flags", "status", "actions"),
    [
        ("flag", [PLUGIN_FAILED_FLAG], "active", ["workflow.context.changed", "case.flagged"]),
        ("fail", [], "failed", ["workflow.context.changed", "case.failed"]),
        ("continue", [], "active", ["workflow.context.changed"]),
    ],
)
def test_a_failed_run_does_what_on_error_says(
    on_error: str, flags: list[str], status: str, actions: list[str]
) -> None:
    store = InMemoryCaseStore()
    case = make_case(store)
    spec = PluginSpec.model_validate({**SANCTIONS, "onError": on_error})
    now = utc_now()
    run = PluginRun(
        status="failed", started_at=now, finished_at=now, input_digest="d", error="timed out"
    )
    result = record_result(
        store, tenant_id="demo", case_id=case.case_id, spec=spec, run=run, trigger="ingest"
    )
    assert result and result.status == "failed" and result.error == "timed out"
    stored = store.get_case("demo", case.case_id)
    assert (stored.flags, stored.status) == (flags, status)
    assert [r.action for r in store.list_audit("demo", case.case_id)][-len(actions) :] == actions
    assert "unresolvedHits" not in stored.facts.rule_data()["vendorResults"]["sanctions"]


def test_the_compiler_runs_ingest_plugins_before_the_initial_state_with_retry_and_catch() -> None:
    from chalicelib.workflows.asl import RESUME_STATE, SEND_AND_WAIT, compile_to_asl

    chart = definition(
        {**SANCTIONS, "retries": 3, "timeoutSeconds": 10},
        {**SANCTIONS, "name": "registry", "provider": "registry", "onError": "fail", "retries": 0},
        {
            **SANCTIONS,
            "name": "rescreen",
            "when": {"state": "manual_review"},
            "onError": "continue",
        },
    )
    states = compile_to_asl(chart, "https://tasks", "https://plugins")["States"]
    fresh = states[RESUME_STATE]["Choices"][0]
    assert fresh["Next"] == "sanctions__plugin"
    sanctions = states["sanctions__plugin"]
    assert sanctions["Resource"] == SEND_AND_WAIT
    assert sanctions["Parameters"]["QueueUrl"] == "https://plugins"
    assert sanctions["Parameters"]["MessageBody"]["kind"] == "run"
    assert sanctions["Parameters"]["MessageBody"]["taskToken.$"] == "$$.Task.Token"
    assert sanctions["TimeoutSeconds"] == 40
    assert sanctions["Retry"] == [
        # An unusable input is not tried again; anything else is.
        {"ErrorEquals": ["PluginInputError"], "MaxAttempts": 0},
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0},
    ]
    assert sanctions["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.pluginError",
            "Next": "sanctions__plugin__failed",
        }
    ]
    assert sanctions["Next"] == "registry__plugin"
    failed = states["sanctions__plugin__failed"]
    assert (failed["Resource"], failed["Next"]) == (SEND_AND_WAIT, "registry__plugin")
    assert failed["Parameters"]["MessageBody"]["kind"] == "failed"
    assert failed["Parameters"]["MessageBody"]["error.$"] == "$.pluginError"
    registry = states["registry__plugin"]
    assert "Retry" not in registry
    assert states["registry__plugin__failed"]["Next"] == "PluginFailed"
    assert states["PluginFailed"]["Type"] == "Fail"
    # Then the initial state's own plugins, then the waiting state itself.
    assert registry["Next"] == "manual_review__rescreen__plugin"
    assert states["manual_review__rescreen__plugin"]["Next"] == "manual_review"
    assert states["manual_review__rescreen__plugin__failed"]["Next"] == "manual_review"
    # A case resumed in its state does not run the plugins again; entering the state does.
    resumed = [c["Next"] for c in states[RESUME_STATE]["Choices"][1:]]
    assert "manual_review" in resumed
    into_review = [
        c["Next"]
        for name, s in states.items()
        if name.endswith("__on") and name != RESUME_STATE
        for c in s["Choices"]
        if c["Next"].startswith("manual_review")
    ]
    assert into_review and set(into_review) == {"manual_review__rescreen__plugin"}


def test_a_resumed_case_runs_its_states_plugins_it_has_no_result_of_since_it_entered() -> None:
    """The reconciler's replacement for an execution stopped during a state's plugins starts at
    the first plugin not recorded since the case entered the state (a result of an earlier visit
    does not count), and the compiled chart accepts that step as a resume point."""
    from chalicelib.reconciler import resume_point
    from chalicelib.workflows.asl import RESUME_STATE, compile_to_asl

    chart = definition(
        SANCTIONS,
        {**SANCTIONS, "name": "rescreen", "when": {"state": "revision"}},
        {**SANCTIONS, "name": "recheck", "when": {"state": "revision"}},
    )
    resumable = {
        c["StringEquals"]: c["Next"]
        for c in compile_to_asl(chart, "https://tasks", "https://plugins")["States"][RESUME_STATE][
            "Choices"
        ][1:]
    }
    for step in ("sanctions__plugin", "revision__rescreen__plugin", "revision__recheck__plugin"):
        assert resumable[step] == step

    case = make_case(InMemoryCaseStore()).model_copy(update={"state": "revision"})
    entered = "2026-12-01T10:00:00.000Z"

    def recorded(*runs: tuple[str, str]) -> Any:
        return case.model_copy(
            update={
                "vendor_results": {
                    name: PluginResult(
                        plugin=name,
                        provider="sanctions",
                        status="succeeded",
                        trigger="state",
                        started_at=at,
                        finished_at=at,
                        input_digest="d",
                    )
                    for name, at in [("sanctions", "2026-12-01T09:00:00.000Z"), *runs]
                }
            }
        )

    assert resume_point(chart, recorded(), "revision", entered) == "revision__rescreen__plugin"
    earlier_visit = recorded(("rescreen", "2026-12-01T09:30:00.000Z"))
    assert resume_point(chart, earlier_visit, "revision", entered) == "revision__rescreen__plugin"
    one_done = recorded(("rescreen", "2026-12-01T10:00:01.000Z"))
    assert resume_point(chart, one_done, "revision", entered) == "revision__recheck__plugin"
    both_done = recorded(
        ("rescreen", "2026-12-01T10:00:01.000Z"), ("recheck", "2026-12-01T10:00:02.000Z")
    )
    assert resume_point(chart, both_done, "revision", entered) == "revision"
    # The case has moved on from the state the execution waited in: no entry time, no plugins.
    assert resume_point(chart, recorded(), "revision") == "revision"


def test_a_definition_without_plugins_compiles_as_before() -> None:
    from chalicelib.workflows.asl import compile_to_asl

    chart = get_definition("risk-score-improvement-dev")
    assert not chart.plugins
    states = compile_to_asl(chart, "https://tasks", "https://plugins")["States"]
    assert not [name for name in states if "plugin" in name.lower()]
