"""Stored files in an S3-compatible object store: `STORAGE_URL=s3://bucket/prefix`, `S3_ENDPOINT_URL` for a store
other than AWS, credentials and region from the usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION) or the machine's role.

Every call has a connect and a read timeout (STORAGE_TIMEOUT_SECONDS) and at most two attempts, so no request waits
forever for a store that went away. A file under retention is written with Object Lock in compliance mode until the
end of its day of release, when the bucket has Object Lock enabled; then not even the bucket's owner deletes it
early. A delete removes every version of the key (a versioned bucket would otherwise only hide it).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from backoffice.storage.backends import Health, MissingFile, RetainedFile, StorageUnavailable

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
REFUSED_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "AccessDenied", "403"}


def parse_storage_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("STORAGE_URL must be s3://bucket or s3://bucket/prefix (or empty for the local folders)")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


class S3Backend:
    name = "s3"

    def __init__(self, url: str, *, endpoint_url: str = "", timeout_seconds: float = 10.0):
        self.bucket, self.prefix = parse_storage_url(url)
        self.endpoint_url = endpoint_url or None
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            config=Config(
                connect_timeout=timeout_seconds,
                read_timeout=timeout_seconds,
                retries={"max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
            ),
        )
        self._object_lock: bool | None = None

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _failure(self, exc: Exception, doing: str) -> StorageUnavailable:
        return StorageUnavailable(f"the object store {self.describe()} could not {doing}: {explain(exc)}")

    def object_lock_enabled(self) -> bool:
        """Whether the bucket keeps files under Object Lock (asked once per process)."""
        if self._object_lock is None:
            try:
                answer = self.client.get_object_lock_configuration(Bucket=self.bucket)
                enabled = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            except ClientError as exc:
                if error_code(exc) not in {"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"}:
                    raise self._failure(exc, "say whether it keeps Object Lock") from exc
                enabled = False
            except BotoCoreError as exc:
                raise self._failure(exc, "say whether it keeps Object Lock") from exc
            self._object_lock = enabled
        return self._object_lock

    def put(self, key: str, data: bytes, *, retain_until: date | None) -> None:
        arguments = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "Body": data,
            "ContentMD5": base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
        }
        if retain_until is not None and self.object_lock_enabled():
            arguments["ObjectLockMode"] = "COMPLIANCE"
            arguments["ObjectLockRetainUntilDate"] = datetime.combine(retain_until + timedelta(days=1), time(), UTC)
        try:
            self.client.put_object(**arguments)
        except (BotoCoreError, ClientError) as exc:
            raise self._failure(exc, f"take {key}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND:
                raise MissingFile(f"{key} is missing from the object store {self.describe()}") from exc
            raise self._failure(exc, f"give back {key}") from exc
        except BotoCoreError as exc:
            raise self._failure(exc, f"give back {key}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND:
                return False
            raise self._failure(exc, f"look up {key}") from exc
        except BotoCoreError as exc:
            raise self._failure(exc, f"look up {key}") from exc

    def delete(self, key: str) -> None:
        full = self._key(key)
        try:
            listing = self.client.list_object_versions(Bucket=self.bucket, Prefix=full)
            versions = [
                item["VersionId"]
                for item in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
                if item["Key"] == full
            ]
            for version in versions or [None]:
                extra = {"VersionId": version} if version and version != "null" else {}
                self.client.delete_object(Bucket=self.bucket, Key=full, **extra)
        except ClientError as exc:
            if error_code(exc) in {"AccessDenied", "403"}:
                raise RetainedFile(f"the object store keeps {key} under retention; it cannot be deleted yet") from exc
            raise self._failure(exc, f"delete {key}") from exc
        except BotoCoreError as exc:
            raise self._failure(exc, f"delete {key}") from exc

    def presigned_url(self, key: str, *, seconds: int, filename: str, content_type: str) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=seconds,
        )

    def check(self) -> Health:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            return Health(False, explain(exc))
        return Health(True, f"bucket {self.bucket}")

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def explain(exc: Exception) -> str:
    """What an administrator should check, in one line."""
    if isinstance(exc, NoCredentialsError):
        return "no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in {"NoSuchBucket", "404"}:
            return "the bucket does not exist"
        if code in REFUSED_CREDENTIALS:
            return f"the credentials were refused ({code})"
        return f"{code or 'error'}: {exc.response.get('Error', {}).get('Message', '')}".strip()
    if isinstance(exc, BotoCoreError):
        return f"the endpoint did not answer ({type(exc).__name__})"
    return str(exc)
