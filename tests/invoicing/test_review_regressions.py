"""Regressions found in review: credit notes and deposits that made the patient pay (or get back) twice, an issued
invoice changed behind the flush guard's back, bad input that gave a 500, amounts finer than the currency, a deposit
status left stale, and checks that two people acting at the same moment could both pass (PostgreSQL)."""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.invoicing import (
    accounts,
    conversion,
    credit_notes,
    deposits,
    drafts,
    finals,
    invoices,
    issuing,
    payments,
)
from backoffice.invoicing.invoices import InvoiceError, InvoiceImmutable
from backoffice.invoicing.models import Invoice, InvoiceLine, InvoicePayment
from backoffice.invoicing.printing import render_invoice_pdf
from backoffice.money import Money
from tests.invoicing.factories import make_approved_bill, make_invoicing_case

TODAY = date.today()


@pytest.fixture
def case(app):
    case = make_invoicing_case()
    db.session.commit()
    return case


def fresh(invoice_id: int) -> Invoice:
    """The invoice as stored now, lines included."""
    db.session.expire_all()
    return invoices.get_invoice(invoice_id, refresh=True)


def issue(invoice_id: int) -> Invoice:
    issuing.issue_invoice(invoice_id, actor_id=None)
    db.session.commit()
    return fresh(invoice_id)


def issued_deposit(case, amount: str = "500.00") -> Invoice:
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount=amount)
    db.session.commit()
    return issue(draft.id)


def issued_final(case) -> Invoice:
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    return issue(draft.id)


def credit(invoice: Invoice, amounts: dict[int, str | None], reason: str = "correction") -> Invoice:
    note = credit_notes.create_credit_note_draft(invoice.id, actor_id=None, reason=reason, amounts=amounts)
    db.session.commit()
    return issue(note.id)


def pay(invoice: Invoice, amount: str, *, refund: bool = False) -> None:
    payments.record_payment(
        invoice.id,
        actor_id=None,
        amount=amount,
        currency=invoice.currency,
        received_on=TODAY,
        method="bank_transfer",
        refund=refund,
    )
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ------------------------------------------------------------------------------------ credit notes and deposits


def test_two_half_credit_notes_never_reverse_more_vat_than_the_line_carried(case):
    make_approved_bill(case)
    db.session.commit()
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    for line_id in [line.id for line in fresh(draft.id).lines]:
        drafts.remove_line(draft.id, line_id, actor_id=None, expected_version=None)
    drafts.add_line(
        draft.id,
        actor_id=None,
        expected_version=None,
        kind="other",
        description="Service",
        quantity="1",
        unit_price="1.00",
        taxed=True,
    )
    db.session.commit()
    final = issue(draft.id)
    assert (final.net_total, final.tax_total, final.total) == (Decimal("1.00"), Decimal("0.19"), Decimal("1.19"))
    line_id = final.lines[0].id

    # Each half alone would round its VAT up to 0.10; together they reverse exactly the line's 0.19.
    notes = [credit(final, {line_id: "0.50"}), credit(final, {line_id: "0.50"})]

    assert sum(note.net_total for note in notes) == Decimal("1.00")
    assert sum(note.tax_total for note in notes) == Decimal("0.19")
    assert sum(note.total for note in notes) == final.total
    final = fresh(final.id)
    assert final.status == "credited"
    assert accounts.account_of(final).outstanding == 0
    with pytest.raises(InvoiceError, match="already credited in full"):
        credit_notes.create_credit_note_draft(final.id, actor_id=None, reason="again", amounts={line_id: None})


def test_a_deposit_the_final_invoice_took_over_is_corrected_through_the_final_invoice_not_credited(case):
    deposit = issued_deposit(case)
    deposit_line_id = deposit.lines[0].id
    pay(deposit, "500.00")
    final = issued_final(case)
    assert final.deductions_total == Decimal("500.00")

    # Crediting the deposit would pay the 500 back although the final invoice already counts it as paid.
    with pytest.raises(InvoiceError, match="taken over by the final invoice of this case; correct the final invoice"):
        credit_notes.create_credit_note_draft(
            deposit.id, actor_id=None, reason="cancelled", amounts={deposit_line_id: None}
        )
    db.session.rollback()
    assert count(Invoice) == 2
    assert accounts.account_of(fresh(deposit.id)).outstanding == 0
    assert accounts.account_of(fresh(final.id)).deducted == Decimal("500.00")


def test_a_credit_note_drafted_on_a_deposit_is_not_issued_once_the_final_invoice_took_the_deposit_over(case):
    deposit = issued_deposit(case)
    pay(deposit, "500.00")
    note = credit_notes.create_credit_note_draft(
        deposit.id, actor_id=None, reason="cancelled", amounts={deposit.lines[0].id: None}
    )
    db.session.commit()
    issued_final(case)

    with pytest.raises(InvoiceError, match="taken over by the final invoice"):
        issuing.issue_invoice(note.id, actor_id=None)
    db.session.rollback()
    assert fresh(note.id).status == "draft"
    assert accounts.account_of(fresh(deposit.id)).outstanding == 0


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


# ------------------------------------------------------------------------------------ an issued invoice stays as issued


def test_an_issued_invoice_is_never_set_back_to_draft(case):
    deposit = issued_deposit(case)
    db.session.get(Invoice, deposit.id).status = "draft"  # a bug or a script

    with pytest.raises(InvoiceImmutable, match="status back to draft"):
        db.session.commit()
    db.session.rollback()
    stored = fresh(deposit.id)
    assert (stored.status, stored.number) == ("issued", deposit.number)


def test_a_line_attached_to_an_issued_invoice_through_its_relationship_is_refused(case):
    deposit = issued_deposit(case)
    db.session.expunge_all()
    invoice = db.session.get(Invoice, deposit.id)  # its lines not loaded: the guard must not rely on them
    db.session.add(
        InvoiceLine(
            invoice=invoice,
            position=2,
            kind="other",
            description="smuggled",
            quantity=Decimal(1),
            unit_price=Decimal(1000),
            vat_rate=Decimal(0),
            vat_exempt=True,
            net_amount=Decimal(1000),
            tax_amount=Decimal(0),
        )
    )

    with pytest.raises(InvoiceImmutable, match="its lines"):
        db.session.commit()
    db.session.rollback()
    assert [line.description for line in fresh(deposit.id).lines] == [deposit.lines[0].description]


def test_a_recorded_payment_is_never_rewritten_or_deleted(case):
    deposit = issued_deposit(case)
    pay(deposit, "100.00")
    payment = db.session.scalars(select(InvoicePayment)).one()

    payment.amount = Decimal("500.00")
    with pytest.raises(InvoiceImmutable, match="appended, never rewritten"):
        db.session.commit()
    db.session.rollback()

    db.session.delete(db.session.get(InvoicePayment, payment.id))
    with pytest.raises(InvoiceImmutable, match="appended, never rewritten"):
        db.session.commit()
    db.session.rollback()

    db.session.expire_all()
    assert db.session.scalars(select(InvoicePayment.amount)).all() == [Decimal("100.00")]


# ------------------------------------------------------------------------------------ bad input: a message, not a 500


def test_a_line_larger_than_an_invoice_can_hold_is_refused_with_a_message(case, as_role):
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()

    response = as_role("finance").post(
        f"/invoices/{draft.id}/lines",
        data={
            "version": draft.version,
            "kind": "other",
            "description": "Typo",
            "quantity": "1000000",
            "unit_price": "1000000",
            "vat": "taxed",
        },
    )

    assert response.status_code == 422
    assert "more than an invoice can hold" in text(response)
    assert len(fresh(draft.id).lines) == 1


@pytest.mark.parametrize("draft", ["deposit", "final"])
def test_a_huge_exchange_rate_is_refused_with_a_message(case, as_role, draft):
    conversion.set_invoicing_currency(case.id, "USD", actor_id=None)
    make_approved_bill(case)  # in EUR: the final invoice converts its lines at the rate
    db.session.commit()
    form = {"exchange_rate": "99999999999", "exchange_rate_on": TODAY.isoformat()}
    if draft == "deposit":
        form["amount"] = "100.00"

    response = as_role("finance").post(f"/cases/{case.id}/invoices/{draft}", data=form)

    assert response.status_code == 422
    assert "That comes to more than an invoice can hold; check the quantity, the unit price and the exchange rate." in (
        text(response)
    )
    assert count(Invoice) == 0


def test_a_version_too_large_for_the_database_is_refused_as_an_out_of_date_form(case, as_role):
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()

    response = as_role("finance").post(f"/invoices/{draft.id}/issue", data={"version": str(10**20)})

    assert response.status_code == 422
    assert "The form is out of date: reload the page." in text(response)
    assert fresh(draft.id).status == "draft"


def test_a_currency_with_three_decimals_is_refused_as_invoicing_currency_with_a_message(case, as_role):
    response = as_role("finance").post(f"/cases/{case.id}/invoicing-currency", data={"currency": "KWD"})

    assert response.status_code == 422
    assert "Invoices are kept to the cent: KWD has 3 decimals and cannot be used." in text(response)
    db.session.expire_all()
    assert db.session.get(Case, case.id).invoicing_currency == "EUR"


def test_amounts_in_yen_have_no_decimals_neither_on_a_deposit_nor_in_a_payment():
    case = make_invoicing_case(estimate="2000000.00")
    conversion.set_invoicing_currency(case.id, "JPY", actor_id=None)
    db.session.commit()
    rate = {"exchange_rate": "160", "exchange_rate_on": TODAY}

    with pytest.raises(InvoiceError, match=r"The deposit amount has at most 0 decimal places\."):
        deposits.create_deposit_draft(case.id, actor_id=None, amount="1000.50", **rate)
    db.session.rollback()
    deposit = deposits.create_deposit_draft(case.id, actor_id=None, amount="1000", **rate)
    db.session.commit()
    deposit = issue(deposit.id)
    assert (deposit.total, deposit.currency) == (Decimal("1000"), "JPY")

    with pytest.raises(InvoiceError, match=r"The amount has at most 0 decimal places\."):
        pay(deposit, "0.50")
    db.session.rollback()
    assert count(InvoicePayment) == 0


# ------------------------------------------------------------------------------------ the archived PDF


def test_the_same_invoice_renders_to_identical_pdf_bytes(case):
    deposit = issued_deposit(case)

    first = render_invoice_pdf(deposit, case_number=case.number)
    second = render_invoice_pdf(deposit, case_number=case.number)

    assert first == second


# ------------------------------------------------------------------------------------ at the same moment (PostgreSQL)
#
# Each test lines two sessions up right after their check: the first to pass its check waits (up to BARRIER_WAIT)
# for the other to pass its own. Without the case's row lock both pass and both write; with it the other waits on
# the lock instead, the first goes on when the wait runs out, and the other then checks against what it stored.

BARRIER_WAIT = 2  # seconds; long enough for an unlocked second session to reach its check


def after_the_check(monkeypatch, module, name: str) -> None:
    """Make `module.name` (a check) hold each session, once it has run, until the other session has run it too."""
    barrier = threading.Barrier(2)
    check = getattr(module, name)
    waited = threading.local()

    def check_then_wait(*args, **kwargs):
        result = check(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            # Broken when the other session is not past its check: it waits for this one's lock instead.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=BARRIER_WAIT)
        return result

    monkeypatch.setattr(module, name, check_then_wait)


def at_once(app, work: dict[str, Callable[[], object]]) -> dict[str, str]:
    """Run each change in its own thread and session, committing; returns "stored", "refused: ..." or "unexpected"."""
    outcomes: dict[str, str] = {}

    def worker(name, change):
        with app.app_context():
            try:
                change()
                db.session.commit()
                outcomes[name] = "stored"
            except DomainError as error:
                db.session.rollback()
                outcomes[name] = f"refused: {error.message}"
            except Exception as error:  # reported by the assertions, not lost in the thread
                db.session.rollback()
                outcomes[name] = f"unexpected {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=item) for item in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def one_stored_one_refused(outcomes: dict[str, str]) -> str:
    assert sorted(outcome.split(":")[0] for outcome in outcomes.values()) == ["refused", "stored"], outcomes
    return next(outcome for outcome in outcomes.values() if outcome.startswith("refused"))


@pytest.mark.postgresql_only
def test_two_deposits_issued_at_once_never_exceed_the_estimate(app, monkeypatch):
    case = make_invoicing_case(estimate="2000.00")
    first = deposits.create_deposit_draft(case.id, actor_id=None, amount="600.00").id
    second = deposits.create_deposit_draft(case.id, actor_id=None, amount="600.00").id
    db.session.get(Case, case.id).cost_estimate = Money("1000.00", "EUR")  # the estimate revised down since
    db.session.commit()
    after_the_check(monkeypatch, issuing, "_check")

    outcomes = at_once(
        app,
        {
            "first": lambda: issuing.issue_invoice(first, actor_id=None),
            "second": lambda: issuing.issue_invoice(second, actor_id=None),
        },
    )

    assert "cost estimate" in one_stored_one_refused(outcomes)
    db.session.expire_all()
    issued = db.session.scalars(select(Invoice.total).where(Invoice.status != "draft")).all()
    assert issued == [Decimal("600.00")]


@pytest.mark.postgresql_only
def test_two_credit_notes_issued_at_once_never_credit_a_line_twice(app, monkeypatch, case):
    deposit = issued_deposit(case)
    line_id = deposit.lines[0].id
    notes = [
        credit_notes.create_credit_note_draft(deposit.id, actor_id=None, reason=reason, amounts={line_id: "300.00"}).id
        for reason in ("first", "second")
    ]
    db.session.commit()
    after_the_check(monkeypatch, issuing, "_check")

    outcomes = at_once(app, {f"note {n}": (lambda n=n: issuing.issue_invoice(n, actor_id=None)) for n in notes})

    assert "only 200.00 EUR of that line is left to credit" in one_stored_one_refused(outcomes)
    db.session.expire_all()
    issued = select(Invoice.total).where(Invoice.credited_invoice_id == deposit.id, Invoice.status != "draft")
    assert db.session.scalars(issued).all() == [Decimal("300.00")]


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
