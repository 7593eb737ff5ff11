"""The local stack as a child process on free ports: for end-to-end tests and benchmarks, so a
developer's running `make run` (ports 3000/4566) never collides with them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from local.environment import REVIEWER_PASSWORD
from local.stack import STOP_SECONDS

PROJECT_DIR = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120
READY_LINE = "saves and stops everything"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    base_url: str
    aws_endpoint: str
    log: Path

    def aws_client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def state_machine_arn(self, definition_id: str, version: int = 1) -> str:
        sfn = self.aws_client("stepfunctions")
        suffix = f"{definition_id}-v{version}"
        return next(
            m["stateMachineArn"]
            for m in sfn.list_state_machines()["stateMachines"]
            if m["name"].endswith(suffix)
        )

    def execution_history(
        self, definition_id: str, case_id: str, version: int = 1
    ) -> list[dict[str, Any]] | None:
        """The events of the case's execution (named after the case), None until it exists."""
        sfn = self.aws_client("stepfunctions")
        machine = self.state_machine_arn(definition_id, version)
        arn = machine.replace(":stateMachine:", ":execution:") + f":{case_id}"
        try:
            return list(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])
        except sfn.exceptions.ExecutionDoesNotExist:
            return None


def states_entered(history: list[dict[str, Any]], *, plugin_steps: bool = False) -> list[str]:
    """The chart's states an execution entered, without the compiler's event choices (`__on`)
    and, unless asked for, its plugin steps (`__plugin`, `__plugin__failed`)."""
    names = [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]
    return [n for n in names if "__on" not in n and (plugin_steps or "__plugin" not in n)]


@dataclass
class StackProcess:
    """A started stack: stop it as Ctrl-C does (`interrupt`) or as a crash does (`kill`)."""

    process: subprocess.Popen
    stack: Stack

    def interrupt(self, timeout: float = STOP_SECONDS) -> int:
        # As Ctrl-C in a terminal: SIGINT to every process of the job's group, not to one.
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as slow:
            tail = self.stack.log.read_text()[-4000:]
            raise RuntimeError(f"the stack did not stop in {timeout:.0f} s:\n{tail}") from slow

    def kill(self) -> int:
        self.process.kill()
        return self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def launch_stack(log: Path, env: dict[str, str]) -> StackProcess:
    """Start `python -m local.stack` on free ports with `env` added; return once it serves."""
    api_port, aws_port = free_port(), free_port()
    full_env = {
        **os.environ,
        **env,
        "LOCAL_API_PORT": str(api_port),
        "LOCAL_AWS_PORT": str(aws_port),
    }
    full_env.pop("AWS_ENDPOINT_URL", None)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=PROJECT_DIR,
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a terminal's job has
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while READY_LINE not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the stack did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)
    stack = Stack(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}", log)
    return StackProcess(process, stack)


@contextmanager
def signed_in(
    stack: Stack, email: str = "admin@demo.test", timeout: float = 30
) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """An HTTP client of the stack signed in as one of the local reviewers, and its session."""
    with signed_in_at(stack.base_url, email, timeout) as signed:
        yield signed


@contextmanager
def signed_in_at(
    base_url: str, email: str = "admin@demo.test", timeout: float = 30
) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """`signed_in`, for a stack known by its URL."""
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        response = client.post(
            "/api/v1/auth/login", json={"email": email, "password": REVIEWER_PASSWORD}
        )
        response.raise_for_status()
        session = response.json()
        client.headers["Authorization"] = f"Bearer {session['idToken']}"
        yield client, session


def await_ingest(
    base_url: str, case_id: str, email: str = "admin@demo.test", timeout: float = 60
) -> dict[str, Any]:
    """The case view once the execution's ingest plugins (the bundled definitions' screening)
    have recorded their results and the document fetch has settled the remote pages: a
    reviewer acting before them meets an unknown criterion, a version they then move on, and
    evidence that changes under a pending approval."""
    from chalicelib.workflows.registry import get_definition

    deadline = time.monotonic() + timeout
    with signed_in_at(base_url, email) as (client, _):
        while True:
            view: dict[str, Any] = client.get(f"/api/v1/backoffice/cases/{case_id}").json()
            definition = get_definition(view["workflow"]["id"], view["workflow"]["version"])
            recorded = {r["plugin"] for r in view.get("pluginResults", [])}
            pending = [
                page
                for document in view["documents"]
                for page in document["pages"]
                if page["storageStatus"] == "pending"
            ]
            if {p.name for p in definition.plugins_on_ingest()} <= recorded and not pending:
                return view
            if time.monotonic() > deadline:
                raise AssertionError(f"{case_id}: ingest not settled in {timeout} s")
            time.sleep(0.2)


@contextmanager
def running_stack(log: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Start the stack with `extra_env`, wait for its banner, stop it after. Its data folder is
    a temporary one unless `extra_env` names one (LOCAL_DATA_DIR)."""
    with tempfile.TemporaryDirectory(prefix="local-data-") as temporary:
        env = {"LOCAL_DATA_DIR": temporary, **(extra_env or {})}
        started = launch_stack(log, env)
        try:
            yield started.stack
        finally:
            started.stop()
