"""Supplier invoice pages: finance and administrators receive and decide them; coordinators read them."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, BILL_AUDITORS, COORDINATOR, FINANCE, roles_required
from backoffice.cases.operations import get_case
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.languages import N_
from backoffice.patients.restriction import check_may_see
from backoffice.storage import archive
from backoffice.suppliers import bp, receiving
from backoffice.suppliers.forms import DecisionForm, ReceiveForm
from backoffice.suppliers.models import FINDING_KINDS, KIND_LABELS, STATUS_LABELS
from backoffice.transactions import commit_change

WORKERS = BILL_AUDITORS
READERS = (ADMIN, FINANCE, COORDINATOR)
MIMETYPES = {"facturx": "application/pdf", "ubl": "application/xml", "cii": "application/xml"}
FINDING_LABELS = dict(
    zip(
        FINDING_KINDS,
        (
            N_("No booking for this line"),
            N_("The booking was cancelled"),
            N_("Another currency than agreed"),
            N_("Dates differ from the booking"),
            N_("Nights differ from the booking"),
            N_("Hours differ from the booking"),
            N_("Price differs from the agreed price"),
        ),
        strict=True,
    )
)


def _render_receive(case_id: int, form: ReceiveForm, status: int = 200):
    return render_template("suppliers/new.html", case=get_case(case_id), form=form), status


@bp.route("/cases/<int:case_id>/supplier-invoices/new", methods=["GET", "POST"])
@roles_required(*WORKERS)
def receive(case_id: int):
    get_case(case_id)
    form = ReceiveForm()
    if request.method == "GET":
        return _render_receive(case_id, form)
    if not form.validate_on_submit():
        return _render_receive(case_id, form, 422)
    upload = form.file.data
    data = upload.stream.read(receiving.MAX_BYTES + 1) if upload and upload.filename else None

    def change():
        invoice = receiving.receive_supplier_invoice(
            case_id, form.kind.data or "", data, upload.filename if upload else "", current_user.id
        )
        count = len(invoice.findings)
        return invoice.id, ngettext(
            "Invoice %(reference)s received: %(num)d difference from the bookings.",
            "Invoice %(reference)s received: %(num)d differences from the bookings.",
            count,
            reference=invoice.reference,
        )

    return commit_change(
        change,
        success=lambda received: received[1],
        target=lambda received: url_for("suppliers.show", supplier_invoice_id=received[0]),
        on_refusal=lambda status: _render_receive(case_id, form, status),
    )


def _render(supplier_invoice_id: int, status: int = 200, form: DecisionForm | None = None):
    invoice = receiving.get_supplier_invoice(supplier_invoice_id)
    case = get_case(invoice.case_id)
    check_may_see(case.patient)  # an erased patient's: finance and administrators only
    return (
        render_template(
            "suppliers/show.html",
            invoice=invoice,
            case=case,
            form=form or DecisionForm(formdata=None, version=invoice.version),
            kind_labels=KIND_LABELS,
            status_labels=STATUS_LABELS,
            finding_labels=FINDING_LABELS,
            problems=form_errors(form) if form is not None else [],
        ),
        status,
    )


@bp.route("/supplier-invoices/<int:supplier_invoice_id>")
@roles_required(*READERS)
def show(supplier_invoice_id: int):
    return _render(supplier_invoice_id)


@bp.route("/supplier-invoices/<int:supplier_invoice_id>/original")
@roles_required(*READERS)
def original(supplier_invoice_id: int):
    """The file as the supplier sent it, byte for byte (checked against its SHA-256); each download recorded."""
    invoice = receiving.get_supplier_invoice(supplier_invoice_id)
    check_may_see(get_case(invoice.case_id).patient)
    data = archive.read_recorded(  # missing or altered: a 503 with a message
        invoice.original_filename,
        invoice.original_sha256,
        action="supplier_invoice_downloaded",
        actor_id=current_user.id,
        object_type="supplier_invoice",
        object_id=invoice.id,
        details={"reference": invoice.reference, "case_id": invoice.case_id},
    )
    db.session.commit()
    suffix = "pdf" if invoice.original_format == "facturx" else "xml"
    return download(data, mimetype=MIMETYPES[invoice.original_format], filename=f"{invoice.reference}.{suffix}")


@bp.route("/supplier-invoices/<int:supplier_invoice_id>/decision", methods=["POST"])
@roles_required(*WORKERS)
def decide(supplier_invoice_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render(supplier_invoice_id, 422, form)
    decision = request.form.get("decision", "")
    return commit_change(
        lambda: receiving.decide(
            supplier_invoice_id,
            decision,
            form.note.data or "",
            actor_id=current_user.id,
            expected_version=form.version.data,
        ),
        success=lambda invoice: _(
            "Invoice %(reference)s: %(status)s.",
            reference=invoice.reference,
            status=_(STATUS_LABELS[invoice.status]).lower(),
        ),
        target=url_for("suppliers.show", supplier_invoice_id=supplier_invoice_id),
        on_refusal=lambda status: _render(supplier_invoice_id, status, form),
    )
