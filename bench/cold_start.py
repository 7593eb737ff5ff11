"""Cold start: importing `app` against importing its bare dependencies, each in a fresh process.

Both are measured from bytecode, as they run in Lambda: pip compiled the dependencies when it
installed them, and `make package` ships the app's modules compiled (Lambda cannot write a
bytecode cache), so the project's modules are compiled here first too.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
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
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return (time.perf_counter() - started) * 1000


PROJECT_DIR = Path(__file__).resolve().parent.parent


def compile_project() -> None:
    compileall.compile_dir(PROJECT_DIR / "chalicelib", quiet=1)
    compileall.compile_file(PROJECT_DIR / "app.py", quiet=1)


def run(runs: int = 7) -> tuple[str, bool]:
    compile_project()
    interpreter = statistics.median(_import_ms("pass") for _ in range(runs))
    bare = statistics.median(_import_ms(BARE) for _ in range(runs)) - interpreter
    full = statistics.median(_import_ms(APP) for _ in range(runs)) - interpreter
    ratio = full / bare
    rows = [
        ["bare dependencies", bare, ""],
        ["import app", full, f"{ratio:.2f}x (budget <= {BUDGET}x)"],
    ]
    title = f"Cold start: import time, median of {runs} fresh processes, interpreter start removed"
    return table(title, ["what", "ms", "ratio"], rows), ratio <= BUDGET
