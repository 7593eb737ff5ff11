"""Shared pydantic configuration for the API's camelCase JSON."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


def _integer_not_bool_or_text(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# An integer in a JSON body, as JSON Schema's `integer` means it: 5 and 5.0, but not `true` or
# `"5"`, which pydantic's lax mode would take (found by fuzzing the OpenAPI document).
JsonInt = Annotated[int, BeforeValidator(_integer_not_bool_or_text)]


class ApiModel(BaseModel):
    """A model whose JSON is camelCase and whose unknown fields are rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )


class OpenModel(BaseModel):
    """A model that keeps fields it does not know: an integrator's context is kept whole."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", defer_build=True
    )
