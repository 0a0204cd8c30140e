"""Where stored files' bytes live: a local directory (the default) or an S3-compatible object store.

A backend knows only bytes under a key: put, get, exists, delete, and (where the store supports it) a retention date
until which nobody may delete the bytes. Keys are `<area>/<name>`: `archive/2026/INV-2026-0001-<hash>.pdf` (what was
given out or received and must not change) and `documents/<random name>` (case documents). What a file is, its size
and SHA-256 are the database's (`storage.models.StoredFile`); the rules about them are `storage.files`'.

Every failure of the store (a full disk, a wrong key, a bucket that is missing, an endpoint that does not answer in
time) is a `StorageUnavailable` with a message an administrator can act on; a delete the store refuses because of a
retention lock is a `RetainedFile`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from backoffice.errors import DomainError

AREAS = ("archive", "documents")


class StorageUnavailable(DomainError):
    """The store cannot take or give back a file; the message says what to check."""

    status_code = 503


class RetainedFile(DomainError):
    """A file under legal retention: nobody deletes it before its date."""

    status_code = 409


class MissingFile(DomainError):
    status_code = 404


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str


class Backend(Protocol):
    name: str  # "local" | "s3": what `StoredFile.location` records

    def put(self, key: str, data: bytes, *, retain_until: date | None) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> Health: ...

    def describe(self) -> str: ...


def split_key(key: str) -> tuple[str, str]:
    area, _, name = key.partition("/")
    if area not in AREAS or not name or name.startswith("/") or "\\" in name or ".." in name.split("/"):
        raise StorageUnavailable(f"A stored file's key must be one of {AREAS} and a plain name: {key!r}")
    return area, name


class LocalBackend:
    """One folder per area on this machine's disk: the issued documents' archive (INVOICE_ARCHIVE) and the case
    documents (CASE_DOCUMENTS_DIR). Writes are atomic (temporary file, fsync, rename); a file under retention is made
    read-only, and the app refuses to delete it (`storage.files`)."""

    name = "local"

    def __init__(self, roots: dict[str, Path]):
        self.roots = {area: Path(root).resolve() for area, root in roots.items()}

    def path_of(self, key: str) -> Path:
        area, name = split_key(key)
        root = self.roots[area]
        path = (root / name).resolve()
        if not path.is_relative_to(root) or path == root:
            raise StorageUnavailable(f"A stored file's name points outside its folder: {key!r}")
        return path

    def put(self, key: str, data: bytes, *, retain_until: date | None) -> None:
        path = self.path_of(key)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".storing-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if retain_until is not None:
                    os.chmod(tmp, 0o400)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageUnavailable(
                f"the folder {path.parent} refused the file ({exc.strerror or exc}): check its disk and permissions"
            ) from exc

    def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise MissingFile(f"{key} is missing from {self.roots[split_key(key)[0]]}") from exc
        except OSError as exc:
            raise StorageUnavailable(f"{path} cannot be read ({exc.strerror or exc})") from exc

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path_of(key)
        try:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        except OSError as exc:
            raise StorageUnavailable(f"{path} cannot be removed ({exc.strerror or exc})") from exc

    def check(self) -> Health:
        for area, root in self.roots.items():
            try:
                root.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                return Health(False, f"{area} folder {root}: {exc.strerror or exc}")
            if not os.access(root, os.W_OK):
                return Health(False, f"{area} folder {root} is not writable")
        return Health(True, "local folders")

    def describe(self) -> str:
        return ", ".join(f"{area}: {root}" for area, root in self.roots.items())
