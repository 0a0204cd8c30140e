"""The final invoice's service period is the stay the patient had (admission to discharge), not the bill's span."""

from __future__ import annotations

from datetime import date

from backoffice.extensions import db
from backoffice.invoicing import finals, invoices
from backoffice.invoicing.printing import printed_invoice
from backoffice.logistics.stay import stay_of
from tests.invoicing.factories import make_approved_bill, make_invoicing_case
from tests.logistics.factories import make_appointment


def test_the_final_invoice_service_period_defaults_to_the_stay_not_the_bill_line_dates(app):
    case = make_invoicing_case()
    # The bill's lines are dated 20-22 Oct 2026; the patient was in hospital from 18 Oct to 4 Nov.
    make_appointment(case, admission_on=date(2026, 10, 18), days=17)
    make_approved_bill(case)
    db.session.commit()

    draft, _ = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()

    stored = invoices.get_invoice(draft.id, refresh=True)
    assert (stored.service_from, stored.service_to) == (date(2026, 10, 18), date(2026, 11, 4))
    assert printed_invoice(stored).service_period == "18 Oct 2026 \u2013 4 Nov 2026"


def test_the_stay_is_the_confirmed_appointment_never_a_requested_or_cancelled_one(app):
    case = make_invoicing_case()
    make_appointment(case, admission_on=date(2026, 9, 1), status="cancelled")
    assert stay_of(case) is None
    make_appointment(case, admission_on=date(2026, 10, 18), days=17, status="requested")
    assert stay_of(case) is None


def test_a_final_invoice_without_a_confirmed_stay_falls_back_to_the_bill_line_dates(app):
    case = make_invoicing_case()
    make_approved_bill(case)
    db.session.commit()
    draft, _ = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    assert (draft.service_from, draft.service_to) == (date(2026, 10, 20), date(2026, 10, 22))
