"""A plugin's input and output mappings: JMESPath expressions over the case facts (input) and
over the provider's answer (output)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.models.case import Case
from chalicelib.workflows.definition import PluginSpec


def map_input(spec: PluginSpec, case: Case) -> dict[str, Any]:
    """The plugin's input: each name of `spec.input` bound to its expression's value over the
    case facts (`CaseFacts.rule_data`, the facts acceptance criteria read). No mapping: the
    entity as it is."""
    import jmespath  # lazily, like every expression evaluation

    facts = case.facts.rule_data()
    if not spec.input:
        return {"entity": facts["entity"]}
    return {name: jmespath.search(expression, facts) for name, expression in spec.input.items()}


def map_output(spec: PluginSpec, answer: dict[str, Any]) -> dict[str, Any]:
    """What the result keeps of the provider's answer: the output mapping's values, or the
    whole answer without one."""
    import jmespath

    if not spec.output:
        return answer
    return {name: jmespath.search(expression, answer) for name, expression in spec.output.items()}


def input_digest(value: dict[str, Any]) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
