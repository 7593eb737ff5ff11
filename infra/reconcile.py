"""Re-drive whatever a deployed stage left in flight (`chalicelib/reconciler.py`): executions
missing or ended for active cases, transitions not yet sent, webhook deliveries left `pending`
or `retrying`, remote pages left `pending`.

    python -m infra.reconcile --stage prod [--step executions --step webhook_deliveries ...]

It configures itself from the stage's own function environment (the same settings the Lambda
functions read), so it needs only AWS credentials with access to the stage. Safe to run at any
time and more than once: every step is idempotent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import boto3

# Any function of the stack carries the full environment (infra/functions.py).
CONFIG_FUNCTION = "AWS::Lambda::Function"


def function_environment(stack: str) -> dict[str, str]:
    resources = boto3.client("cloudformation").describe_stack_resources(StackName=stack)
    function = next(
        r["PhysicalResourceId"]
        for r in resources["StackResources"]
        if r["ResourceType"] == CONFIG_FUNCTION
    )
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=function)
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m infra.reconcile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--stage", required=True)
    root.add_argument("--stack", help="default: kyc-backoffice-<stage>")
    root.add_argument("--step", action="append", help="run only these steps (repeatable)")
    return root


def main(argv: list[str]) -> dict[str, Any]:
    args = parser().parse_args(argv)
    os.environ.update(function_environment(args.stack or f"kyc-backoffice-{args.stage}"))
    from chalicelib.reconciler import default_reconciliation, reconcile

    report = reconcile(default_reconciliation(), only=args.step)
    print(json.dumps(report, indent=2, sort_keys=True))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
