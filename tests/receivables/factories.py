"""Invoices owed for receivables tests: issued deposits due some days ago (in the operator's day), in a currency."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing import conversion, deposits, issuing
from backoffice.invoicing.models import Invoice
from backoffice.patients.models import Patient
from tests.factories import make_patient
from tests.invoicing.factories import fresh, make_invoicing_case


def due_days_ago(invoice: Invoice, days: int, today: date | None = None) -> Invoice:
    """The issued invoice made due `days` days before `today` (the operator's today by default).

    An issued invoice is never changed through the ORM (`invoicing.immutability`); a test states the fact "issued
    and due so long ago" with one UPDATE instead of waiting for the calendar."""
    today = today or operator_today()
    due_on = today - timedelta(days=days)
    db.session.execute(
        update(Invoice).where(Invoice.id == invoice.id).values(due_on=due_on, issue_date=due_on - timedelta(days=14))
    )
    db.session.commit()
    return fresh(invoice.id)


def owed_deposit(
    amount: str = "500.00",
    *,
    days_overdue: int = 10,
    currency: str = "EUR",
    name: str = "Amira Haddad",
    language: str = "en",
    email: str = "amira@example.org",
) -> Invoice:
    """A case of its own with an issued deposit invoice of `amount` in `currency`, due `days_overdue` days ago."""
    patient = make_patient(name=name, preferred_language=language, email=email)
    case = make_invoicing_case(currency=currency, patient=patient)
    rate = {}
    if currency != "EUR":
        conversion.set_invoicing_currency(case.id, currency, actor_id=None)
        rate = {"exchange_rate": "1.1", "exchange_rate_on": operator_today()}
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount=amount, **rate)
    db.session.commit()
    issuing.issue_invoice(draft.id, actor_id=None)
    db.session.commit()
    return due_days_ago(fresh(draft.id), days_overdue)


def patient_of(invoice: Invoice) -> Patient:
    return db.session.get(Patient, invoice.patient_id)
