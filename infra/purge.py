"""Deletes the data a destroyed stage retained: `make destroy STAGE=... PURGE_DATA=yes`.

Reads `<resource type>\\t<physical id>` lines on stdin (what `infra/destroy.sh` lists before
deleting the stack) and deletes each table, user pool and bucket (every object version first,
since the documents bucket is versioned). This cannot be undone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import boto3


def purge_bucket(name: str) -> None:
    bucket = boto3.resource("s3").Bucket(name)
    bucket.object_versions.delete()
    bucket.delete()


def purge(lines: Iterable[str]) -> None:
    for line in lines:
        if not line.strip():
            continue
        kind, physical_id = line.split(maxsplit=1)
        physical_id = physical_id.strip()
        if kind == "AWS::DynamoDB::Table":
            boto3.client("dynamodb").delete_table(TableName=physical_id)
        elif kind == "AWS::Cognito::UserPool":
            boto3.client("cognito-idp").delete_user_pool(UserPoolId=physical_id)
        elif kind == "AWS::S3::Bucket":
            purge_bucket(physical_id)
        else:
            raise ValueError(f"not a retained resource type: {kind}")
        print(f"deleted {kind} {physical_id}")


if __name__ == "__main__":
    purge(sys.stdin)
