"""The record of every stored file: where its bytes are, what they are, how long the law keeps them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

LOCATIONS = ("local", "s3")


class StoredFile(db.Model):
    """One file's bytes in the store, named by its key (`archive/...` or `documents/...`).

    `retain_until`: the last day of its legal retention (None: no legal period; it may be deleted when its record
    is). `location`: which backend holds the bytes now (`flask storage move` changes it, one file at a time).
    `deleted_at`: its bytes were deleted (its retention ended, or a patient's erasure); the row stays as the record.
    """

    __tablename__ = "stored_files"
    __table_args__ = (
        UniqueConstraint("key", name="uq_stored_files_key"),
        CheckConstraint("location IN ('local', 's3')", name="location"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(10), default="local", server_default="local")
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retain_until: Mapped[date | None] = mapped_column(Date, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<StoredFile {self.key} {self.location}>"
