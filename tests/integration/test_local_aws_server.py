"""Local AWS, the moto server process the local stack runs (`local/aws_server.py`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from local.child_stack import PROJECT_DIR, free_port
from tests.conftest import poll

# A stand-in for a local stack: it starts local AWS, runs many threads (the stack's pump runs
# one per consumer), says local AWS's pid, and waits to be killed.
STACK_STAND_IN = """
import sys, threading, time
from local.stack import start_local_aws
aws = start_local_aws(int(sys.argv[1]))
for _ in range(200):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
print(aws.pid, flush=True)
time.sleep(600)
"""


def running(pid: int) -> bool:
    """Whether `pid` runs (an exited process that nobody reaped yet does not)."""
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


def test_local_aws_ends_when_its_stack_is_killed_outright() -> None:
    """A stack killed outright sends local AWS its parent-death signal once per exiting thread
    (the kernel hands local AWS to each in turn). A signal handler re-entered by that burst
    deadlocked, and local AWS outlived the stack, holding its port."""
    stack = subprocess.Popen(
        [sys.executable, "-c", STACK_STAND_IN, str(free_port())],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    aws_pid = 0
    try:
        assert stack.stdout is not None
        aws_pid = int(stack.stdout.readline())
        assert running(aws_pid)
        stack.kill()
        stack.wait(timeout=10)
        poll(lambda: not running(aws_pid))
    finally:
        if stack.poll() is None:
            stack.kill()
        if aws_pid and running(aws_pid):
            os.kill(aws_pid, signal.SIGKILL)
