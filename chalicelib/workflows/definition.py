"""The workflow definition format: a versioned state chart plus document requirements.

Definitions are data (JSON files under `definitions/`), validated when loaded so a broken chart
fails at import time, not when a reviewer clicks a button. See docs/workflow-definitions.md.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from chalicelib.models.permissions import CASES_APPROVE_SECOND, PERMISSIONS
from chalicelib.models.sla import BusinessHours
from chalicelib.workflows.criteria import AcceptanceCriterion, rule_problems

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
ID_PATTERN = r"^[a-z][a-z0-9-]{0,63}$"
# State machines of published definitions: `<prefix>-wd-...` (IAM scopes the API's
# CreateStateMachine and the starter's StartExecution to it).
PUBLISHED_PREFIX = "wd-"

EventSource = Literal["reviewer", "integrator", "system"]
Decision = Literal["approve", "reject", "revision"]


class WorkflowDefinitionError(ValueError):
    """A chart that cannot be loaded: unreachable states, undeclared events, bad names."""


class InvalidTransition(Exception):
    """The event is not accepted in the case's current state (or not from this source)."""

    def __init__(self, state: str, event: str) -> None:
        super().__init__(f"event `{event}` is not allowed in state `{state}`")
        self.state = state
        self.event = event


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class StateSpec(_Strict):
    type: Literal["waiting", "final"] = "waiting"
    tags: tuple[str, ...] = ()
    on: dict[str, str] = Field(default_factory=dict)


class EventSpec(_Strict):
    source: EventSource
    decision: Decision | None = None


class DocumentRequirement(_Strict):
    category: str
    type: str
    required: bool = True


class Policy(_Strict):
    approve_requires_no_rejected_or_revision_documents: bool = Field(
        default=True, alias="approveRequiresNoRejectedOrRevisionDocuments"
    )
    auto_resolve_when_all_documents_decided: bool = Field(
        default=False, alias="autoResolveWhenAllDocumentsDecided"
    )


class SlaSpec(_Strict):
    """How long a case may wait in a state for the team (docs/sla.md)."""

    hours: float = Field(gt=0, le=24 * 366)
    # Hours counted only while open (e.g. mon-fri 09:00-17:00 Europe/Berlin, holidays skipped);
    # none: round the clock. A tenant's `businessHours` setting replaces it.
    business_hours: BusinessHours | None = Field(default=None, alias="businessHours")


class ApprovalPolicy(_Strict):
    """Four-eyes (maker-checker): when a case decision needs a second person's confirmation.

    `when`: `always`, `never`, or a JSON Logic rule over the case facts (judged when the maker
    decides; a rule that is `unknown` asks for a second approval: fail closed). `decisions`:
    which case decisions it covers (`approve`, and optionally `reject`). `checkerPermission`:
    what the checker must hold."""

    when: Literal["always", "never"] | dict[str, Any] = "never"
    decisions: tuple[Literal["approve", "reject"], ...] = Field(default=("approve",), min_length=1)
    checker_permission: str = Field(default=CASES_APPROVE_SECOND, alias="checkerPermission")

    @model_validator(mode="after")
    def _check(self) -> ApprovalPolicy:
        problems = rule_problems(self.when, "when") if isinstance(self.when, dict) else []
        if self.checker_permission not in PERMISSIONS:
            problems.append(f"checkerPermission `{self.checker_permission}` is no permission")
        if len(set(self.decisions)) != len(self.decisions):
            problems.append("decisions: each decision once")
        if problems:
            raise ValueError("; ".join(problems))
        return self


PluginProvider = Literal["http", "sanctions", "registry"]
OnError = Literal["continue", "flag", "fail"]


class StateTrigger(_Strict):
    """Run when the case enters `state` (each time it does)."""

    state: str


class HttpRequestSpec(_Strict):
    """The `http` provider's call: `url` and header values are templates whose `{name}`
    placeholders take the plugin's mapped input (URL-encoded in the URL) and
    `{secret:NAME}` a field of the tenant's vendor secret (Secrets Manager, never logged)."""

    method: Literal["GET", "POST"] = "POST"
    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = Field(default_factory=dict)


class CallbackSpec(_Strict):
    """An asynchronous vendor: it acknowledges the request and answers later by calling
    `callbackUrl` (also a `{callbackUrl}` placeholder), signed with the field `secret` of the
    tenant's vendor secret (docs/plugins.md#asynchronous-vendors)."""

    secret: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")


class PluginSpec(_Strict):
    """A vendor check of the definition, run as a Step Functions step by the plugin worker
    (docs/workflow-definitions.md#plugins). `input` maps names to JMESPath expressions over the
    case facts; `output` maps names to JMESPath expressions over the provider's answer (empty:
    the answer as it is)."""

    name: str = Field(pattern=NAME_PATTERN)
    provider: PluginProvider
    when: Literal["ingest"] | StateTrigger = "ingest"
    input: dict[str, str] = Field(default_factory=dict)
    output: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: int = Field(default=30, ge=1, le=900, alias="timeoutSeconds")
    retries: int = Field(default=2, ge=0, le=10)
    # The wait before the first retry; each next one waits twice as long.
    retry_interval_seconds: int = Field(default=2, ge=1, le=300, alias="retryIntervalSeconds")
    on_error: OnError = Field(default="flag", alias="onError")
    request: HttpRequestSpec | None = None
    callback: CallbackSpec | None = None
    # Provider settings: `sanctions` {lists, threshold}, `registry` {}.
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> PluginSpec:
        import jmespath  # lazily: only loading a definition compiles the expressions
        from jmespath.exceptions import JMESPathError

        problems: list[str] = []
        for part, mapping in (("input", self.input), ("output", self.output)):
            for key, expression in mapping.items():
                try:
                    jmespath.compile(expression)
                except JMESPathError as exc:
                    problems.append(f"{part}.{key}: not a JMESPath expression ({exc})")
        if (self.provider == "http") != (self.request is not None):
            problems.append("`request` is required for the http provider and only for it")
        if self.callback is not None and self.provider != "http":
            problems.append("`callback` is for the http provider only")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def trigger_state(self) -> str | None:
        return self.when.state if isinstance(self.when, StateTrigger) else None


class WorkflowDefinition(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    name: str
    description: str = ""
    entity_type: Literal["individual", "business"] | None = Field(default=None, alias="entityType")
    initial_state: str = Field(alias="initialState")
    states: dict[str, StateSpec]
    events: dict[str, EventSpec]
    documents: tuple[DocumentRequirement, ...] = ()
    policy: Policy = Field(default_factory=Policy)
    acceptance_criteria: tuple[AcceptanceCriterion, ...] = Field(
        default=(), alias="acceptanceCriteria"
    )
    # Review SLAs per waiting state; states without one (e.g. `revision`, waiting for the
    # customer) never count against the team.
    sla: dict[str, SlaSpec] = Field(default_factory=dict)
    approval_policy: ApprovalPolicy = Field(default_factory=ApprovalPolicy, alias="approvalPolicy")
    plugins: tuple[PluginSpec, ...] = ()
    # The tenant that published it (docs/workflow-definitions.md#publishing); None: bundled.
    _tenant_id: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_chart(self) -> WorkflowDefinition:
        problems: list[str] = []
        for name in [*self.states, *self.events]:
            if not re.match(NAME_PATTERN, name):
                problems.append(f"`{name}` is not a valid state or event name")
        if self.initial_state not in self.states:
            problems.append(f"initialState `{self.initial_state}` is not a state")
        for state_name, state in self.states.items():
            if state.type == "final" and state.on:
                problems.append(f"final state `{state_name}` cannot have transitions")
            if state.type == "waiting" and not state.on:
                problems.append(f"waiting state `{state_name}` has no way out; mark it final")
            for event, target in state.on.items():
                if event not in self.events:
                    problems.append(f"state `{state_name}` uses undeclared event `{event}`")
                if target not in self.states:
                    problems.append(f"`{state_name}` -{event}-> unknown state `{target}`")
        for state_name in self.sla:
            if self.states.get(state_name, StateSpec(type="final")).type == "final":
                problems.append(f"an SLA needs a waiting state, not `{state_name}`")
        if not any(s.type == "final" for s in self.states.values()):
            problems.append("a chart needs at least one final state")
        ids = [criterion.id for criterion in self.acceptance_criteria]
        for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"acceptance criterion `{duplicate}` is declared twice")
        names = [plugin.name for plugin in self.plugins]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"plugin `{duplicate}` is declared twice")
        for plugin in self.plugins:
            trigger = plugin.trigger_state
            if trigger is not None and trigger not in self.waiting_states:
                problems.append(
                    f"plugin `{plugin.name}` runs on entering `{trigger}`: no waiting state"
                )
        if self.initial_state in self.states:
            unreachable = set(self.states) - self._reachable()
            if unreachable:
                problems.append(f"unreachable states: {', '.join(sorted(unreachable))}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _reachable(self) -> set[str]:
        seen = {self.initial_state}
        queue = deque([self.initial_state])
        while queue:
            for target in self.states[queue.popleft()].on.values():
                if target in self.states and target not in seen:
                    seen.add(target)
                    queue.append(target)
        return seen

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkflowDefinition:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise WorkflowDefinitionError(
                f"invalid workflow definition {data.get('id')!r}: {exc}"
            ) from exc

    def as_json(self) -> dict[str, Any]:
        """The definition as JSON, without what its defaults say: as published and kept."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

    @property
    def key(self) -> str:
        return f"{self.id}@v{self.version}"

    @classmethod
    def published(cls, tenant_id: str, data: dict[str, Any]) -> WorkflowDefinition:
        """A tenant's published definition (ValidationError when it is not one)."""
        definition = cls.model_validate(data)
        definition._tenant_id = tenant_id
        return definition

    @property
    def tenant_id(self) -> str | None:
        """The publishing tenant; None for a bundled definition (every tenant's)."""
        return self._tenant_id

    @property
    def state_machine_name(self) -> str:
        """The state machine's name after the stack's `<prefix>-`. A published one's names the
        tenant by a hash (tenant ids are not for state machine names, which IAM, the console
        and CloudTrail show) and is bounded: `wd-<id, 24 at most>-<hash>-v<version>` fits the
        80 characters of a name with a prefix of up to 30."""
        if self._tenant_id is None:
            return f"{self.id}-v{self.version}"
        digest = hashlib.sha256(f"{self._tenant_id}/{self.id}".encode()).hexdigest()[:12]
        return f"{PUBLISHED_PREFIX}{self.id[:24].rstrip('-')}-{digest}-v{self.version}"

    def is_final(self, state: str) -> bool:
        return self.states[state].type == "final"

    def plugin(self, name: str) -> PluginSpec | None:
        return next((p for p in self.plugins if p.name == name), None)

    def plugins_on_ingest(self) -> list[PluginSpec]:
        return [p for p in self.plugins if p.when == "ingest"]

    def plugins_entering(self, state: str) -> list[PluginSpec]:
        return [p for p in self.plugins if p.trigger_state == state]

    @property
    def waiting_states(self) -> list[str]:
        return [name for name, spec in self.states.items() if spec.type == "waiting"]

    def allowed_events(self, state: str, source: EventSource | None = None) -> list[str]:
        spec = self.states.get(state)
        if spec is None:
            return []
        return [event for event in spec.on if source is None or self.events[event].source == source]

    def next_state(self, state: str, event: str, source: EventSource | None = None) -> str:
        if event not in self.allowed_events(state, source):
            raise InvalidTransition(state, event)
        return self.states[state].on[event]

    def approves(self, state: str, event: str) -> bool:
        """Whether `event` out of `state` approves the case: the event carries the `approve`
        decision or leads to a state tagged `approved` (an integrator's event may)."""
        target = self.states[state].on.get(event) if state in self.states else None
        if target is None:
            return False
        return self.events[event].decision == "approve" or "approved" in self.states[target].tags

    def event_for_decision(self, state: str, decision: str) -> str:
        """The reviewer event that carries a case decision out of `state`."""
        for event in self.allowed_events(state, "reviewer"):
            if self.events[event].decision == decision:
                return event
        raise InvalidTransition(state, decision)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "entityType": self.entity_type,
            "initialState": self.initial_state,
            "states": [
                {
                    "name": name,
                    "type": spec.type,
                    "tags": list(spec.tags),
                    "events": list(spec.on),
                }
                for name, spec in self.states.items()
            ],
            "events": {
                name: spec.model_dump(exclude_none=True) for name, spec in self.events.items()
            },
            "documents": [d.model_dump() for d in self.documents],
            "acceptanceCriteria": [c.model_dump() for c in self.acceptance_criteria],
            "approvalPolicy": self.approval_policy.model_dump(by_alias=True),
            "source": "bundled" if self._tenant_id is None else "tenant",
        }
