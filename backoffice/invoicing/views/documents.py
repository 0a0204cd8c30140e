"""The archived PDF of an issued invoice or credit note (a Factur-X), and the XRechnung of one to a business payer,
for staff."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import roles_required
from backoffice.downloads import download
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.invoicing import bp, e_invoices, queries
from backoffice.invoicing.invoices import get_invoice
from backoffice.invoicing.models import Invoice
from backoffice.invoicing.views.pages import INVOICE_READERS
from backoffice.patients.restriction import check_may_see
from backoffice.storage import archive
from backoffice.trail import record_event


@bp.route("/invoices/<string(maxlength=20):number>.pdf")
@roles_required(*INVOICE_READERS)
def download_invoice_pdf(number: str):
    """The archived PDF of an issued invoice or credit note, exactly the bytes issued (checked against its SHA-256)."""
    invoice: Invoice | None = queries.issued_by_number(number)
    if invoice is None:
        raise NotFound(_("There is no issued invoice or credit note with that number."))
    check_may_see(invoice.patient_id)
    pdf = archive.read_recorded(  # missing or altered: a 503 with a message
        invoice.pdf_filename,
        invoice.pdf_sha256,
        action="invoice.downloaded",
        actor_id=current_user.id,
        object_type="invoice",
        object_id=invoice.id,
        details={"number": invoice.number, "case_id": invoice.case_id},
    )
    db.session.commit()
    return download(pdf, mimetype="application/pdf", filename=f"{invoice.number}.pdf")


@bp.route("/invoices/<int:invoice_id>/xrechnung.xml")
@roles_required(*INVOICE_READERS)
def download_xrechnung(invoice_id: int):
    """The XRechnung (UBL 2.1) of an issued invoice or credit note to a business payer, made from its frozen data;
    a draft or an invoice without a buyer reference is refused (409) with the reason. Kept in the audit trail."""
    invoice = get_invoice(invoice_id)
    check_may_see(invoice.patient_id)
    xml = e_invoices.xrechnung_of(invoice)
    record_event(
        "invoice.xrechnung_downloaded",
        actor_id=current_user.id,
        object_type="invoice",
        object_id=invoice.id,
        details={"number": invoice.number, "case_id": invoice.case_id},
    )
    db.session.commit()
    return download(xml, mimetype="application/xml", filename=f"{invoice.number}-xrechnung.xml")
