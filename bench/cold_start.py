"""Cold start: importing `app` against importing its bare dependencies, each in a fresh process.

Both are measured from bytecode, as they run in Lambda: pip compiled the dependencies when it
installed them, and `make package` ships the app's modules compiled (Lambda cannot write a
bytecode cache), so the project's modules are compiled here first too.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.report import table

BARE = (
    "import boto3, botocore, chalice, pydantic, httpx, aws_lambda_powertools;"
    "from aws_lambda_powertools import Logger, Metrics;"
    "from aws_lambda_powertools.utilities.batch import BatchProcessor;"
    "from aws_lambda_powertools.utilities.idempotency import idempotent_function"
)
APP = "import app"
BUDGET = 1.3


def _import_ms(statement: str) -> float:
    """CPU time (user + system) of a fresh interpreter running `statement`: unlike wall time, it
    does not grow while the process waits for a core another process holds, so the ratio holds
    on a busy machine too."""
    process = subprocess.Popen([sys.executable, "-c", statement])
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, statement)
    return (usage.ru_utime + usage.ru_stime) * 1000


PROJECT_DIR = Path(__file__).resolve().parent.parent


def compile_project() -> None:
    compileall.compile_dir(PROJECT_DIR / "chalicelib", quiet=1)
    compileall.compile_file(PROJECT_DIR / "app.py", quiet=1)


def run(runs: int = 7) -> tuple[str, bool]:
    compile_project()
    # Interleaved, so a change in the machine's load during the run weighs on all three alike.
    samples: dict[str, list[float]] = {"pass": [], BARE: [], APP: []}
    for _ in range(runs):
        for statement, times in samples.items():
            times.append(_import_ms(statement))
    interpreter = statistics.median(samples["pass"])
    bare = statistics.median(samples[BARE]) - interpreter
    full = statistics.median(samples[APP]) - interpreter
    ratio = full / bare
    rows = [
        ["bare dependencies", bare, ""],
        ["import app", full, f"{ratio:.2f}x (budget <= {BUDGET}x)"],
    ]
    title = (
        f"Cold start: import CPU time, median of {runs} fresh processes, interpreter start removed"
    )
    return table(title, ["what", "ms", "ratio"], rows), ratio <= BUDGET
