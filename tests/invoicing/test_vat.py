"""VAT per rate on the rate's net total (EN 16931), for invoices and the credit notes that reverse them, and the VAT
in euros on an invoice in another currency (section 16(6) UStG)."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest

from backoffice.extensions import db
from backoffice.invoicing import conversion, credit_notes, drafts, finals, invoices, issuing
from backoffice.invoicing.printing import render_invoice_pdf
from backoffice.invoicing.totals import allocate
from tests.helpers import change_settings
from tests.invoicing.factories import make_approved_bill, make_invoicing_case
from tests.invoicing.test_pdf import pdf_text

TODAY = date.today()


def _final_with_taxed_lines(currency: str, monkeypatch, app, **rate) -> int:
    """A final draft: the bill's exempt treatment and two taxed services of 3,365.94 and 0.50 (net 3,366.44 at 19 %;
    rounded line by line the VAT would be 639.53 + 0.10 = 639.63)."""
    change_settings(monkeypatch, app, coordination_fee="0")
    case = make_invoicing_case()
    if currency != "EUR":
        conversion.set_invoicing_currency(case.id, currency, actor_id=None)
    make_approved_bill(case, currency=currency)
    db.session.commit()
    draft, _ = finals.create_final_draft(case.id, actor_id=None, **rate)
    for description, price in (("Airport lounge and VIP transfer", "3365.94"), ("Courier of documents", "0.50")):
        drafts.add_line(
            draft.id,
            actor_id=None,
            expected_version=None,
            kind="other",
            description=description,
            quantity="1",
            unit_price=price,
            vat_category="standard",
        )
    db.session.commit()
    return draft.id


def _issue(invoice_id: int):
    issuing.issue_invoice(invoice_id, actor_id=None)
    db.session.commit()
    return invoices.get_invoice(invoice_id, refresh=True)


def test_vat_is_computed_per_rate_on_the_rate_net_total_not_summed_from_line_roundings(app, monkeypatch):
    draft_id = _final_with_taxed_lines("USD", monkeypatch, app, exchange_rate="1.1", exchange_rate_on=TODAY)
    draft = invoices.get_invoice(draft_id)
    taxed = next(group for group in invoices.totals_of(draft).by_rate if group.taxed)
    assert (taxed.net, taxed.tax) == (Decimal("3366.44"), Decimal("639.62"))

    invoice = _issue(draft_id)
    assert invoice.tax_total == Decimal("639.62")
    assert sum(line.tax_amount for line in invoice.lines) == Decimal("639.62")  # the lines' shares add up
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Net at 19 % USD 3,366.44 VAT 19 % USD 639.62" in text
    assert "639.63" not in text


def test_an_invoice_in_another_currency_prints_its_vat_in_euros_with_the_rate_used(app, monkeypatch):
    invoice = _issue(_final_with_taxed_lines("USD", monkeypatch, app, exchange_rate="1.1", exchange_rate_on=TODAY))
    text = pdf_text(render_invoice_pdf(invoice))
    # USD 639.62 / 1.1 = EUR 581.47
    assert "VAT 19 % in EUR converted at 1 EUR = 1.100000 USD, rate of" in text
    assert "EUR 581.47" in text


def test_an_invoice_in_euros_prints_no_second_vat_amount(app, monkeypatch):
    invoice = _issue(_final_with_taxed_lines("EUR", monkeypatch, app))
    text = pdf_text(render_invoice_pdf(invoice))
    assert "VAT 19 % EUR 639.62" in text
    assert " in EUR" not in text and "converted at" not in text


def test_credit_notes_reversing_an_invoice_line_by_line_reverse_exactly_its_vat(app, monkeypatch):
    invoice = _issue(_final_with_taxed_lines("USD", monkeypatch, app, exchange_rate="1.1", exchange_rate_on=TODAY))
    big, small = [line for line in invoice.lines if line.vat_category == "standard"]
    first = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Lounge not used", amounts={big.id: None}
    )
    db.session.commit()
    first = _issue(first.id)
    assert first.tax_total == Decimal("639.53")  # 3,365.94 x 19 %, rounded once
    second = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Courier not needed", amounts={small.id: None}
    )
    db.session.commit()
    second = _issue(second.id)
    # the rest of the rate's net takes the rest of its VAT: together exactly the invoice's 639.62
    assert second.tax_total == Decimal("0.09")
    assert first.tax_total + second.tax_total == invoice.tax_total
    text = pdf_text(render_invoice_pdf(second))
    assert "VAT 19 % in EUR" in text and "1 EUR = 1.100000 USD" in text


def test_a_credit_note_of_the_whole_invoice_reverses_the_same_vat_in_both_currencies(app, monkeypatch):
    invoice = _issue(_final_with_taxed_lines("USD", monkeypatch, app, exchange_rate="1.1", exchange_rate_on=TODAY))
    note = credit_notes.create_credit_note_draft(
        invoice.id, actor_id=None, reason="Cancelled", amounts={line.id: None for line in invoice.lines}
    )
    db.session.commit()
    note = _issue(note.id)
    assert (note.net_total, note.tax_total, note.total) == (invoice.net_total, invoice.tax_total, invoice.total)
    assert "EUR 581.47" in pdf_text(render_invoice_pdf(note))


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        ("639.62", ["3365.94", "0.50"], ["639.53", "0.09"]),
        ("0.10", ["1", "1", "1"], ["0.04", "0.03", "0.03"]),
        ("0.00", ["5", "0"], ["0.00", "0.00"]),
    ],
)
def test_a_rate_vat_is_shared_over_its_lines_to_the_cent(total, weights, shares):
    result = allocate(Decimal(total), [Decimal(w) for w in weights], "EUR")
    assert result == [Decimal(s) for s in shares]
    assert sum(result) == Decimal(total)


def test_the_invoice_page_shows_the_vat_in_euros_of_an_invoice_in_another_currency(app, monkeypatch, as_role):
    invoice = _issue(_final_with_taxed_lines("USD", monkeypatch, app, exchange_rate="1.1", exchange_rate_on=TODAY))
    page = html.unescape(as_role("finance").get(f"/invoices/{invoice.id}").get_data(as_text=True))
    assert "VAT 19 % in EUR: <strong>€581.47</strong>" in page
    assert "at 1 EUR = 1.1 USD" in page
