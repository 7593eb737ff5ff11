"""The one-machine back office: `make run` starts this.

One process tree: local AWS (moto) in a child process on :4566, then, in this process, the
resources from `infra/resources.py`, the data saved by the last run (`local/persistence.py`)
or else the tenants and demo data, the app and frontend on :3000, and the pump that plays
Lambda's queue and stream triggers. Ctrl-C saves and stops all of it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from local.environment import (
    LOCAL_REVIEWERS,
    PREFIX,
    REGION,
    REVIEWER_PASSWORD,
    TENANT_API_KEYS,
    api_port,
    aws_port,
    local_environment,
)
from local.persistence import (
    DataFolder,
    Saver,
    StoredResources,
    after_restore,
    data_dir,
    restore,
    save_interval,
)
from local.stop_signals import hold_stop_signals, wait_for_stop_signal

STARTUP_SECONDS = 60
# How long a stop waits for the requests being handled (one at a time: see BackOfficeWSGI).
DRAIN_SECONDS = 30
# How long a stop then lets the consumers handle what their queues hold (local AWS's queues die
# with it).
QUEUE_DRAIN_SECONDS = 30
# The most a whole stop may take: the drain, the consumers' last batches, the saver's save in
# progress and then the final one, local AWS's exit. Whoever waits for a stop waits this long.
STOP_SECONDS = 180


PR_SET_PDEATHSIG = 1


@dataclass
class RunningStack:
    aws: subprocess.Popen
    http: Any
    pump: Any
    saver: Saver
    refs: dict[str, str]
    outputs: dict[str, str]
    data: Path
    restored: dict[str, Any] | None = field(default=None)

    def stop(self) -> None:
        """No new requests, let the consumers finish, save, then stop local AWS."""
        began = time.monotonic()

        def phase(name: str) -> None:
            # Printed as each step ends, so the log of a slow stop shows where it is.
            print(f"stop: {name} after {time.monotonic() - began:.1f} s", flush=True)

        try:
            self.http.shutdown()
            self.http.app.drain(DRAIN_SECONDS)
            phase("requests drained")
            self.pump.stop(drain_seconds=QUEUE_DRAIN_SECONDS)
            phase("consumers drained")
            self.saver.stop()
            phase("saved")
        finally:
            self.aws.terminate()
        try:
            self.aws.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.aws.kill()


def _die_with_parent() -> None:
    """Local AWS ends with the stack even when the stack is killed outright (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_local_aws(port: int) -> subprocess.Popen:
    env = {**os.environ, "MOTO_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "local.aws_server", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
        # Out of the terminal's process group: Ctrl-C reaches the whole group, and local AWS
        # must outlive it until the stack has drained and saved (the stack then stops it).
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local AWS exited with {process.returncode}; is port {port} free?")
        try:
            httpx.get(f"{endpoint}/moto-api/data.json", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("local AWS did not start in time")
    httpx.post(
        f"{endpoint}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
        timeout=5,
    ).raise_for_status()
    return process


def start(*, seed_demo: bool = True) -> RunningStack:
    http_port, local_aws_port = api_port(), aws_port()
    os.environ.update(local_environment(local_aws_port, http_port))
    folder = DataFolder(data_dir())
    snapshot = folder.latest()
    aws = start_local_aws(local_aws_port)
    try:
        # Imported after the environment is set: nothing may bind to AWS before that.
        from app import app
        from chalicelib.reconciler import default_reconciliation, reconcile
        from infra.resources import STREAM_CONSUMERS, describe_resources
        from local.faults import install_fault
        from local.provision import provision
        from local.pump import Pump
        from local.seed import (
            seed_demo_cases,
            seed_demo_history,
            seed_reviewers,
            seed_sanctions_lists,
            seed_tenants,
        )
        from local.server import BackOfficeWSGI, serve

        resources = describe_resources(PREFIX, frontend_origins=[f"http://localhost:{http_port}"])
        # Saved data is loaded before the streams are on, so it is not published again.
        provisioner = provision(resources, REGION, streams=snapshot is None)
        os.environ.update(provisioner.app_environment())
        stored = StoredResources(
            tables={
                logical_id: provisioner.refs[logical_id]
                for logical_id, resource in resources.items()
                if resource["Type"] == "AWS::DynamoDB::Table"
            },
            streams={},
            bucket=provisioner.refs["DocumentsBucket"],
            user_pool_id=provisioner.outputs["UserPoolId"],
            region=REGION,
        )
        restored = None
        if snapshot is not None:
            restored = restore(snapshot, folder, stored, password=REVIEWER_PASSWORD)
            provisioner.enable_streams()
            seed_sanctions_lists()
        else:
            seed_tenants()
            seed_reviewers()
        stored.streams = {
            provisioner.refs[table]: provisioner.attrs[(table, "StreamArn")]
            for table in STREAM_CONSUMERS
        }
        saver = Saver(
            folder,
            stored,
            generation=restored.generation if restored else 0,
            interval=save_interval(),
        )
        install_fault()
        http = serve(app, "127.0.0.1", http_port)
        pump = Pump(app, provisioner.refs, provisioner.attrs, REGION)
        pump.on_stream_records = saver.record_published
        wsgi = cast(BackOfficeWSGI, http.app)
        saver.activity = lambda: wsgi.api_requests + pump.invocations
        pump.start()
        if restored is not None:
            after_restore(lambda: reconcile(default_reconciliation()), stored, restored.held_back)
        elif seed_demo:
            seed_demo_cases(f"http://127.0.0.1:{http_port}")
            seed_demo_history()
        saver.start()
        return RunningStack(
            aws,
            http,
            pump,
            saver,
            provisioner.refs,
            provisioner.outputs,
            folder.root,
            {"generation": restored.generation, **restored.counts} if restored else None,
        )
    except BaseException:
        aws.terminate()
        raise


def banner(stack: RunningStack) -> str:
    from chalicelib.dependencies import webhook_store
    from chalicelib.webhooks.tenant_secret import tenant_signing_secret

    http_port, local_aws_port = api_port(), aws_port()
    # Local only: in the cloud an admin reads it once (POST .../webhooks/signing-secret/reveal).
    run_secret = tenant_signing_secret(webhook_store(), "demo").secret
    keys = "\n".join(
        f"    tenant {tenant:<5} Authorization: Bearer {key}"
        for tenant, key in TENANT_API_KEYS.items()
    )
    restored = (
        f"restored (save #{stack.restored['generation']})"
        if stack.restored
        else "new (demo data seeded)"
    )
    reviewers = "\n".join(
        f"    tenant {tenant:<5} {email:<18} {', '.join(roles)}"
        for tenant, email, _, roles in LOCAL_REVIEWERS
    )
    return f"""
  KYC/KYB back office (local stack)
  ---------------------------------
  Back office   http://localhost:{http_port}
  API           http://localhost:{http_port}/api/v1
  Local AWS     http://127.0.0.1:{local_aws_port}  (aws --endpoint-url ...)
  Data          {stack.data}
                {restored}; saved every {save_interval():g} s and
                on Ctrl-C. `make reset` wipes it (the next start seeds the demo again).
  Integrator API keys
{keys}
  Reviewer accounts (password {REVIEWER_PASSWORD})
{reviewers}
  Customer emails (collection links, messages) are printed below as they are sent.
  Webhooks of the demo tenant's runs (config.subscriptions) are signed with
    {run_secret}
  Try it:
    curl -X POST http://localhost:{http_port}/api/v1/external/workflows/run \\
      -H 'Content-Type: application/json' -H 'Authorization: Bearer secret' \\
      -d @tests/fixtures/seed-run-request.json
  Ctrl-C saves and stops everything.
"""


def main() -> None:
    hold_stop_signals()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stack = start()
    print(banner(stack), flush=True)
    from local.mailbox import MailboxPrinter

    # Customer emails (moto's SES) are printed here: the local stand-in for their inbox.
    mailbox = MailboxPrinter(os.environ["AWS_ENDPOINT_URL"])
    mailbox.start()
    wait_for_stop_signal()
    print("stopping...", flush=True)
    mailbox.stop()
    stack.stop()
    print(f"saved to {stack.data}", flush=True)


if __name__ == "__main__":
    main()
