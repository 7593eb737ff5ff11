"""The local stack's data folder: its tables, documents and reviewer accounts survive a restart.

moto keeps everything in memory, and neither queues nor Step Functions executions can be
exported, so the stack saves the facts and re-derives the rest: the tables, the bucket's
objects and the Cognito users are saved on shutdown and every few seconds (a crash loses at
most that much), restored on start, and the reconciler (`chalicelib/reconciler.py`) re-drives
what was in flight. Layout of the folder (default `.local-data/`, `LOCAL_DATA_DIR` overrides):

    snapshot/meta.json          generation, when the save began, counts (the save marker)
    snapshot/tables/<logical id>.jsonl  every item of a table, in DynamoDB's JSON
    snapshot/objects.json       bucket key -> content hash, type, metadata
    snapshot/users.json         Cognito users: attributes (with their `sub`), groups, enabled
    snapshot/outbox.json        audit records not yet published when the snapshot was taken
    blobs/<sha256>              object contents, shared by snapshots
    published-<generation>.log  ids of events published since that snapshot began

The outbox: tables are loaded with their streams off, so restored audit records are not
published again. An audit record that was in the table but not yet through the stream when
the snapshot was taken is listed in `outbox.json`; on restore it is held back and written once
the stream is on (so it is published exactly then), unless the published logs show it went out
after the snapshot was taken.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from chalicelib.aws.dynamodb import audit_record_from_stream_image

log = logging.getLogger("local.persistence")

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "LOCAL_DATA_DIR"
SAVE_SECONDS_ENV = "LOCAL_SAVE_SECONDS"
DEFAULT_SAVE_SECONDS = 2.0
BATCH_WRITE_SIZE = 25  # DynamoDB's limit per BatchWriteItem


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or PROJECT_DIR / ".local-data").resolve()


def save_interval() -> float:
    return float(os.environ.get(SAVE_SECONDS_ENV) or DEFAULT_SAVE_SECONDS)


@dataclass(frozen=True)
class Snapshot:
    path: Path

    @property
    def meta(self) -> dict[str, Any]:
        return dict(json.loads((self.path / "meta.json").read_text()))

    def read(self, name: str) -> Any:
        return json.loads((self.path / name).read_text())

    def table_items(self, table: str) -> Iterator[dict[str, Any]]:
        path = self.path / "tables" / f"{table}.jsonl"
        if path.exists():
            with path.open() as lines:
                for line in lines:
                    yield json.loads(line)


class DataFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"

    @property
    def _current(self) -> Path:
        return self.root / "snapshot"

    @property
    def _previous(self) -> Path:
        return self.root / "snapshot.old"

    def latest(self) -> Snapshot | None:
        """The last complete snapshot (a save cut off between its two renames left the one
        before it in `snapshot.old`)."""
        for path in (self._current, self._previous):
            if (path / "meta.json").exists():
                return Snapshot(path)
        return None

    def published_log(self, generation: int) -> Path:
        return self.root / f"published-{generation}.log"

    def published_since(self, generation: int) -> set[str]:
        ids: set[str] = set()
        for path in self.root.glob("published-*.log"):
            if int(path.stem.rsplit("-", 1)[1]) >= generation:
                ids.update(line for line in path.read_text().splitlines() if line)
        return ids

    def commit(self, staged: Path, generation: int) -> None:
        if self._current.exists():
            if self._previous.exists():
                shutil.rmtree(self._previous)
            self._current.rename(self._previous)
        staged.rename(self._current)
        shutil.rmtree(self._previous, ignore_errors=True)
        for path in self.root.glob("published-*.log"):
            if int(path.stem.rsplit("-", 1)[1]) < generation:
                path.unlink(missing_ok=True)

    def put_blob(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.blobs / digest
        if not target.exists():
            self.blobs.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(content)
            partial.rename(target)
        return digest

    def prune_blobs(self, keep: set[str]) -> None:
        if self.blobs.exists():
            for path in self.blobs.iterdir():
                if path.name not in keep:
                    path.unlink(missing_ok=True)


def _audit_event_id(image: dict[str, Any]) -> str | None:
    if image.get("recordType", {}).get("S") != "audit":
        return None
    record = audit_record_from_stream_image(image)
    return record.event_id if record else None


def read_stream(
    client: Callable[[str], Any], stream_arn: str, after: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of the stream (after the sequence number `after`) up to its end now."""
    streams = client("dynamodbstreams")
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        start: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], **start
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not response.get("Records"):
                break
            yield from response["Records"]
            iterator = response.get("NextShardIterator")


@dataclass
class StoredResources:
    """Where the data lives in local AWS (names and ARNs from the provisioner)."""

    tables: dict[str, str]  # logical id (infra/resources.py) -> table name
    streams: dict[str, str]  # table name -> stream ARN (the tables whose stream is the outbox)
    bucket: str
    user_pool_id: str
    region: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)


@dataclass
class Saver:
    """Saves a snapshot every `interval` seconds and on `stop`. The pump reports each stream
    record the outbox publisher has handled (`record_published`), so a snapshot knows which of
    its audit records were not published yet."""

    folder: DataFolder
    resources: StoredResources
    generation: int = 0
    interval: float = DEFAULT_SAVE_SECONDS
    # A counter that moves whenever something may have been written (requests, consumer runs):
    # a periodic save is skipped while it stands still.
    activity: Callable[[], int] | None = None
    _last_activity: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _save_lock: threading.Lock = field(default_factory=threading.Lock)
    _positions: dict[str, str] = field(default_factory=dict)
    _log: Path | None = None
    _objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.folder.root.mkdir(parents=True, exist_ok=True)
        self._log = self.folder.published_log(self.generation + 1)

    # -- the pump's hook ------------------------------------------------------------------------
    def record_published(self, stream_arn: str, records: list[dict[str, Any]]) -> None:
        ids = [
            event_id
            for record in records
            if record.get("eventName") == "INSERT"
            and (event_id := _audit_event_id(record["dynamodb"].get("NewImage") or {}))
        ]
        with self._lock:
            if ids and self._log is not None:
                with self._log.open("a") as published:
                    published.write("".join(f"{i}\n" for i in ids))
            self._positions[stream_arn] = records[-1]["dynamodb"]["SequenceNumber"]

    # -- saving -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="saver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self.save()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.activity is not None:
                seen = self.activity()
                if seen == self._last_activity:
                    continue
                self._last_activity = seen
            try:
                self.save()
            except Exception:
                log.exception("saving the local data failed; trying again")

    def save(self) -> dict[str, Any]:
        with self._save_lock:
            began = time.time()  # the snapshot holds every write acknowledged before this
            generation = self.generation + 1
            with self._lock:
                # From here, what the pump publishes is logged against this snapshot.
                self._log = self.folder.published_log(generation)
                positions = dict(self._positions)
            staged = self.folder.root / f"snapshot.tmp-{generation}"
            shutil.rmtree(staged, ignore_errors=True)
            (staged / "tables").mkdir(parents=True)
            counts: dict[str, int] = {}
            keys: set[tuple[str, str]] = set()
            for logical_id, table in self.resources.tables.items():
                counts[logical_id] = self._save_table(logical_id, table, staged, keys)
            outbox = self._unpublished(positions, keys)
            (staged / "outbox.json").write_text(json.dumps(outbox))
            objects = self._save_objects()
            (staged / "objects.json").write_text(json.dumps(objects))
            users = self._save_users()
            (staged / "users.json").write_text(json.dumps(users))
            meta = {
                "generation": generation,
                "savedAt": began,
                "savedAtIso": datetime.fromtimestamp(began, UTC).isoformat(),
                "seconds": round(time.time() - began, 3),
                "items": counts,
                "objects": len(objects),
                "users": len(users),
                "unpublished": len(outbox),
            }
            (staged / "meta.json").write_text(json.dumps(meta, indent=2))
            self.folder.commit(staged, generation)
            self.folder.prune_blobs({o["sha256"] for o in objects.values()})
            self.generation = generation
            return meta

    def _save_table(
        self, logical_id: str, table: str, staged: Path, keys: set[tuple[str, str]]
    ) -> int:
        count = 0
        paginator = self.resources.client("dynamodb").get_paginator("scan")
        with (staged / "tables" / f"{logical_id}.jsonl").open("w") as out:
            for page in paginator.paginate(TableName=table):
                for item in page.get("Items", []):
                    out.write(json.dumps(item, separators=(",", ":")) + "\n")
                    if "pk" in item and "sk" in item:
                        keys.add((item["pk"].get("S", ""), item["sk"].get("S", "")))
                    count += 1
        return count

    def _unpublished(
        self, positions: dict[str, str], keys: set[tuple[str, str]]
    ) -> list[dict[str, str]]:
        """Audit records in the snapshot that the stream had not handed on at its start."""
        found: list[dict[str, str]] = []
        for stream_arn in self.resources.streams.values():
            for record in read_stream(self.resources.client, stream_arn, positions.get(stream_arn)):
                image = record["dynamodb"].get("NewImage") or {}
                event_id = _audit_event_id(image)
                key = (image.get("pk", {}).get("S", ""), image.get("sk", {}).get("S", ""))
                if record["eventName"] == "INSERT" and event_id and key in keys:
                    found.append({"pk": key[0], "sk": key[1], "eventId": event_id})
        return found

    def _save_objects(self) -> dict[str, dict[str, Any]]:
        """Only objects new since the last save are read (an object's ETag changes with it)."""
        s3 = self.resources.client("s3")
        objects: dict[str, dict[str, Any]] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.resources.bucket):
            for summary in page.get("Contents", []):
                key, etag = summary["Key"], summary["ETag"]
                stored = self._objects.get((key, etag))
                if stored is None:
                    got = s3.get_object(Bucket=self.resources.bucket, Key=key)
                    stored = {
                        "sha256": self.folder.put_blob(got["Body"].read()),
                        "contentType": got.get("ContentType", "binary/octet-stream"),
                        "metadata": got.get("Metadata", {}),
                    }
                    self._objects[(key, etag)] = stored
                objects[key] = stored
        return objects

    def _save_users(self) -> list[dict[str, Any]]:
        cognito = self.resources.client("cognito-idp")
        users = []
        for page in cognito.get_paginator("list_users").paginate(
            UserPoolId=self.resources.user_pool_id
        ):
            for user in page.get("Users", []):
                groups = cognito.admin_list_groups_for_user(
                    UserPoolId=self.resources.user_pool_id, Username=user["Username"]
                )["Groups"]
                users.append(
                    {
                        "attributes": user.get("Attributes", []),
                        "enabled": user.get("Enabled", True),
                        "groups": sorted(g["GroupName"] for g in groups),
                    }
                )
        return users


# -- restoring ------------------------------------------------------------------------------------
@dataclass
class Restored:
    generation: int
    held_back: list[dict[str, Any]]  # unpublished audit items, to be written once streams are on
    counts: dict[str, int]


def restore(
    snapshot: Snapshot,
    folder: DataFolder,
    resources: StoredResources,
    *,
    password: str,
) -> Restored:
    """Load a snapshot into freshly provisioned resources whose streams are still off.
    Cognito cannot export passwords: restored users get the local reviewer password."""
    meta = snapshot.meta
    published = folder.published_since(meta["generation"])
    unpublished = {
        (o["pk"], o["sk"]) for o in snapshot.read("outbox.json") if o["eventId"] not in published
    }
    held_back: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    dynamodb = resources.client("dynamodb")
    for logical_id, table in resources.tables.items():
        batch: list[dict[str, Any]] = []
        counts[logical_id] = 0
        for item in snapshot.table_items(logical_id):
            key = (item.get("pk", {}).get("S"), item.get("sk", {}).get("S"))
            if key in unpublished:
                held_back.append({"table": table, "item": item})
                continue
            batch.append({"PutRequest": {"Item": item}})
            counts[logical_id] += 1
            if len(batch) == BATCH_WRITE_SIZE:
                _batch_write(dynamodb, table, batch)
                batch = []
        if batch:
            _batch_write(dynamodb, table, batch)
    s3 = resources.client("s3")
    objects = snapshot.read("objects.json")
    for key, stored in objects.items():
        s3.put_object(
            Bucket=resources.bucket,
            Key=key,
            Body=(folder.blobs / stored["sha256"]).read_bytes(),
            ContentType=stored["contentType"],
            Metadata=stored["metadata"],
        )
    counts["objects"] = len(objects)
    counts["users"] = _restore_users(resources, snapshot.read("users.json"), password)
    return Restored(generation=meta["generation"], held_back=held_back, counts=counts)


def _batch_write(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = {table: requests}
    while pending:
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _restore_users(resources: StoredResources, users: list[dict[str, Any]], password: str) -> int:
    cognito = resources.client("cognito-idp")
    pool = resources.user_pool_id
    for user in users:
        attributes = {a["Name"]: a["Value"] for a in user["attributes"]}
        email = attributes["email"]
        # `sub` is kept by local/moto_patches.keep_given_cognito_sub: the reviewer id stays.
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
        )
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=email, Password=password, Permanent=True
        )
        for group in user["groups"]:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
        if not user["enabled"]:
            cognito.admin_disable_user(UserPoolId=pool, Username=email)
    return len(users)


def publish_held_back(resources: StoredResources, held_back: list[dict[str, Any]]) -> None:
    """Write the unpublished audit records now that the streams are on: the outbox publishes
    each of them once."""
    dynamodb = resources.client("dynamodb")
    for entry in held_back:
        dynamodb.put_item(TableName=entry["table"], Item=entry["item"])


def after_restore(
    reconcile: Callable[[], Any], resources: StoredResources, held_back: list[dict[str, Any]]
) -> threading.Thread:
    """In the background, so the stack serves at once: reconcile first (every execution is
    back before a held-back `case.created` could start one), then publish what was held."""

    def run() -> None:
        try:
            report = reconcile()
            log.warning("reconciled after restore: %s", json.dumps(report, sort_keys=True))
        except Exception:
            log.exception("reconciling after restore failed")
        publish_held_back(resources, held_back)

    thread = threading.Thread(target=run, name="reconcile", daemon=True)
    thread.start()
    return thread
