"""The case view's latency with a tenant layout (issue 20), p50 and p99, in-process against moto:
as served (the tenant's layouts cached per container) and with the cache forgotten before each
view (every view reads the layouts: one Query, as before the cache every view read one item).

moto's reads cost more than DynamoDB's and grow with the table, so the absolute numbers say
little; the difference between the rows is the read the cache saves."""

from __future__ import annotations

import os

from bench.report import measure, table

RUNS = 200


def run() -> tuple[str, bool]:
    from moto import mock_aws

    from chalicelib import caches
    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION
    from local.provision import provision
    from tests.integration.conftest import TEST_ENV

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(TEST_ENV)
    caches.reset_all()
    with mock_aws():
        provisioner = provision(describe_resources(PREFIX, frontend_origins=[]), REGION)
        os.environ.update(provisioner.app_environment())  # the user pool's id, for the users
        caches.reset_all()
        rows = _measure()
    caches.reset_all()
    report = table(
        f"Case view with a tenant layout ({RUNS} views, in-process, moto)",
        ["case view", "p50 ms", "p99 ms"],
        rows,
    )
    return report, True


def _measure() -> list[list[object]]:
    import boto3

    from bench.inbox import synthetic_case
    from chalicelib.aws.dynamodb import case_to_item
    from chalicelib.config import get_settings
    from chalicelib.dependencies import layout_store, reviewer_directory
    from chalicelib.handlers.case_views import case_view_response
    from chalicelib.layouts import service
    from chalicelib.layouts.rules import bundled_layout
    from chalicelib.models.layouts import LayoutRequest
    from local.seed import seed_reviewers

    seed_reviewers()
    reviewers = {r.email: r for r in reviewer_directory().list_reviewers("demo")}
    admin, alice = reviewers["admin@demo.test"], reviewers["alice@demo.test"]
    case = synthetic_case(1)  # a KYC case
    table_ = boto3.resource("dynamodb").Table(get_settings().cases_table)
    table_.put_item(Item={k: v for k, v in case_to_item(case).items() if v is not None})
    bundled = bundled_layout(case.workflow_definition_id)
    assert bundled is not None
    # The bundled layout in one column, its documents block moved to the first.
    blocks = [block.model_copy(update={"column": 1}) for block in bundled.blocks]
    layout = bundled.model_copy(update={"columns": 1, "blocks": blocks})
    store = layout_store()
    request = LayoutRequest(layout=layout, expected_version=0)
    service.put_layout(store, admin, case.workflow_definition_id, request, request_id=None)
    assert case_view_response(case, alice).layout.columns == 1

    def view_reading_the_layouts() -> object:
        service.saved_layouts_cache.cache_clear()  # only this cache: not the boto3 clients
        return case_view_response(case, alice)

    cached = measure(lambda: case_view_response(case, alice), RUNS)
    forgotten = measure(view_reading_the_layouts, RUNS)
    return [
        ["layouts cached (as served)", cached.p50, cached.p99],
        ["layouts read on every view", forgotten.p50, forgotten.p99],
    ]
