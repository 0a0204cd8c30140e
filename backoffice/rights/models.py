"""A request about a patient's data: who asked, who confirmed (a second person), where it stands, its result."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.languages import N_

KINDS = ("export", "erasure")
# Export: requested -> confirmed (by a second person; the job is queued) -> ready (the archive is stored) ->
# downloaded (once; the archive is deleted then). Erasure: requested -> confirmed -> erasing (the job's steps, `step`
# saying where it stands) -> erased (the certificate written). Either may end failed (the job's reason; an erasure
# resumes from its step when confirmed again) or withdrawn (before it ran).
STATUSES = ("requested", "confirmed", "ready", "downloaded", "erasing", "erased", "failed", "withdrawn")
OPEN_STATUSES = ("requested", "confirmed", "ready", "erasing")
# How the portal tells the patient where their request for a copy stands.
PORTAL_LABELS = {"downloaded": N_("done"), "withdrawn": N_("withdrawn"), "failed": N_("withdrawn")}
KIND_LABELS = {"export": N_("Copy of the data"), "erasure": N_("Erasure")}
# An erasure's steps (`rights.erasing.STEPS`), as the requests list names the last one done.
STEP_LABELS = {
    "": N_("none yet"),
    "checked": N_("checked"),
    "restricted": N_("records for the tax law restricted"),
    "files_deleted": N_("files deleted"),
    "records_deleted": N_("records deleted"),
    "portal_closed": N_("portal account closed"),
    "pseudonymised": N_("pseudonymised"),
}
STATUS_LABELS = {
    "requested": N_("Waiting for a second administrator"),
    "confirmed": N_("Being prepared"),
    "ready": N_("Ready to download (once)"),
    "downloaded": N_("Downloaded"),
    "erasing": N_("Being erased"),
    "erased": N_("Erased"),
    "failed": N_("Failed"),
    "withdrawn": N_("Withdrawn"),
}


class DataRequest(db.Model):
    __tablename__ = "data_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
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
    # A copy: its archive in the store (storage key, SHA-256, size) while it waits for its one download. An erasure:
    # its certificate's PDF, kept as a letter given out.
    file_key: Mapped[str | None] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None]
    contents: Mapped[str] = mapped_column(Text, default="")  # what the archive held: "12 tables, 345 rows, 6 files"
    downloaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")
    # Erasure: the last step done (`rights.erasing.STEPS`; "" before the first), the certificate once erased (what was
    # erased, pseudonymised, restricted and kept, and why), and the day the restricted records go (retention's end).
    # A copy: `certificate["archive"]` counts what the archive held (tables, rows, files, missing), shown translated.
    step: Mapped[str] = mapped_column(String(30), default="", server_default="")
    certificate: Mapped[dict | None] = mapped_column(JSON)
    delete_on: Mapped[date | None]

    patient = relationship("Patient", lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id], lazy="joined")
    downloaded_by = relationship("User", foreign_keys=[downloaded_by_id], lazy="joined")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def portal_status_label(self) -> str:
        return PORTAL_LABELS.get(self.status, N_("in preparation"))

    @property
    def summary(self) -> dict:
        """What the request's list shows of its result, as numbers (the page words them in its language): a copy's
        archive, or an erasure's counts; empty before there is a result."""
        content = self.certificate or {}
        if self.kind == "export":
            return dict(content.get("archive") or {})
        if "erased" not in content:
            return {}
        return {
            "erased": sum(content["erased"].values()),
            "restricted": sum(item["count"] for item in content.get("restricted") or []),
            "delete_on": self.delete_on,
        }

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def step_label(self) -> str:
        return STEP_LABELS.get(self.step, self.step)


RESTRICTED_KINDS = {
    "invoice": N_("Invoice"),
    "credit_note": N_("Credit note"),
    "payment": N_("Payment"),
    "payment_reminder": N_("Payment reminder"),
    "offer": N_("Offer"),
    "hospital_bill": N_("Hospital bill"),
    "supplier_invoice": N_("Supplier invoice"),
    "letter": N_("Letter sent"),
}


class RestrictedRecord(db.Model):
    """A record the tax law keeps after its patient's erasure: finance only, in no list or search, deleted (row and
    file) by the retention job once `delete_on` of its erasure has passed."""

    __tablename__ = "restricted_records"
    __table_args__ = (
        UniqueConstraint("table_name", "row_id", name="uq_restricted_records_one_per_row"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in RESTRICTED_KINDS)})", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int]
    reference: Mapped[str] = mapped_column(String(120), default="")  # its number, or its file's name
    dated: Mapped[date]  # the document's own date, from which its retention counts
    retain_until: Mapped[date]  # its own legal end (31 December, N years after its year)
    reason: Mapped[str] = mapped_column(String(120))  # the law that keeps it
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def portal_status_label(self) -> str:
        return PORTAL_LABELS.get(self.status, N_("in preparation"))

    @property
    def kind_label(self) -> str:
        return RESTRICTED_KINDS[self.kind]
