"""Payments: the same payment sent twice at once is recorded once (PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing import payments
from backoffice.invoicing.models import InvoicePayment
from tests.invoicing.concurrency import after_the_check, at_once, one_stored_one_refused
from tests.invoicing.factories import TODAY, fresh, issued_deposit


@pytest.mark.postgresql_only
def test_the_same_payment_sent_twice_at_once_is_recorded_once_and_the_other_refused(app, monkeypatch, case):
    deposit = issued_deposit(case)
    after_the_check(monkeypatch, payments, "account_of")

    def pay_in_full():
        payments.record_payment(
            deposit.id,
            actor_id=None,
            amount="500.00",
            currency="EUR",
            received_on=TODAY,
            method="bank_transfer",
            expected_version=deposit.version,
        )

    outcomes = at_once(app, {"first click": pay_in_full, "second click": pay_in_full})

    assert "was changed by someone else meanwhile" in one_stored_one_refused(outcomes)
    assert db.session.scalars(select(InvoicePayment.amount)).all() == [Decimal("500.00")]
    assert fresh(deposit.id).status == "paid"
