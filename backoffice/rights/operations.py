"""The rules of a patient's data requests: asked by an administrator or by the patient in the portal, confirmed by a
second person (an administrator other than the one who asked), prepared by a job, downloaded once, all audited."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound, PermissionDenied
from backoffice.extensions import db
from backoffice.jobs.outbox import record_job
from backoffice.jobs.runner import JobSpec, PermanentJobError, TransientJobError, register_job
from backoffice.patients.models import Patient
from backoffice.rights import certificate, erasing, erasure_rules
from backoffice.rights.exporting import build_archive
from backoffice.rights.models import OPEN_STATUSES, DataRequest
from backoffice.storage import files
from backoffice.storage.archive import ArchiveError
from backoffice.storage.backends import MissingFile, StorageUnavailable
from backoffice.trail import record_event

SEARCH_LIMIT = 20  # patients found by the administrators' search
EXPORT_JOB = "rights.export"
ERASE_JOB = "rights.erase"
JOBS = {"export": EXPORT_JOB, "erasure": ERASE_JOB}


class RequestRefused(DomainError):
    pass


def _record(request: DataRequest, action: str, actor_id: int | None, **details) -> None:
    record_event(
        f"data_request.{action}",
        actor_id=actor_id,
        object_type="patient",
        object_id=request.patient_id,
        details={"request_id": request.id, "kind": request.kind, **details},
    )


def get_request(request_id: int) -> DataRequest:
    request = db.session.get(DataRequest, request_id)
    if request is None:
        raise NotFound(_("There is no such data request."))
    return request


def get_patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(_("There is no such patient."))
    return patient


def erasure_refusals(patient: Patient) -> list[str]:
    """Why the patient's data may not be erased now (none for one already erased: nothing is left to ask)."""
    return [] if patient.is_erased else erasure_rules.refusals(patient.id)


def find_patients(search: str) -> list[Patient]:
    """The patients whose name or e-mail holds `search` (case-insensitive), by name; at most SEARCH_LIMIT."""
    term = search.lower()
    return list(
        db.session.scalars(
            select(Patient)
            .where(
                or_(
                    func.lower(Patient.name).contains(term, autoescape=True),
                    func.lower(Patient.email).contains(term, autoescape=True),
                )
            )
            .order_by(Patient.name, Patient.id)
            .limit(SEARCH_LIMIT)
        )
    )


def erased_request(request_id: int) -> DataRequest:
    """An erasure that is done (its certificate exists)."""
    request = get_request(request_id)
    if request.kind != "erasure" or request.status != "erased" or not request.certificate:
        raise NotFound(_("There is no certificate for this request: it is not a finished erasure."))
    return request


def certificate_pdf_of(request_id: int) -> tuple[bytes, DataRequest]:
    """A finished erasure's certificate PDF, as kept when the erasure ended."""
    request = erased_request(request_id)
    if not request.file_key or not request.file_sha256:
        raise NotFound(_("The PDF of this certificate is not kept."))
    return certificate.kept_pdf(request), request


def list_requests(*, patient_id: int | None = None, kind: str | None = None) -> list[DataRequest]:
    query = select(DataRequest).order_by(DataRequest.requested_at.desc(), DataRequest.id.desc())
    if patient_id is not None:
        query = query.where(DataRequest.patient_id == patient_id)
    if kind is not None:
        query = query.where(DataRequest.kind == kind)
    return list(db.session.scalars(query.limit(200)))


def open_request(patient_id: int) -> DataRequest | None:
    return db.session.scalar(
        select(DataRequest).where(DataRequest.patient_id == patient_id, DataRequest.status.in_(OPEN_STATUSES))
    )


def request_export(patient_id: int, *, actor_id: int, via_portal: bool = False) -> DataRequest:
    """Ask for a copy of a patient's data; one open request per patient at a time."""
    patient = get_patient(patient_id)
    pending = open_request(patient_id)
    if (pending is not None and pending.kind == "erasure") or patient.is_erased:
        raise RequestRefused(_("This patient's data is being erased or was erased; no copy can be made."))
    if pending is not None:
        raise RequestRefused(_("A copy of this patient's data is already requested; it is on its way."))
    request = DataRequest(patient_id=patient_id, kind="export", requested_by_id=actor_id, via_portal=via_portal)
    db.session.add(request)
    db.session.flush()
    _record(request, "requested", actor_id, via_portal=via_portal)
    return request


def request_erasure(patient_id: int, *, actor_id: int) -> DataRequest:
    """Ask to erase a patient's data; refused, with every reason, while a case runs or money is open."""
    patient = get_patient(patient_id)
    if patient.is_erased:
        raise RequestRefused(_("This patient's data is already erased."))
    if open_request(patient_id) is not None:
        raise RequestRefused(_("Another request about this patient's data is open; finish or withdraw it first."))
    reasons = erasure_rules.refusals(patient_id)
    if reasons:
        raise RequestRefused(_("The patient's data cannot be erased yet: %(reasons)s", reasons=" ".join(reasons)))
    request = DataRequest(patient_id=patient_id, kind="erasure", requested_by_id=actor_id)
    db.session.add(request)
    db.session.flush()
    _record(request, "requested", actor_id)
    return request


def confirm(request_id: int, *, actor_id: int) -> DataRequest:
    """The second person's confirmation; the export or erasure job is queued with it."""
    request = get_request(request_id)
    if request.status != "requested":
        raise RequestRefused(_("This request is not waiting for a confirmation."))
    if request.requested_by_id == actor_id:
        raise PermissionDenied(
            _("A second administrator must confirm this request: you asked for it yourself."),
            trace={
                "action": "data_request.confirmation_refused",
                "actor_id": actor_id,
                "object_type": "patient",
                "object_id": request.patient_id,
                "details": {"request_id": request.id, "reason": "same person"},
            },
        )
    if request.kind == "erasure":
        reasons = erasure_rules.refusals(request.patient_id)
        if reasons:
            raise RequestRefused(_("The patient's data cannot be erased yet: %(reasons)s", reasons=" ".join(reasons)))
    request.status, request.confirmed_by_id, request.confirmed_at = "confirmed", actor_id, utcnow()
    db.session.flush()
    job = JOBS[request.kind]
    record_job(job, {"request_id": request.id}, key=f"{job}:{request.id}")
    _record(request, "confirmed", actor_id)
    return request


def resume_erasure(request_id: int, *, actor_id: int) -> DataRequest:
    """An erasure that stopped (its job gave up) runs again from the step after the last one done."""
    request = get_request(request_id)
    if request.kind != "erasure" or request.status != "failed":
        raise RequestRefused(_("Only an erasure that stopped can be resumed."))
    request.status, request.error, request.finished_at = "erasing", "", None
    attempt = len((request.certificate or {}).get("resumed", [])) + 1
    request.certificate = {
        **(request.certificate or {}),
        "resumed": [*(request.certificate or {}).get("resumed", []), utcnow().isoformat(timespec="seconds")],
    }
    db.session.flush()
    record_job(ERASE_JOB, {"request_id": request.id}, key=f"{ERASE_JOB}:{request.id}:resumed-{attempt}")
    _record(request, "resumed", actor_id, after_step=request.step)
    return request


def erase(request_id: int) -> None:
    """The job: each step left in its own commit, then the certificate (`erasing` says what each step does)."""
    request = db.session.get(DataRequest, request_id)
    if request is None or request.kind != "erasure":
        raise PermanentJobError(f"erasure request {request_id} does not exist")
    if request.status not in ("confirmed", "erasing"):
        return  # erased already, or withdrawn
    patient = db.session.get(Patient, request.patient_id)
    if request.status == "confirmed":
        request.status = "erasing"
        if patient.pseudonym is None:
            patient.pseudonym = erasing.pseudonym()
        db.session.commit()
    for step, work in erasing.steps_left(request):
        try:
            counts = work(request, patient)
        except erasing.ErasureRefused as exc:
            db.session.rollback()
            raise PermanentJobError(" ".join(exc.reasons)) from exc
        except StorageUnavailable as exc:
            db.session.rollback()
            raise TransientJobError(f"{step}: {exc.message}") from exc
        erasing.note(request, step, **counts)
        db.session.commit()
    patient.erased_at = patient.erased_at or utcnow()
    request.certificate = certificate.summarise(request, patient)
    try:
        certificate.keep_pdf(request)
    except ArchiveError as exc:
        db.session.rollback()
        raise TransientJobError(f"certificate: {exc.message}") from exc
    request.status, request.finished_at = "erased", utcnow()
    _record(request, "erased", None, delete_on=request.delete_on.isoformat() if request.delete_on else None)
    db.session.commit()


def withdraw(request_id: int, *, actor_id: int) -> DataRequest:
    request = get_request(request_id)
    if request.status != "requested":
        raise RequestRefused(_("Only a request still waiting for its confirmation can be withdrawn."))
    request.status, request.finished_at = "withdrawn", utcnow()
    _record(request, "withdrawn", actor_id)
    return request


def prepare_export(request_id: int) -> None:
    """The job: build the archive, keep it in the store, mark the request ready (one commit)."""
    request = db.session.get(DataRequest, request_id)
    if request is None:
        raise PermanentJobError(f"data request {request_id} does not exist")
    if request.status != "confirmed":
        return  # already prepared, withdrawn or downloaded: nothing to do
    made_at = utcnow()
    try:
        archive = build_archive(request.patient_id, made_at=made_at)
        key = f"documents/exports/{secrets.token_hex(16)}.zip"
        stored = files.put(key, archive.data, kind="export", dated=made_at.date())
    except StorageUnavailable as exc:
        db.session.rollback()
        raise TransientJobError(exc.message) from exc
    request.file_key, request.file_sha256, request.file_size = key, stored.sha256, stored.size
    request.contents = archive.contents
    request.certificate = {
        "archive": {"tables": archive.tables, "rows": archive.rows, "files": archive.files, "missing": archive.missing}
    }
    request.status, request.finished_at = "ready", utcnow()
    _record(request, "prepared", None, contents=archive.contents, sha256=stored.sha256, size=stored.size)
    db.session.commit()


def request_failed(args: dict, reason: str) -> None:
    """A job that gave up: the request says why (an erasure keeps its step, to resume from)."""
    request = db.session.get(DataRequest, args.get("request_id"))
    if request is not None and request.status in ("confirmed", "erasing"):
        request.status, request.error, request.finished_at = "failed", reason[:2000], utcnow()
        _record(request, "failed", None, reason=reason[:500])
        db.session.commit()


def download_once(request_id: int, *, actor_id: int) -> tuple[bytes, DataRequest]:
    """The archive, given out once: afterwards its bytes are deleted and the request says who downloaded it when."""
    request = get_request(request_id)
    if request.status == "downloaded":
        raise RequestRefused(
            _("This copy was already downloaded; ask for a new one if it is needed again."),
        )
    if request.status != "ready" or not request.file_key or not request.file_sha256:
        raise RequestRefused(_("This copy is not ready yet."))
    try:
        data = files.read(request.file_key, request.file_sha256)
    except MissingFile as exc:
        raise RequestRefused(_("The prepared copy is missing from the store; ask for a new one.")) from exc
    files.delete(request.file_key, today=utcnow().date())
    request.status, request.downloaded_by_id, request.downloaded_at = "downloaded", actor_id, utcnow()
    _record(request, "downloaded", actor_id, sha256=request.file_sha256, size=request.file_size)
    return data, request


register_job(EXPORT_JOB, JobSpec(f"{__name__}:prepare_export", f"{__name__}:request_failed"))
register_job(ERASE_JOB, JobSpec(f"{__name__}:erase", f"{__name__}:request_failed"))
