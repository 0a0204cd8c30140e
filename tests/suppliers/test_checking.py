"""Rules of the check of a supplier's invoice against the case's bookings (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from backoffice.einvoice.document import Document, Line, Party
from backoffice.suppliers.checking import Booked, check_invoice, gross_of

D = Decimal
STAY = Booked("hotel_stays", 7, "Hotel Villa Kennedy", False, date(2026, 3, 12), date(2026, 3, 19), D("1027.20"), "EUR")
RIDE = Booked("transfers", 3, "FRA -> clinic", False, date(2026, 3, 12), date(2026, 3, 12), D("85.00"), "EUR")
TALK = Booked(
    "interpreter_bookings",
    5,
    "Interpreter ru",
    False,
    date(2026, 3, 13),
    date(2026, 3, 13),
    D("240.00"),
    "EUR",
    hours=D(4),
)


def line(line_id="1", *, start, end=None, quantity="1", unit="C62", price="0", amount=None, rate="0", category="E"):
    quantity, price = D(quantity), D(price)
    return Line(
        line_id=line_id,
        name=f"item {line_id}",
        quantity=quantity,
        unit_code=unit,
        net_price=price,
        net_amount=D(amount) if amount is not None else quantity * price,
        vat_category=category,
        vat_rate=D(rate),
        period_start=start,
        period_end=end,
    )


def invoice(*lines, currency="EUR") -> Document:
    return Document(
        syntax="cii",
        type_code="380",
        number="H-1",
        issue_date=date(2026, 3, 20),
        currency=currency,
        seller=Party(name="Hotel Villa Kennedy"),
        buyer=Party(name="MedTravel"),
        lines=tuple(lines),
    )


def kinds(check) -> list[str]:
    return [found.kind for found in check.findings]


def test_a_hotel_invoice_that_matches_the_stay_has_no_findings():
    # 7 nights at 137.14 net + 7 % VAT: 960.00 + 67.20 = 1,027.20, the agreed price
    nights = line(
        start=date(2026, 3, 12),
        end=date(2026, 3, 19),
        quantity="7",
        unit="DAY",
        price="137.142857",
        amount="960.00",
        rate="7",
        category="S",
    )
    check = check_invoice(invoice(nights), [STAY])
    assert check.findings == [] and check.matches == [STAY]


def test_the_last_night_may_end_the_hotels_period():
    nights = line(
        start=date(2026, 3, 12),
        end=date(2026, 3, 18),
        quantity="7",
        unit="DAY",
        amount="960.00",
        rate="7",
        category="S",
    )
    assert check_invoice(invoice(nights), [STAY]).findings == []


def test_an_extra_night_is_a_date_a_nights_and_a_price_finding():
    nights = line(
        start=date(2026, 3, 12),
        end=date(2026, 3, 20),
        quantity="8",
        unit="DAY",
        amount="1097.14",
        rate="7",
        category="S",
    )
    check = check_invoice(invoice(nights), [STAY])
    assert kinds(check) == ["dates_differ", "nights_differ", "price_differs"]
    dates, nights_found, price = check.findings
    assert (dates.booked, dates.invoiced) == ("2026-03-12 \u2013 2026-03-19", "2026-03-12 \u2013 2026-03-20")
    assert (nights_found.booked, nights_found.invoiced) == ("7", "8")
    # 1,097.14 + 76.80 VAT = 1,173.94 against 1,027.20
    assert price.difference == D("146.74") and price.currency == "EUR"


def test_a_line_no_booking_is_meant_by_is_a_finding():
    check = check_invoice(invoice(line(start=date(2026, 4, 2), amount="50.00")), [STAY, RIDE])
    assert kinds(check) == ["no_booking"] and check.matches == [None]
    assert "2026-04-02" in check.findings[0].invoiced


def test_a_cancelled_booking_invoiced_is_a_finding():
    cancelled = Booked("transfers", 4, "Return", True, date(2026, 3, 19), date(2026, 3, 19), D("85.00"), "EUR")
    check = check_invoice(invoice(line(start=date(2026, 3, 19), amount="85.00")), [cancelled])
    assert kinds(check) == ["booking_cancelled"]


def test_a_transfer_on_its_day_at_the_agreed_price_has_no_finding_and_another_price_has_one():
    assert check_invoice(invoice(line(start=date(2026, 3, 12), amount="85.00")), [RIDE]).findings == []
    found = check_invoice(invoice(line(start=date(2026, 3, 12), amount="95.00")), [RIDE]).findings
    assert [(f.kind, f.difference) for f in found] == [("price_differs", D("10.00"))]


def test_a_cent_of_difference_is_not_a_finding():
    assert check_invoice(invoice(line(start=date(2026, 3, 12), amount="85.01")), [RIDE]).findings == []


def test_interpreter_hours_differ_when_the_supplier_states_hours():
    hours = line(start=date(2026, 3, 13), quantity="5", unit="HUR", price="60", rate="19", category="S")
    check = check_invoice(invoice(hours), [TALK])
    # 5 h x 60 = 300 + 57 VAT = 357 against 240 agreed
    assert kinds(check) == ["hours_differ", "price_differs"]
    assert (check.findings[0].booked, check.findings[0].invoiced) == ("4", "5")


def test_another_currency_is_a_finding_instead_of_a_price_difference():
    check = check_invoice(invoice(line(start=date(2026, 3, 12), amount="85.00"), currency="USD"), [RIDE])
    assert kinds(check) == ["currency_differs"]


def test_a_line_without_its_own_period_takes_the_invoices_delivery_date():
    document = replace(invoice(line(start=None, amount="85.00")), delivery_date=date(2026, 3, 12))
    assert check_invoice(document, [RIDE]).findings == []


def test_vat_is_computed_once_per_rate_not_summed_from_rounded_lines():
    lines = [line(str(n), start=date(2026, 3, 12), amount="0.05", rate="19", category="S") for n in range(1, 4)]
    # 0.15 net + 0.03 VAT (0.0285 rounded once), not 3 x 0.01
    assert gross_of(lines) == D("0.18")
