"""An unexpected failure over HTTP on the local stack answers the one error envelope, and the
stack's log has one structured line for it with the same request id.

The failure is injected with `LOCAL_FAULT` (see `local/faults.py`), which only the local stack
honours: this test starts a stack of its own with it, so the shared stack stays healthy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.child_stack import Stack, running_stack
from tests.conftest import poll

FAULT = "chalicelib.handlers.external_api:latest_definitions"


@pytest.fixture(scope="module")
def faulty_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log = tmp_path_factory.mktemp("faulty-stack") / "stack.log"
    with running_stack(log, extra_env={"LOCAL_FAULT": FAULT}) as running:
        yield running


def test_an_unexpected_exception_answers_the_envelope_over_http(faulty_stack: Stack) -> None:
    with httpx.Client(base_url=faulty_stack.base_url, timeout=30) as http:
        response = http.get(
            "/api/v1/external/workflow-definitions", headers={"Authorization": "Bearer secret"}
        )
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert set(error) == {"code", "message", "requestId"}
        assert error["code"] == "internal_error"
        # Only the faulty function fails: the rest of the API answers as usual.
        listed = http.get("/api/v1/external/workflows", headers={"Authorization": "Bearer secret"})
        assert listed.status_code == 200

    def logged() -> list[dict[str, Any]]:
        lines = faulty_stack.log.read_text().splitlines()
        return [
            json.loads(line)
            for line in lines
            if line.startswith("{") and error["requestId"] in line
        ]

    (line,) = poll(logged)
    assert line["level"] == "ERROR"
    assert line["exception_name"] == "InjectedFault"
    assert line["route"] == "/api/v1/external/workflow-definitions"
    assert "list_workflow_definitions_route" in line["stack"]
