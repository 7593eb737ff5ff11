"""E2E fixtures: the `make run` stack as a subprocess, on its own ports so a developer's running
stack does not collide with the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from local.child_stack import Stack, running_stack

# Assertions on the page wait up to 15 s (Playwright's default is 5 s): `make test` runs the
# browser beside the stack and another worker's tests on two cores, so a busy moment is normal.
expect.set_options(timeout=15_000)


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
