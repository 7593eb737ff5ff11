"""Fault injection for end-to-end tests of failure paths, honoured by the local stack only.

`LOCAL_FAULT=<module>:<function>` replaces that function with one that raises, so a request
through it fails the way an unexpected bug would. Only `local.stack` reads the variable, and
`local/` is not part of the Lambda package, so no cloud deployment can be made to fail this way.
"""

from __future__ import annotations

import importlib
import os
from typing import NoReturn

VARIABLE = "LOCAL_FAULT"


class InjectedFault(RuntimeError):
    """Raised where `LOCAL_FAULT` points."""


def install_fault(spec: str | None = None) -> str | None:
    """Install the fault `spec` (default: `$LOCAL_FAULT`); the spec installed, if any."""
    spec = spec if spec is not None else os.environ.get(VARIABLE)
    if not spec:
        return None
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    if not callable(getattr(module, attribute, None)):
        raise ValueError(f"{VARIABLE}={spec}: no function {attribute} in {module_name}")

    def fail(*args: object, **kwargs: object) -> NoReturn:
        raise InjectedFault(f"fault injected by {VARIABLE} at {spec}")

    setattr(module, attribute, fail)
    return spec
