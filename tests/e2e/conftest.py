"""E2E fixtures: the `make run` stack as a subprocess, on its own ports so a developer's running
stack does not collide with the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.child_stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with running_stack(log) as running:
        yield running


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
