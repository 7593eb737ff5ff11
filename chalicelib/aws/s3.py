"""S3 adapter: document page bytes, and case contexts too large for the case item."""

from __future__ import annotations

import functools
from typing import Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

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

    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A browser upload of one object at `key`, at most `max_bytes` (enforced by S3 in the
        cloud; the caller checks the stored bytes again)."""
        post: dict[str, Any] = s3_client().generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"x-amz-server-side-encryption": "AES256"},
            Conditions=[
                ["content-length-range", 1, max_bytes],
                {"x-amz-server-side-encryption": "AES256"},
            ],
            ExpiresIn=expires_in,
        )
        return post

    def object_size(self, key: str) -> int | None:
        try:
            head = s3_client().head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def read_head(self, key: str, length: int) -> bytes:
        response = s3_client().get_object(
            Bucket=self._bucket, Key=key, Range=f"bytes=0-{length - 1}"
        )
        return cast(bytes, response["Body"].read())
