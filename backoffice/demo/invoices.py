"""The demo's invoices: the two demo patients' logins linked to their records, and their cases invoiced through the
real operations (hospital bill approved, drafts, issuing with numbers and archived PDFs, payments).

- Pablo Patient (patient@demo.test): a stem-cell case past treatment at FRA-ABM, its hospital bill approved, a paid
  deposit invoice, the final invoice deducting it, and a credit note correcting one line of it.
- Priya Patient (patient2@demo.test): two cases before travel with an unpaid deposit invoice each, the second
  invoiced in US dollars at a fixed exchange rate.
- One more stem-cell case gets an approved bill and no invoice: finance invoices it by hand.

The stem-cell cases used are those after the two `billing.seed_bills` takes (bill ABM-2026-0815 stays received for
the bill audit; the second's bill waits in instance/ to be uploaded). The seeded cases and patients are adopted
rather than added, so the demo keeps its number of cases: a demo login takes over the record of its first case (the
trip's bookings follow the new name and home airport), and Priya's second case moves to her record.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.billing.bills import receiving, review
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.dbtypes import operator_today, utcnow
from backoffice.demo.billing import bill_csv, stem_cell_stays
from backoffice.demo.data import DEMO_PATIENT_PROFILES, HOME_AIRPORTS
from backoffice.demo.e_invoices import seed_hotel_invoice
from backoffice.extensions import db
from backoffice.invoicing import conversion, credit_notes, deposits, drafts, finals, issuing, payments
from backoffice.invoicing.models import Invoice, InvoiceLine
from backoffice.invoicing.sources import LOGISTICS_LABELS
from backoffice.logistics.airports import airport
from backoffice.logistics.models import Flight, HotelStay, InterpreterBooking
from backoffice.offers.models import Offer
from backoffice.patients.models import Patient
from backoffice.trail import record_event

PABLO, PRIYA, _DMITRI = DEMO_PATIENT_PROFILES  # Dmitri: `demo.offers`
PAST_TREATMENT = ("discharged", "aftercare", "closed")  # preferred in this order
BEFORE_TRAVEL = ("travel_booked", "confirmed")
DEPOSIT_SHARE = "30"  # percent of the cost estimate
USD_RATE = "1.0850"  # 1 EUR = 1.0850 USD
TRANSFER_CREDIT = Decimal("85.00")  # one transfer, as the demo trips price them
BILL_REFERENCES = ("ABM-{year}-0742", "ABM-{year}-0763")  # Pablo's bill, the bill left to invoice by hand
OVERDUE_ISSUED_DAYS_AGO = 45  # Priya's first deposit: due 14 days later, a month overdue
INSURER = {
    "name": "Allianz Care, International Health Claims",
    "address": "Hauptstraße 12",
    "payer": {
        "reference": "AC-CLAIM-2026-55871",
        "vat_id": "DE811515193",
        "postcode": "81737",
        "city": "München",
        "country": "DE",
    },
}


def seed_invoices(actor_id: int | None) -> list[str]:
    """Link the demo patients' logins to records and invoice their cases as `actor_id` (finance); returns lines for
    the seed's output. Does nothing on a database that holds invoices or a demo login already linked."""
    if db.session.scalar(select(Invoice.id).limit(1)) is not None:
        return []
    users = {email: db.session.scalar(select(User).where(User.email == email)) for email in (PABLO, PRIYA)}
    if None in users.values():
        return []
    linked = select(Patient.id).where(Patient.user_id.in_([user.id for user in users.values()]))
    if db.session.scalar(linked.limit(1)) is not None:
        return []
    summary: list[str] = []
    stays = _stays_to_invoice()
    cases = _cases_before_travel()
    if cases:  # first: her overdue deposit, issued weeks ago, takes the lower number
        summary.append(_priya(users[PRIYA], cases, actor_id))
    if stays:
        summary.append(_pablo(users[PABLO], stays[0], actor_id))
        summary.append(seed_hotel_invoice(stays[0][0], actor_id))
    if len(stays) > 1:
        case_id, admission, discharge = stays[1]
        bill = _approved_bill(case_id, admission, discharge, BILL_REFERENCES[1], actor_id)
        summary.append(
            f"Ready for finance to invoice by hand: case {get_case(case_id).number} "
            f"(bill {bill.reference} approved, no invoice yet; the patient's address goes on the draft)."
        )
    return summary


# ---------------------------------------------------------------------------------------------- choosing cases


def _stays_to_invoice() -> list:
    """Stem-cell cases past treatment without a bill, after the two `seed_bills` takes; discharged ones first."""
    taken = {row.id for row in stem_cell_stays(limit=2)}
    billed = set(db.session.scalars(select(HospitalBill.case_id)))
    states = dict(db.session.execute(select(Case.id, Case.state).where(Case.state.in_(PAST_TREATMENT))).all())
    rows = [row for row in stem_cell_stays(PAST_TREATMENT) if row.id not in taken and row.id not in billed]
    return sorted(rows, key=lambda row: (PAST_TREATMENT.index(states[row.id]), _needs_interpreter(row.id), row.id))


def _cases_before_travel() -> list[Case]:
    """Cases with an accepted offer in euros before the journey: travel booked first, needing no interpreter first."""
    cases = db.session.scalars(
        select(Case)
        .where(
            Case.state.in_(BEFORE_TRAVEL),
            Case.hospital_id.is_not(None),
            Case.id.in_(select(Offer.case_id).where(Offer.status == "accepted", Offer.currency == "EUR")),
            Case.id.not_in(select(HospitalBill.case_id)),
        )
        .order_by(Case.id)
    ).all()
    return sorted(cases, key=lambda case: (BEFORE_TRAVEL.index(case.state), _needs_interpreter(case.id), case.id))


def _needs_interpreter(case_id: int) -> bool:
    return db.session.scalar(select(InterpreterBooking.id).where(InterpreterBooking.case_id == case_id)) is not None


# ---------------------------------------------------------------------------------------------- the patients


def link_account(user: User, case_id: int) -> Patient:
    """The demo login takes over the record of the case's patient: its name and email, the demo profile's address,
    country and languages; the case's bookings follow the new name and home airport."""
    case = get_case(case_id)
    patient: Patient = case.patient
    profile = DEMO_PATIENT_PROFILES[user.email]
    was = patient.name
    _follow_patient(case.id, patient, user.name, profile["country"])
    patient.name, patient.email, patient.user_id = user.name, user.email, user.id
    patient.country, patient.phone, patient.address = profile["country"], profile["phone"], profile["address"]
    patient.preferred_language, patient.languages = profile["preferred_language"], profile["languages"]
    _keep_interpreter_languages(case.id, patient)
    db.session.flush()
    record_event(
        "demo_patient_linked",
        actor_id=None,
        object_type="patient",
        object_id=patient.id,
        details={"user": user.email, "case": case.number, "seeded_as": was},
    )
    return patient


def _move_case(case_id: int, patient: Patient) -> Case:
    """A further case of a demo patient: it moves to their record, and the record seeded for it alone goes."""
    case = get_case(case_id)
    previous: Patient = case.patient
    _follow_patient(case.id, previous, patient.name, patient.country)
    case.patient = patient
    _keep_interpreter_languages(case.id, patient)
    db.session.flush()
    if db.session.scalar(select(func.count()).select_from(Case).where(Case.patient_id == previous.id)) == 0:
        db.session.delete(previous)
        db.session.flush()
    record_event(
        "demo_patient_linked",
        actor_id=None,
        object_type="patient",
        object_id=patient.id,
        details={"user": patient.email, "case": case.number, "seeded_as": previous.name},
    )
    return case


def _follow_patient(case_id: int, before: Patient, name: str, country: str) -> None:
    """The case's flights and hotel stays name the new patient, and fly from their home airport."""
    old_home = HOME_AIRPORTS.get(before.country, "DXB")
    home = airport(HOME_AIRPORTS.get(country, "DXB"))
    for flight in db.session.scalars(select(Flight).where(Flight.case_id == case_id)):
        flight.passengers = flight.passengers.replace(before.name, name)
        if flight.from_airport == old_home:
            flight.from_airport, flight.departure_tz = home.code, home.timezone
        if flight.to_airport == old_home:
            flight.to_airport, flight.arrival_tz = home.code, home.timezone
    for stay in db.session.scalars(select(HotelStay).where(HotelStay.case_id == case_id)):
        stay.guests = stay.guests.replace(before.name, name)


def _keep_interpreter_languages(case_id: int, patient: Patient) -> None:
    """An interpreter booked for the case speaks a language of the patient's: add it if the profile lacks it."""
    booked = db.session.scalars(select(InterpreterBooking.language).where(InterpreterBooking.case_id == case_id))
    spoken = patient.spoken_languages
    extra = [language for language in booked if language not in spoken]
    if extra:
        patient.languages = ",".join([*[code for code in patient.languages.split(",") if code], *extra])


# ---------------------------------------------------------------------------------------------- the invoices


def _pablo(user: User, stay, actor_id: int | None) -> str:
    """A treated case: deposit paid, bill approved, final invoice deducting the deposit, a credit note on a line."""
    case_id, admission, discharge = stay
    link_account(user, case_id)
    deposit = _deposit(case_id, actor_id)
    paid_in_full(deposit, actor_id, reference=f"SEPA transfer {user.name}, {deposit.number}")
    bill = _approved_bill(case_id, admission, discharge, BILL_REFERENCES[0], actor_id)
    draft, _ = finals.create_final_draft(case_id, actor_id=actor_id)
    _to_insurer(draft)
    final = issuing.issue_invoice(draft.id, actor_id=actor_id)
    line, amount, reason = _correction(final)
    note = credit_notes.create_credit_note_draft(final.id, actor_id=actor_id, reason=reason, amounts={line.id: amount})
    credit = issuing.issue_invoice(note.id, actor_id=actor_id)
    return (
        f"Invoices of {user.name} ({user.email}), case {get_case(case_id).number}: deposit invoice {deposit.number} "
        f"(paid), final invoice {final.number} from bill {bill.reference} (deducts the deposit), "
        f"credit note {credit.number} (line {line.position})."
    )


def _to_insurer(draft: Invoice) -> None:
    """Pablo's insurer pays his treatment: the final invoice goes to it, with its buyer reference (an XRechnung)."""
    drafts.update_draft(
        draft.id,
        actor_id=None,
        expected_version=None,
        bill_to_name=INSURER["name"],
        bill_to_address=INSURER["address"],
        service_from=draft.service_from,
        service_to=draft.service_to,
        note=draft.note,
        payer=drafts.Payer(**INSURER["payer"]),
    )


def _priya(user: User, cases: list[Case], actor_id: int | None) -> str:
    """Cases before travel: an unpaid deposit invoice each, the second case invoiced in USD. The first was issued
    weeks ago and is overdue: finance may send it a payment reminder."""
    first = cases[0]
    patient = link_account(user, first.id)
    overdue = _deposit(first.id, actor_id, issued_on=operator_today() - timedelta(days=OVERDUE_ISSUED_DAYS_AGO))
    parts = [f"case {first.number}: deposit invoice {overdue.number} (unpaid, overdue since {overdue.due_on})"]
    # Another programme, not yet booked: two trips of hers would overlap.
    others = [case for case in cases[1:] if case.programme_id != first.programme_id]
    second = next((case for case in others if case.state == "confirmed"), None)
    if second is not None:
        _move_case(second.id, patient)
        conversion.set_invoicing_currency(second.id, "USD", actor_id=actor_id)
        deposit = _deposit(
            second.id,
            actor_id,
            exchange_rate=USD_RATE,
            exchange_rate_on=operator_today() - timedelta(days=1),
        )
        parts.append(f"case {second.number}: deposit invoice {deposit.number} in USD (unpaid)")
    return f"Invoices of {user.name} ({user.email}), " + "; ".join(parts) + "."


def paid_in_full(invoice: Invoice, actor_id: int | None, *, reference: str) -> None:
    """The patient pays the whole invoice by bank transfer today."""
    payments.record_payment(
        invoice.id,
        actor_id=actor_id,
        amount=invoice.total,
        currency=invoice.currency,
        received_on=operator_today(),
        method="bank_transfer",
        reference=reference,
    )


def _deposit(case_id: int, actor_id: int | None, *, issued_on: date | None = None, **rate) -> Invoice:
    draft = deposits.create_deposit_draft(case_id, actor_id=actor_id, share_percent=DEPOSIT_SHARE, **rate)
    return issuing.issue_invoice(draft.id, actor_id=actor_id, issued_on=issued_on)


def _correction(final: Invoice) -> tuple[InvoiceLine, Decimal, str]:
    """The line the credit note corrects: one transfer not used; any last line in full if the trip had none."""
    transfers = LOGISTICS_LABELS["transfers"]
    line = next((line for line in final.lines if line.description.startswith(transfers)), None)
    if line is not None:
        return line, min(TRANSFER_CREDIT, line.net_amount), "The return transfer to the airport was not used."
    line = final.lines[-1]
    return line, line.net_amount, f"{line.description} was invoiced in error."


def _approved_bill(case_id: int, admission: date, discharge: date, reference: str, actor_id: int | None):
    """The hospital's bill at resident prices, received a week after discharge, reviewed and approved by finance."""
    received_on = min(discharge + timedelta(days=7), utcnow().date())
    reference = reference.format(year=received_on.year)
    bill = receiving.receive_bill(
        case_id,
        bill_csv(admission, discharge, marked_up=False),
        f"{reference}.csv",
        reference,
        received_on,
        actor_id,
    )
    review.start_review(bill.id, actor_id=actor_id)
    findings = db.session.scalars(select(BillLine.id).where(BillLine.bill_id == bill.id, BillLine.status != "ok"))
    for line_id in list(findings):
        review.decide_line(line_id, "accepted", "Checked with the hospital.", actor_id=actor_id, bill_id=bill.id)
    return review.approve_bill(bill.id, actor_id=actor_id)
