"""Acceptance criteria: named JSON Logic rules of a workflow definition, judged over the case facts.

The rules are evaluated by `panzi-json-logic` (imported on first evaluation, not with the app);
this module adds what the library leaves open: a rule that reads a fact the case does not have
is `unknown` rather than `unmet`, and every outcome carries an explanation naming the facts the
rule read and their values. See docs/workflow-definitions.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CriterionStatus = Literal["met", "unmet", "unknown"]

# The top-level names of the facts a rule reads (`CaseFacts.rule_data`).
FACT_ROOTS = ("case", "entity", "documents", "customData", "vendorResults", "integratorResults")
# Operations whose second argument is judged once per item of the first, with the item as data.
SCOPED_OPERATIONS = frozenset({"all", "some", "none", "map", "filter", "reduce"})
# The operations of the JSON Logic specification that the library implements.
OPERATIONS = frozenset(
    {
        "if", "?:", "and", "or", "!", "!!", "==", "!=", "===", "!==", "<", ">", "<=", ">=",
        "+", "-", "*", "/", "%", "min", "max", "in", "cat", "substr", "merge", "var",
        "missing", "missing_some", "all", "some", "none", "map", "filter", "reduce",
    }
)  # fmt: skip
MAX_VALUE_TEXT = 120


class AcceptanceCriterion(BaseModel):
    """`{id, label, description, rule, enforced}` in a definition's `acceptanceCriteria`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)
    rule: dict[str, Any]
    enforced: bool

    @field_validator("rule")
    @classmethod
    def _valid_rule(cls, rule: dict[str, Any]) -> dict[str, Any]:
        problems = rule_problems(rule)
        if problems:
            raise ValueError("; ".join(problems))
        return rule


@dataclass(frozen=True)
class CriterionResult:
    criterion: AcceptanceCriterion
    status: CriterionStatus
    explanation: str

    @property
    def blocks_approval(self) -> bool:
        return self.criterion.enforced and self.status != "met"

    def summary(self) -> dict[str, Any]:
        """As audit records, error details and webhooks carry it."""
        return {
            "id": self.criterion.id,
            "label": self.criterion.label,
            "status": self.status,
            "enforced": self.criterion.enforced,
            "explanation": self.explanation,
        }


def rule_problems(rule: Any, path: str = "rule", scoped: bool = False) -> list[str]:
    """What makes `rule` no JSON Logic this evaluator accepts: unknown operations, objects with
    several keys, and (outside per-item scopes) `var`s naming no case fact."""
    if isinstance(rule, list):
        return [
            p for i, item in enumerate(rule) for p in rule_problems(item, f"{path}[{i}]", scoped)
        ]
    if not isinstance(rule, dict):
        return []
    if len(rule) != 1:
        return [f"{path}: an operation is an object with exactly one key, got {sorted(rule)}"]
    op, args = next(iter(rule.items()))
    if op not in OPERATIONS:
        return [f"{path}: unknown operation `{op}`"]
    at = f"{path}.{op}"
    if op in ("var", "missing", "missing_some") and not scoped:
        names = _names_read(op, args if isinstance(args, list) else [args])
        bad = [n for n in names if n is not None and not _is_fact(n)]
        if bad:
            return [
                f"{at}: `{bad[0]}` is not a case fact (facts start with {', '.join(FACT_ROOTS)})"
            ]
        return []
    items = args if isinstance(args, list) else [args]
    if op in SCOPED_OPERATIONS:
        return rule_problems(items[:1], at, scoped) + rule_problems(items[1:], at, True)
    return rule_problems(items, at, scoped)


def _names_read(op: str, args: list[Any]) -> list[Any]:
    if op == "var":
        return [args[0] if args else ""]
    keys = args[1] if op == "missing_some" and len(args) > 1 else args
    return list(keys) if isinstance(keys, list) else []


def _is_fact(name: Any) -> bool:
    return isinstance(name, str) and name.split(".")[0] in FACT_ROOTS


def evaluate(criterion: AcceptanceCriterion, facts: dict[str, Any]) -> CriterionResult:
    """Judge one criterion over the case's rule data (`CaseFacts.rule_data()`)."""
    status, explanation = judge(criterion.rule, facts)
    return CriterionResult(criterion, status, explanation)


def judge(rule: dict[str, Any], facts: dict[str, Any]) -> tuple[CriterionStatus, str]:
    """Judge a JSON Logic rule over the case's rule data: its status and the explanation (the
    facts it read and their values). Every rule of a definition is judged here."""
    from json_logic import jsonLogic  # lazily: the library is not needed to serve most requests
    from json_logic.builtins import BUILTINS, op_missing, op_missing_some, op_var, to_bool

    read: dict[str, Any] = {}
    # Facts a rule reads with `var` are its inputs: absent, the rule cannot be judged. Those it
    # asks about with `missing` are the question itself: absent is its answer.
    inputs: set[str] = set()

    def record(names: list[Any], data: Any, *, as_input: bool) -> None:
        if data is not facts:  # inside `all`/`map`/... the data is an item, not the case
            return
        for name in names:
            if isinstance(name, str) and name:
                read.setdefault(name, op_var(facts, name))
                if as_input:
                    inputs.add(name)

    def var(data: Any = None, key: Any = None, default: Any = None) -> Any:
        record([key], data, as_input=default is None)
        return op_var(data, key, default)

    def missing(data: Any = None, *keys: Any) -> Any:
        names = list(keys[0]) if keys and isinstance(keys[0], list) else list(keys)
        record(names, data, as_input=False)
        return op_missing(data, *keys)

    def missing_some(data: Any = None, need: Any = 0, keys: Any = None, *_: Any) -> Any:
        record(keys if isinstance(keys, list) else [], data, as_input=False)
        return op_missing_some(data, need, keys)

    operations: dict[str, Callable[..., Any]] = {
        **BUILTINS,
        "var": var,
        "missing": missing,
        "missing_some": missing_some,
    }
    try:
        outcome = to_bool(jsonLogic(rule, facts, operations))
    except (ArithmeticError, TypeError, ValueError, ReferenceError) as exc:
        return "unknown", f"the rule could not be judged: {exc}"
    values = "; ".join(f"{name} = {_describe(value)}" for name, value in read.items())
    absent = [name for name in read if name in inputs and read[name] is None]
    if absent:
        return "unknown", f"not known: {', '.join(absent)} ({values})"
    return ("met" if outcome else "unmet"), values or "the rule reads no case facts"


def evaluate_all(
    criteria: tuple[AcceptanceCriterion, ...], facts: dict[str, Any]
) -> list[CriterionResult]:
    return [evaluate(criterion, facts) for criterion in criteria]


def _describe(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, list):
        shown = ", ".join(_describe_item(item) for item in value[:5])
        more = f", and {len(value) - 5} more" if len(value) > 5 else ""
        return f"[{shown}{more}]"
    return _clip(json.dumps(value, default=str, ensure_ascii=False))


def _describe_item(item: Any) -> str:
    """A document as `type (decision)`; anything else as compact JSON."""
    if isinstance(item, dict) and isinstance(item.get("decision"), dict) and "type" in item:
        return f"{item['type']} ({item['decision'].get('status')})"
    return _clip(json.dumps(item, default=str, ensure_ascii=False), 60)


def _clip(text: str, limit: int = MAX_VALUE_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
