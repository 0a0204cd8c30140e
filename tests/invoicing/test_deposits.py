"""Deposits never bill the patient twice: none once the final invoice stands, the deposits of a case never above
its accepted offer (also when two are issued at once), and a deposit owed again once the final invoice that took it
over is cancelled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing import accounts, deposits, issuing
from backoffice.invoicing.invoices import InvoiceError
from backoffice.invoicing.models import Invoice
from backoffice.offers.models import Offer
from tests.invoicing.concurrency import after_the_check, at_once, one_stored_one_refused
from tests.invoicing.factories import credit, fresh, issued_deposit, issued_final, make_invoicing_case, pay


def test_no_deposit_is_invoiced_once_the_final_invoice_stands(case):
    issued_final(case)

    with pytest.raises(InvoiceError, match="a deposit now would bill the patient twice"):
        deposits.create_deposit_draft(case.id, actor_id=None, amount="500.00")
    db.session.rollback()
    assert db.session.scalars(select(Invoice.kind)).all() == ["final"]


def test_a_deposit_is_owed_again_once_the_final_invoice_that_took_it_over_is_credited_and_paid_back(case):
    deposit = issued_deposit(case)
    pay(deposit, "200.00")
    final = issued_final(case)
    final_line_ids = [line.id for line in final.lines]
    pay(final, str(accounts.account_of(final).outstanding))
    assert fresh(deposit.id).status == "settled"  # its open 300 is part of the final invoice

    credit(final, dict.fromkeys(final_line_ids), reason="treatment cancelled")
    final = fresh(final.id)
    pay(final, str(-accounts.account_of(final).outstanding), refund=True)

    # The final invoice is gone: the deposit's open 300 is owed on the deposit again, and its stored status says so.
    deposit = fresh(deposit.id)
    account = accounts.account_of(deposit)
    assert (account.status, account.outstanding) == ("partially_paid", Decimal("300.00"))
    assert deposit.status == account.status
    assert fresh(final.id).status == "credited"


@pytest.mark.postgresql_only
def test_two_deposits_issued_at_once_never_exceed_the_accepted_offer(app, monkeypatch):
    case = make_invoicing_case(estimate="2000.00")
    first = deposits.create_deposit_draft(case.id, actor_id=None, amount="600.00").id
    second = deposits.create_deposit_draft(case.id, actor_id=None, amount="600.00").id
    offer = db.session.scalar(select(Offer).where(Offer.case_id == case.id))
    offer.accepted_total = Decimal("1000.00")  # the patient accepted a smaller offer since
    db.session.commit()
    after_the_check(monkeypatch, issuing, "_check")

    outcomes = at_once(
        app,
        {
            "first": lambda: issuing.issue_invoice(first, actor_id=None),
            "second": lambda: issuing.issue_invoice(second, actor_id=None),
        },
    )

    assert "accepted offer" in one_stored_one_refused(outcomes)
    db.session.expire_all()
    issued = db.session.scalars(select(Invoice.total).where(Invoice.status != "draft")).all()
    assert issued == [Decimal("600.00")]
