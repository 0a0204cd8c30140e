"""The archived PDF of an issued invoice or credit note, for staff."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from backoffice import archive
from backoffice.auth.permissions import roles_required
from backoffice.downloads import download
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.invoicing import bp, queries
from backoffice.invoicing.models import Invoice
from backoffice.invoicing.views.pages import INVOICE_READERS


@bp.route("/invoices/<string(maxlength=20):number>.pdf")
@roles_required(*INVOICE_READERS)
def download_invoice_pdf(number: str):
    """The archived PDF of an issued invoice or credit note, exactly the bytes issued (checked against its SHA-256)."""
    invoice: Invoice | None = queries.issued_by_number(number)
    if invoice is None:
        raise NotFound(_("There is no issued invoice or credit note with that number."))
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
