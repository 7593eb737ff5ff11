"""E2E fixtures: the `make run` stack as a subprocess, on its own ports so a developer's running
stack does not collide with the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Stack:
    base_url: str
    aws_endpoint: str
    log: Path

    def aws_client(self, service: str):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    api_port, aws_port = _free_port(), _free_port()
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    env = {**os.environ, "LOCAL_API_PORT": str(api_port), "LOCAL_AWS_PORT": str(aws_port)}
    env.pop("AWS_ENDPOINT_URL", None)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while "Ctrl-C stops everything" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield Stack(base_url, f"http://127.0.0.1:{aws_port}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


# Browser tests (pytest-playwright): Debian's Chromium, never a downloaded browser build.
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        pytest.fail("browser tests need /usr/bin/chromium: run `make browser`")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, stack: Stack) -> dict:
    return {
        **browser_context_args,
        "base_url": stack.base_url,
        "viewport": {"width": 1280, "height": 800},
    }


@contextmanager
def running_stack(log: Path, extra_env: dict[str, str]) -> Iterator[Stack]:
    """A stack like `stack`'s, with extra environment (e.g. a webhook receiver and a short retry
    schedule). Separate from the session `stack` so other tests keep the real defaults."""
    api_port, aws_port = _free_port(), _free_port()
    env = {
        **os.environ,
        **extra_env,
        "LOCAL_API_PORT": str(api_port),
        "LOCAL_AWS_PORT": str(aws_port),
    }
    env.pop("AWS_ENDPOINT_URL", None)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while "Ctrl-C stops everything" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield Stack(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
