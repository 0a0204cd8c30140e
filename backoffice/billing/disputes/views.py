"""The dispute letter to a hospital, as a PDF, for finance."""

from __future__ import annotations

from flask_login import current_user

from backoffice.auth.permissions import BILL_AUDITORS, roles_required
from backoffice.billing import bp
from backoffice.billing.disputes import letters
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.trail import record_event

LETTER_READERS = BILL_AUDITORS


@bp.route("/bills/<int:bill_id>/dispute-letter.pdf")
@roles_required(*LETTER_READERS)
def dispute_letter_pdf(bill_id: int):
    letter = letters.dispute_letter(bill_id, signatory=current_user.name)
    pdf = letters.dispute_letter_pdf(letter)
    record_event(
        "bill_dispute_letter_downloaded",
        actor_id=current_user.id,
        object_type="hospital_bill",
        object_id=letter.bill_id,
        details={
            "reference": letter.reference,
            "case": letter.case_number,
            "lines": len(letter.lines),
            "to_correct": {currency: str(amount) for currency, amount in letter.totals.items()},
        },
    )
    db.session.commit()
    return download(pdf, mimetype="application/pdf", filename=letter.filename)
