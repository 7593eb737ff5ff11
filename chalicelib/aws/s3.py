"""S3 adapter: document page bytes, and case contexts too large for the case item."""

from __future__ import annotations

import functools
from typing import Any, cast

import boto3
from botocore.config import Config

from chalicelib.caches import register


@register
@functools.cache
def s3_client() -> Any:
    # SigV4 is required for presigned URLs in every region and for SSE-KMS objects.
    return boto3.client("s3", config=Config(signature_version="s3v4"))


class S3DocumentStorage:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def put_page(self, key: str, content: bytes, content_type: str) -> None:
        self.put_object(key, content, content_type)

    def get_page(self, key: str) -> bytes:
        return self.get_object(key)

    def put_object(self, key: str, content: bytes, content_type: str) -> None:
        s3_client().put_object(
            Bucket=self._bucket,
            Key=key,
            Body=content,
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )

    def get_object(self, key: str) -> bytes:
        return cast(bytes, s3_client().get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def presigned_url(self, key: str, *, expires_in: int = 300) -> str:
        url: str = s3_client().generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url
