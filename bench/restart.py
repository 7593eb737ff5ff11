"""Restart: how long the local stack takes to start on a data folder of N cases.

`python -m bench.restart [cases]` (default 1,000). The data folder is built in-process: the
tenants, the reviewers and one case ingested through the integrator API (one inline page), its
audit records marked published, saved as the stack saves, then that case cloned N-1 times
under new ids in the saved files (ingesting 1,000 cases through moto takes far longer than
what is measured here). The `make run`
stack is then started on it and timed until it serves (restore: tables, objects, users) and
until the reconciler has given every case an execution (the worst case: none survived), and
stopped with Ctrl-C (the final save of N cases).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import table

DEFAULT_CASES = 1000
RECONCILED_LINE = "reconciled after restore"
TEMPLATE_ENTITY = "bench-restart-template"


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_data_folder(cases: int, root: Path) -> None:
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import caches
    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION, local_environment
    from local.persistence import DataFolder, Saver, StoredResources, read_stream
    from local.provision import provision
    from tests.integration.conftest import TEST_ENV
    from tests.integration.test_ingestion_api import individual_run

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    # In-process moto, but the stack's own settings (API keys are hashed with its pepper).
    os.environ.update({**TEST_ENV, "API_KEY_PEPPER": local_environment(0, 0)["API_KEY_PEPPER"]})
    caches.reset_all()
    try:
        with mock_aws():
            resources = describe_resources(PREFIX, frontend_origins=["http://localhost:3000"])
            provisioner = provision(resources, REGION)
            os.environ.update(provisioner.app_environment())
            from app import app
            from local.seed import seed_reviewers, seed_tenants

            seed_tenants()
            seed_reviewers()
            with Client(app, stage_name="dev") as client:
                response = client.http.post(
                    "/api/v1/external/workflows/run",
                    body=json.dumps(individual_run(TEMPLATE_ENTITY)),
                    headers={"Authorization": "Bearer secret", "Content-Type": "application/json"},
                )
                assert response.status_code == 201, response.body
                case_id = json.loads(response.body)["workflowRuntimeId"]
            from chalicelib.dependencies import case_store

            case = case_store().get_case("demo", case_id)
            assert case is not None
            template = {
                case_id: "case",
                case.ballerine_entity_id: "ent",
                **{a.event_id: "evt" for a in case_store().list_audit("demo", case_id)},
            }
            tables = {
                logical_id: provisioner.refs[logical_id]
                for logical_id, resource in resources.items()
                if resource["Type"] == "AWS::DynamoDB::Table"
            }
            stream = provisioner.attrs[("CasesTable", "StreamArn")]
            saver = Saver(
                DataFolder(root),
                StoredResources(
                    tables=tables,
                    streams={tables["CasesTable"]: stream},
                    bucket=provisioner.refs["DocumentsBucket"],
                    user_pool_id=provisioner.outputs["UserPoolId"],
                    region=REGION,
                ),
            )
            # As if the pump had published every audit record before the stop.
            saver.record_published(stream, list(read_stream(boto3.client, stream)))
            saver.save()
        _clone(root / "snapshot", template, cases - 1)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        caches.reset_all()


def _clone(snapshot: Path, template: dict[str, str], copies: int) -> None:
    """Append `copies` of the template case's items and objects under fresh ids."""
    from chalicelib.ids import new_id

    def renamed(text: str, index: int, fresh: dict[str, str]) -> str:
        for old, new in fresh.items():
            text = text.replace(old, new)
        return text.replace(TEMPLATE_ENTITY, f"bench-restart-{index:05d}")

    marker = next(old for old, kind in template.items() if kind == "case")
    cases = snapshot / "tables" / "CasesTable.jsonl"
    lines = cases.read_text().splitlines()
    own = [line for line in lines if marker in line or TEMPLATE_ENTITY in line]
    objects = json.loads((snapshot / "objects.json").read_text())
    own_objects = {key: value for key, value in objects.items() if marker in key}
    with cases.open("a") as out:
        for index in range(copies):
            fresh = {old: new_id(kind) for old, kind in template.items()}
            out.write("".join(renamed(line, index, fresh) + "\n" for line in own))
            objects.update(
                {renamed(key, index, fresh): value for key, value in own_objects.items()}
            )
    (snapshot / "objects.json").write_text(json.dumps(objects))


def run(cases: int = DEFAULT_CASES) -> tuple[str, bool]:
    from local.child_stack import launch_stack
    from tests.conftest import poll

    work = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    env = {"LOCAL_DATA_DIR": str(work / "data")}
    build_data_folder(cases, work / "data")
    size = _folder_size(work / "data")

    started = time.monotonic()
    second = launch_stack(work / "second.log", env)
    serving = time.monotonic() - started
    try:
        poll(lambda: RECONCILED_LINE in (work / "second.log").read_text(), timeout=1800)
        reconciled = time.monotonic() - started
        with httpx.Client(base_url=second.stack.base_url, timeout=60) as client:
            listed = client.get(
                "/api/v1/external/workflows?limit=1", headers={"Authorization": "Bearer secret"}
            )
            assert listed.status_code == 200, listed.text
        stopping = time.monotonic()
        assert second.interrupt(timeout=600) == 0
        stop_seconds = time.monotonic() - stopping
    finally:
        second.stop()
    saved = json.loads((work / "data" / "snapshot" / "meta.json").read_text())
    rows = [
        (f"data folder of {cases} cases", f"{size / 1e6:.1f} MB"),
        ("start: serving (restore of tables, objects, users)", f"{serving:.1f} s"),
        ("start: every case's execution back (reconciler, background)", f"{reconciled:.1f} s"),
        ("stop with Ctrl-C (consumers drained, final save)", f"{stop_seconds:.1f} s"),
        ("one save of the running stack (the last one)", f"{saved['seconds']:.1f} s"),
    ]
    return table(f"Restart with a data folder of {cases:,} cases", ("", "measured"), rows), True


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CASES)[0])
