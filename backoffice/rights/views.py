"""The administrators' pages of the patients' data requests: find a patient, ask for a copy of their data, confirm
a colleague's (or the patient's) request, download the prepared copy once."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import ADMINISTRATORS, roles_required
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.forms import ConfirmForm
from backoffice.jobs.outbox import kick
from backoffice.rights import bp, operations
from backoffice.rights.certificate import printed
from backoffice.transactions import commit_change


@bp.route("/data-requests")
@roles_required(*ADMINISTRATORS)
def list_requests():
    search = request.args.get("q", "").strip()[:100]
    found = operations.find_patients(search) if search else []
    return render_template(
        "rights/requests.html", requests=operations.list_requests(), search=search, found=found, form=ConfirmForm()
    )


@bp.route("/patients/<int:patient_id>/data")
@roles_required(*ADMINISTRATORS)
def patient_data(patient_id: int, status: int = 200):
    patient = operations.get_patient(patient_id)
    return render_template(
        "rights/patient.html",
        patient=patient,
        requests=operations.list_requests(patient_id=patient_id),
        refusals=operations.erasure_refusals(patient),
        form=ConfirmForm(),
    ), status


@bp.route("/patients/<int:patient_id>/data/export", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def request_export(patient_id: int):
    return _change(
        patient_id,
        lambda: operations.request_export(patient_id, actor_id=current_user.id),
        _("A copy of the patient's data is requested. A second administrator confirms it; then it is prepared."),
    )


@bp.route("/patients/<int:patient_id>/data/erase", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def request_erasure(patient_id: int):
    return _change(
        patient_id,
        lambda: operations.request_erasure(patient_id, actor_id=current_user.id),
        _("The erasure is requested. A second administrator confirms it; then it is done."),
    )


@bp.route("/data-requests/<int:data_request_id>/resume", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def resume_erasure(data_request_id: int):
    return _change(
        operations.get_request(data_request_id).patient_id,
        lambda: operations.resume_erasure(data_request_id, actor_id=current_user.id),
        _("The erasure goes on from where it stopped."),
        after_commit=kick,
    )


@bp.route("/data-requests/<int:data_request_id>/certificate")
@roles_required(*ADMINISTRATORS)
def erasure_certificate(data_request_id: int):
    data_request = operations.erased_request(data_request_id)
    return render_template("rights/certificate.html", data_request=data_request, certificate=printed(data_request))


@bp.route("/data-requests/<int:data_request_id>/certificate.pdf")
@roles_required(*ADMINISTRATORS)
def erasure_certificate_pdf(data_request_id: int):
    pdf, data_request = operations.certificate_pdf_of(data_request_id)
    return download(
        pdf,
        mimetype="application/pdf",
        filename=f"erasure-certificate-{data_request.id}.pdf",
        inline=True,
    )


@bp.route("/data-requests/<int:data_request_id>/confirm", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def confirm_request(data_request_id: int):
    return _change(
        operations.get_request(data_request_id).patient_id,
        lambda: operations.confirm(data_request_id, actor_id=current_user.id),
        _("Confirmed. The copy is being prepared; it can be downloaded once here when it is ready.")
        if operations.get_request(data_request_id).kind == "export"
        else _("Confirmed. The erasure is being done; its certificate appears here when it is finished."),
        after_commit=kick,
    )


@bp.route("/data-requests/<int:data_request_id>/withdraw", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def withdraw_request(data_request_id: int):
    return _change(
        operations.get_request(data_request_id).patient_id,
        lambda: operations.withdraw(data_request_id, actor_id=current_user.id),
        _("The request is withdrawn."),
    )


@bp.route("/data-requests/<int:data_request_id>/download", methods=["POST"])
@roles_required(*ADMINISTRATORS)
def download_export(data_request_id: int):
    """The prepared copy, once (a POST: the download deletes it and is recorded)."""
    patient_id = operations.get_request(data_request_id).patient_id
    if not ConfirmForm().validate():
        return patient_data(patient_id, status=400)
    data, data_request = operations.download_once(data_request_id, actor_id=current_user.id)
    db.session.commit()
    return download(data, mimetype="application/zip", filename=f"patient-{patient_id}-data-{data_request.id}.zip")


def _change(patient_id: int, change, message: str, *, after_commit=None):
    if not ConfirmForm().validate():
        return patient_data(patient_id, status=400)
    return commit_change(
        change,
        success=message,
        target=url_for("rights.patient_data", patient_id=patient_id),
        on_refusal=lambda status: redirect(url_for("rights.patient_data", patient_id=patient_id)),
        after_commit=after_commit,
    )
