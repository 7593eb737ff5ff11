"""The local stack's snapshot over moto in-process: what the outbox had not published is marked,
held back on restore and published once when the stream is on; reviewers keep their ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.dependencies import case_store
from infra.resources import describe_resources
from local.environment import LOCAL_REVIEWERS, PREFIX, REGION, REVIEWER_PASSWORD
from local.moto_patches import keep_given_cognito_sub
from local.persistence import (
    DataFolder,
    Saver,
    StoredResources,
    publish_held_back,
    read_stream,
    restore,
)
from local.provision import LocalProvisioner, provision
from tests.integration.conftest import Api
from tests.integration.test_decisions_api import ingest


def stored(provisioner: LocalProvisioner, resources: dict[str, Any]) -> StoredResources:
    return StoredResources(
        tables={
            logical_id: provisioner.refs[logical_id]
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::DynamoDB::Table"
        },
        streams={provisioner.refs["CasesTable"]: provisioner.attrs[("CasesTable", "StreamArn")]}
        if ("CasesTable", "StreamArn") in provisioner.attrs
        else {},
        bucket=provisioner.refs["DocumentsBucket"],
        user_pool_id=provisioner.outputs["UserPoolId"],
        region=REGION,
    )


def stream_inserts(stream_arn: str) -> list[dict[str, Any]]:
    return [r for r in read_stream(boto3.client, stream_arn) if r["eventName"] == "INSERT"]


@pytest.fixture
def saving(local_aws: LocalProvisioner, tmp_path: Path) -> tuple[Saver, DataFolder, str]:
    """A saver of the in-process stack's resources, and the outbox stream's ARN."""
    source = stored(local_aws, describe_resources(PREFIX, frontend_origins=[]))
    folder = DataFolder(tmp_path / "data")
    return Saver(folder, source), folder, source.streams[source.tables["CasesTable"]]


def test_unpublished_audit_records_are_held_back_and_published_once_after_restore(
    api: Api, saving: tuple[Saver, DataFolder, str], seed_request: dict[str, Any]
) -> None:
    saver, folder, stream_arn = saving
    source = saver.resources

    # The first case's records went through the outbox; the second case's did not.
    first = ingest(api, seed_request)
    saver.record_published(stream_arn, stream_inserts(stream_arn))
    published = {a.event_id for a in case_store().list_audit("demo", first)}
    second_request = json.loads(json.dumps(seed_request))
    second_request["context"]["entity"]["id"] = "another-entity"
    second = ingest(api, second_request)
    unpublished = {a.event_id for a in case_store().list_audit("demo", second)}
    meta = saver.save()
    assert meta["unpublished"] == len(unpublished)
    snapshot = folder.latest()
    assert snapshot is not None
    assert {o["eventId"] for o in snapshot.read("outbox.json")} == unpublished

    # Restore into a second set of resources, created with their streams held.
    keep_given_cognito_sub()
    target_resources = describe_resources("kyc-restored", frontend_origins=[])
    target = provision(target_resources, REGION, streams=False)
    into = stored(target, target_resources)
    restored = restore(snapshot, folder, into, password=REVIEWER_PASSWORD)
    held = {json.loads(e["item"]["recordJson"]["S"])["event_id"] for e in restored.held_back}
    assert held == unpublished
    assert restored.counts["users"] == len(LOCAL_REVIEWERS)

    target.enable_streams()
    into.streams = {into.tables["CasesTable"]: target.attrs[("CasesTable", "StreamArn")]}
    assert stream_inserts(into.streams[into.tables["CasesTable"]]) == []  # loading emitted nothing
    publish_held_back(into, restored.held_back)
    inserted = stream_inserts(into.streams[into.tables["CasesTable"]])
    ids = [json.loads(r["dynamodb"]["NewImage"]["recordJson"]["S"])["event_id"] for r in inserted]
    assert sorted(ids) == sorted(unpublished) and not published & set(ids)

    # Reviewers keep their ids (the `sub` every assignment and decision refers to).
    cognito = boto3.client("cognito-idp")

    def subs(pool: str) -> dict[str, str]:
        users = cognito.list_users(UserPoolId=pool)["Users"]
        return {
            next(a["Value"] for a in u["Attributes"] if a["Name"] == "email"): next(
                a["Value"] for a in u["Attributes"] if a["Name"] == "sub"
            )
            for u in users
        }

    assert subs(into.user_pool_id) == subs(source.user_pool_id)


def test_a_save_logged_as_published_after_it_began_is_not_published_again(
    api: Api, saving: tuple[Saver, DataFolder, str], seed_request: dict[str, Any]
) -> None:
    saver, folder, stream_arn = saving
    ingest(api, seed_request)
    saver.save()
    snapshot = folder.latest()
    assert snapshot is not None and snapshot.read("outbox.json")
    # The pump publishes them after the snapshot was taken, then the stack dies.
    saver.record_published(stream_arn, stream_inserts(stream_arn))

    target_resources = describe_resources("kyc-restored-2", frontend_origins=[])
    target = provision(target_resources, REGION, streams=False)
    restored = restore(
        snapshot, folder, stored(target, target_resources), password=REVIEWER_PASSWORD
    )
    assert restored.held_back == []
