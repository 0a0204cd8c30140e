"""A request about a patient's data: who asked, who confirmed (a second person), where it stands, its result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.languages import N_

KINDS = ("export",)
# requested -> confirmed (by a second person; the job is queued) -> ready (the archive is stored) -> downloaded
# (once; the archive is deleted then); failed (the job's reason) or withdrawn (refused before it ran).
STATUSES = ("requested", "confirmed", "ready", "downloaded", "failed", "withdrawn")
STATUS_LABELS = {
    "requested": N_("Waiting for a second administrator"),
    "confirmed": N_("Being prepared"),
    "ready": N_("Ready to download (once)"),
    "downloaded": N_("Downloaded"),
    "failed": N_("Failed"),
    "withdrawn": N_("Withdrawn"),
}


class DataRequest(db.Model):
    __tablename__ = "data_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('export')", name="kind"),
        CheckConstraint(
            "status IN ('requested', 'confirmed', 'ready', 'downloaded', 'failed', 'withdrawn')", name="status"
        ),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id <> requested_by_id", name="second_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="export")
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)
    # Staff (an administrator) or the patient through the portal.
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    via_portal: Mapped[bool] = mapped_column(default=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The archive in the store (storage key, SHA-256, size) while it waits for its one download.
    file_key: Mapped[str | None] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None]
    contents: Mapped[str] = mapped_column(Text, default="")  # what the archive held: "12 tables, 345 rows, 6 files"
    downloaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")

    patient = relationship("Patient", lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id], lazy="joined")
    downloaded_by = relationship("User", foreign_keys=[downloaded_by_id], lazy="joined")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in ("requested", "confirmed", "ready")
