"""Demo data: the directory, ~200 plausible cases in every state, and the large data set for benchmarks."""

from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.auth.models import User
from backoffice.cases.models import STATES, Case, CaseEvent, ScreeningAnswer
from backoffice.cases.operations import open_case
from backoffice.cases.states import PIPELINE, next_states
from backoffice.config import settings
from backoffice.dbtypes import operator_today, utcnow
from backoffice.directory.models import Hospital, PausedDestination, Programme
from backoffice.extensions import db
from backoffice.numbering import next_number, reserve_numbers
from backoffice.offers.models import Offer
from backoffice.offers.operations import accepted_offer
from backoffice.patients.models import Patient
from tests.factories import make_patient


def seed(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", "seed", *args])
    assert result.exit_code == 0, result.output
    return result.output


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_seed_creates_the_frankfurt_clinic_with_the_stem_cell_programme(app):
    seed(app)
    clinic = db.session.scalar(select(Hospital).where(Hospital.code == "FRA-ABM"))
    assert clinic.name == "Clinic of Advanced Biological Medicine" and clinic.city == "Frankfurt am Main"
    assert clinic.country == "DE" and clinic.timezone == "Europe/Berlin"
    assert clinic.languages == ["de", "en", "ru", "ar"]
    programme = db.session.scalar(
        select(Programme)
        .where(Programme.hospital_id == clinic.id, Programme.name == "Stem cell therapy for type 1 diabetes")
        .options(selectinload(Programme.phases), selectinload(Programme.contraindications))
    )
    assert programme.price_from.amount == Decimal("17650.00") and programme.price_from.currency == "EUR"
    assert programme.typical_stay_days == 35 and "autologous" in programme.description
    assert [phase.name for phase in programme.phases] == [
        "Leukocytapheresis and cryopreservation",
        "Conditioning",
        "Thawed-cell infusion",
        "Engraftment",
        "Discharge",
        "Weekly outpatient examinations",
        "Follow-up",
    ]
    assert programme.phases[1].duration == "2-3 weeks after leukocytapheresis"
    assert programme.phases[-1].duration == "5 years" and programme.phases[-2].duration == "2 months"
    assert [(c.question, c.resolution_hint) for c in programme.contraindications] == [
        ("Acute stage of an infectious or chronic disease", "remission reached"),
        ("Pregnancy", "after birth"),
        ("Lactation", "end of lactation"),
    ]


def test_demo_seed_adds_more_german_hospitals_and_the_paused_destinations(app):
    seed(app)
    hospitals = db.session.scalars(select(Hospital).options(selectinload(Hospital.programmes))).all()
    assert 4 <= len(hospitals) - 1 <= 5 and {h.country for h in hospitals} == {"DE"}
    for hospital in hospitals:
        assert 1 <= len(hospital.programmes) <= 3
        assert all(p.price_from.currency == "EUR" for p in hospital.programmes)
    assert set(db.session.scalars(select(PausedDestination.country))) == {"TR", "CH", "KR", "IN"}


def test_demo_seed_adds_about_200_plausible_cases_in_every_state(app):
    seed(app)
    cases = db.session.scalars(
        select(Case).options(
            selectinload(Case.screening), selectinload(Case.programme).selectinload(Programme.contraindications)
        )
    ).all()
    assert len(cases) == 200
    states = Counter(case.state for case in cases)
    assert set(states) == set(STATES)
    assert len({case.number for case in cases}) == 200
    countries = set(db.session.scalars(select(Patient.country).distinct()))
    assert len(countries) >= 20
    now = utcnow()
    new = [case for case in cases if case.state == "new"]
    assert any(case.coordinator_id is None for case in new), "some new cases wait in the queue"
    assert any(case.first_response_due_at < now for case in new), "some requests are overdue"
    coordinators = set(db.session.scalars(select(User.id).where(User.email.like("coordinator%@demo.test"))))
    for case in cases:
        assert case.requested_at < now and case.first_response_due_at > case.requested_at
        if case.state != "new":
            assert case.first_response_at is not None and case.requested_at < case.first_response_at < now
            assert case.coordinator_id in coordinators
        if case.state == "on_hold":
            assert case.state_before_hold in PIPELINE
        if case.state == "cancelled":
            assert case.cancel_reason
        reached = case.state_before_hold if case.state == "on_hold" else case.state
        if reached in PIPELINE and PIPELINE.index(reached) >= PIPELINE.index("programme_offered"):
            offer = db.session.scalar(select(Offer).where(Offer.case_id == case.id))
            assert case.programme_id and case.hospital_id and offer.currency == "EUR" and offer.total > 0
            assert offer.status == ("sent" if reached == "programme_offered" else "accepted")
            questions = [item.question for item in case.programme.contraindications]
            assert [answer.question for answer in case.screening] == questions
        if reached in PIPELINE and PIPELINE.index(reached) >= PIPELINE.index("confirmed"):
            assert all(answer.answer == "no" for answer in case.screening)
    events = Counter(db.session.scalars(select(CaseEvent.kind)))
    assert events["opened"] == 200 and events["transition"] > 200 and events["assigned"] > 0
    transitions = db.session.execute(
        select(CaseEvent.from_state, CaseEvent.to_state).where(CaseEvent.kind == "transition")
    ).all()
    assert all(to in next_states(before) for before, to in transitions), "every step is an edge of the pipeline"


def test_a_second_seed_with_if_empty_does_nothing(app):
    from backoffice.billing.models import HospitalBill
    from backoffice.invoicing.models import Invoice

    seed(app)
    before = (count(User), count(Hospital), count(Case), count(CaseEvent), count(HospitalBill), count(Invoice))
    assert "already holds accounts" in seed(app, "--if-empty")
    second = seed(app)  # without --cases, a database that holds cases gets no more: no bills, no invoices either
    assert (count(User), count(Hospital), count(Case), count(CaseEvent), count(HospitalBill), count(Invoice)) == before
    assert "Invoices of" not in second


def test_demo_seed_with_cases_adds_that_many_and_keeps_numbers_and_ids_going(app):
    seed(app)
    output = seed(app, "--cases", "2000")
    assert "Cases: 2000 added" in output
    # One patient fewer than cases: Priya Patient's two demo cases share her record.
    assert count(Case) == 2200 and count(Patient) == 2199 and count(Hospital) == 5
    assert db.session.scalar(select(func.count(func.distinct(Case.number)))) == 2200
    assert count(ScreeningAnswer) > 0
    # Rows added afterwards get fresh ids (on PostgreSQL the id sequences were moved past the bulk load) and the
    # next case number follows the reserved ones.
    patient = make_patient()
    case = open_case(patient_id=patient.id, requested_treatment="Type 1 diabetes", consent_at=utcnow())
    db.session.commit()
    year_cases = db.session.scalars(select(Case.number).where(Case.number.like(f"C-{utcnow().year}-%"))).all()
    assert case.number == max(year_cases)
    assert int(case.number.rsplit("-", 1)[1]) == len(year_cases)


def test_demo_seed_with_cases_creates_accounts_and_directory_first(app):
    output = seed(app, "--cases", "50")
    assert "8 account(s) created" in output and count(Hospital) == 5 and count(Case) == 50


def test_reserving_numbers_moves_the_series_once_by_the_count(app):
    assert reserve_numbers("case", 2031, 5) == 1
    assert reserve_numbers("case", 2031, 3) == 6
    assert next_number("case", 2031) == 9


def test_demo_cases_have_records_trips_and_follow_ups_as_their_state_requires(app):
    from backoffice.cases import operations
    from backoffice.cases.models import CaseDocument
    from backoffice.logistics.itinerary import case_findings
    from backoffice.logistics.models import FollowUp, HospitalAppointment

    seed(app)
    with_records = set(db.session.scalars(select(CaseDocument.case_id)))
    with_trips = set(
        db.session.scalars(select(HospitalAppointment.case_id).where(HospitalAppointment.status == "confirmed"))
    )
    with_follow_ups = set(db.session.scalars(select(FollowUp.case_id)))
    for case in db.session.scalars(select(Case)):
        reached = case.state_before_hold if case.state == "on_hold" else case.state
        if reached not in PIPELINE:
            continue
        step = PIPELINE.index(reached)
        assert (case.id in with_records) == (step >= PIPELINE.index("records_review")), case.number
        assert (case.id in with_trips) == (step >= PIPELINE.index("travel_booked")), case.number
        if step >= PIPELINE.index("discharged") and case.programme_id:
            programme = db.session.get(Programme, case.programme_id)
            assert (case.id in with_follow_ups) == bool(programme.follow_up_schedule), case.number
    # Seeded trips are laid out without gaps: their itineraries show no problems.
    for case_id in with_trips:
        assert [f.message for f in case_findings(case_id) if f.severity == "problem"] == []
    # A seeded case in treatment passes every guard on its way to discharge; one with travel booked waits only for
    # its admission day.
    treated = db.session.scalar(select(Case.id).where(Case.state == "in_treatment"))
    assert operations.blockers(operations.get_case(treated), "discharged") == []
    booked = db.session.scalar(select(Case.id).where(Case.state == "travel_booked"))
    [waiting] = operations.blockers(operations.get_case(booked), "in_treatment")
    assert waiting.startswith("The patient is admitted on")


def test_demo_seed_imports_a_tariff_and_receives_a_marked_up_bill(app):
    from backoffice.billing.models import BillLine, HospitalBill
    from backoffice.billing.tariffs.current import current_tariff

    seed(app)
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == "FRA-ABM"))
    assert len(current_tariff(hospital.id)) >= 10
    programme = db.session.scalar(select(Programme).where(Programme.name.like("Stem cell%")))
    assert "ABM-LEUK" in programme.tariff_codes.split()
    bill = db.session.scalars(select(HospitalBill).where(HospitalBill.reference == "ABM-2026-0815")).one()
    statuses = Counter(db.session.scalars(select(BillLine.status).where(BillLine.bill_id == bill.id)))
    assert bill.status == "received" and statuses["overcharged"] >= 3
    assert statuses["duplicate"] == 1 and statuses["unknown_code"] == 1


# ---------------------------------------------------------------------------------------------- invoices


def demo_patient(email):
    """The demo login's Patient record and its issued invoices and credit notes (oldest number first)."""
    from backoffice.invoicing import queries

    user = db.session.scalar(select(User).where(User.email == email))
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id))
    assert patient is not None, f"{email} is not linked to a patient record"
    return user, patient, sorted(queries.issued_documents_of_patient(patient.id), key=lambda invoice: invoice.id)


def test_demo_patients_are_linked_to_records_that_own_issued_invoices_archived_as_issued(app):
    import hashlib

    from backoffice.storage import archive

    seed(app)
    for email, name in (("patient@demo.test", "Pablo Patient"), ("patient2@demo.test", "Priya Patient")):
        user, patient, invoices = demo_patient(email)
        assert (patient.name, patient.email) == (name, email) == (user.name, user.email)
        assert patient.country and len(patient.address.splitlines()) >= 3
        assert invoices, f"{email} owns no issued invoice"
        for invoice in invoices:
            stored = (settings(app).invoice_archive / invoice.pdf_filename).read_bytes()
            assert stored.startswith(b"%PDF-") and len(stored) == invoice.pdf_size
            assert hashlib.sha256(stored).hexdigest() == invoice.pdf_sha256
            assert archive.read_pdf(invoice.pdf_filename, invoice.pdf_sha256) == stored
            if invoice.bill_to_reference:  # Pablo's insurer pays his final invoice and takes its credit note
                assert invoice.kind in ("final", "credit_note") and invoice.bill_to_name.startswith("Allianz Care")
            else:
                assert invoice.bill_to_name == name and invoice.bill_to_address == patient.address
        # The records were seeded for other patients: their trips now name the demo patient.
        from backoffice.logistics.models import Flight

        flights = db.session.scalars(
            select(Flight).join(Case, Case.id == Flight.case_id).where(Case.patient_id == patient.id)
        )
        assert all(flight.passengers == name for flight in flights)


def test_demo_invoice_numbers_are_consecutive_per_series_and_year(app):
    from backoffice.invoicing.models import Invoice

    seed(app)
    numbers = db.session.execute(select(Invoice.number, Invoice.issue_date).where(Invoice.status != "draft")).all()
    series = Counter()
    for number, issued_on in numbers:
        prefix, year, _ = number.split("-")
        assert int(year) == issued_on.year
        series[prefix, year] += 1
    assert {prefix for prefix, _ in series} == {"INV", "CN"}
    for (prefix, year), n in series.items():
        serials = sorted(int(number.split("-")[2]) for number, _ in numbers if number.startswith(f"{prefix}-{year}-"))
        assert serials == list(range(1, n + 1)), prefix


def test_the_second_demo_patient_owns_none_of_the_first_ones_invoices(app):
    from backoffice.invoicing import queries

    seed(app)
    _, pablo, pablos = demo_patient("patient@demo.test")
    _, priya, priyas = demo_patient("patient2@demo.test")
    assert pablo.id != priya.id
    assert {invoice.number for invoice in pablos}.isdisjoint(invoice.number for invoice in priyas)
    assert {invoice.case_id for invoice in pablos}.isdisjoint(invoice.case_id for invoice in priyas)
    for invoice in pablos:
        assert queries.issued_by_number(invoice.number, patient_id=priya.id) is None
        assert queries.issued_by_number(invoice.number, patient_id=pablo.id).id == invoice.id


def test_pablos_treated_case_has_a_paid_deposit_a_final_invoice_deducting_it_and_a_credit_note(app):
    from backoffice.billing.models import HospitalBill
    from backoffice.invoicing import accounts
    from backoffice.invoicing.invoices import get_invoice

    output = seed(app)
    _, pablo, invoices = demo_patient("patient@demo.test")
    by_kind = {invoice.kind: invoice for invoice in invoices}
    assert sorted(by_kind) == ["credit_note", "deposit", "final"] and len(invoices) == 3
    # Each with its lines, deductions and payments (loading one reloads the invoices it refers to).
    credit = get_invoice(by_kind["credit_note"].id)
    final = get_invoice(by_kind["final"].id)
    deposit = get_invoice(by_kind["deposit"].id)
    case = db.session.get(Case, final.case_id)
    assert case.patient_id == pablo.id and case.state in ("discharged", "aftercare", "closed")
    assert accepted_offer(case.id) is not None and deposit.case_id == credit.case_id == case.id
    assert deposit.status == "paid" and accounts.account_of(deposit).paid == deposit.total
    bill = db.session.get(HospitalBill, final.hospital_bill_id)
    assert bill.case_id == case.id and bill.status == "approved"
    assert [(d.deposit_invoice_id, d.amount) for d in final.deductions] == [(deposit.id, deposit.total)]
    assert final.deductions_total == deposit.total
    assert {line.kind for line in final.lines} >= {"treatment", "hotel", "fee"}
    [line] = credit.lines
    corrected = next(original for original in final.lines if original.id == line.credited_line_id)
    assert credit.credited_invoice_id == final.id and 0 < line.net_amount <= corrected.net_amount
    outstanding = final.total - deposit.total - credit.total
    assert accounts.account_of(final).outstanding == outstanding > 0 and final.status == "issued"
    assert f"case {case.number}" in output and all(invoice.number in output for invoice in invoices)


def test_priyas_cases_before_travel_have_unpaid_deposits_one_in_us_dollars(app):
    seed(app)
    _, priya, invoices = demo_patient("patient2@demo.test")
    cases = db.session.scalars(select(Case).where(Case.patient_id == priya.id).order_by(Case.id)).all()
    assert len(cases) == 2 and all(case.state in ("confirmed", "travel_booked") for case in cases)
    assert all(accepted_offer(case.id) is not None for case in cases)
    assert [(invoice.kind, invoice.status) for invoice in invoices] == [("deposit", "issued")] * 2
    assert {invoice.case_id for invoice in invoices} == {case.id for case in cases}
    euros, dollars = invoices
    assert (euros.currency, euros.exchange_rate) == ("EUR", None)
    assert dollars.currency == "USD" and dollars.base_currency == "EUR"
    assert dollars.exchange_rate == Decimal("1.085") and dollars.exchange_rate_on < dollars.issue_date
    assert db.session.get(Case, dollars.case_id).invoicing_currency == "USD"


def test_the_demo_keeps_a_bill_to_audit_and_a_case_for_finance_to_invoice_by_hand(app):
    from backoffice.billing.models import HospitalBill
    from backoffice.invoicing.models import Invoice

    output = seed(app)
    audit = db.session.scalar(select(HospitalBill).where(HospitalBill.reference == "ABM-2026-0815"))
    assert audit.status == "received" and "ABM-2026-0815" in output
    assert db.session.scalar(select(Invoice.id).where(Invoice.case_id == audit.case_id)) is None
    invoiced = set(db.session.scalars(select(Invoice.case_id)))
    ready = db.session.scalars(
        select(HospitalBill).where(HospitalBill.status == "approved", HospitalBill.case_id.not_in(invoiced))
    ).all()
    assert len(ready) == 1
    number = db.session.get(Case, ready[0].case_id).number
    assert f"Ready for finance to invoice by hand: case {number}" in output


def test_the_demo_has_sandbox_pharmacies_for_medicine_orders(app):
    from backoffice.shipments.models import Pharmacy

    seed(app)
    pharmacies = db.session.scalars(select(Pharmacy).order_by(Pharmacy.name)).all()
    assert {pharmacy.provider for pharmacy in pharmacies} == {"sandbox"}
    assert any(pharmacy.cold_chain for pharmacy in pharmacies)


def test_the_demo_coordinators_find_notifications_in_their_centre_one_of_them_read(app):
    from backoffice.notifications.models import Notification

    seed(app)
    for email in ("coordinator@demo.test", "coordinator2@demo.test"):
        user = db.session.scalar(select(User).where(User.email == email))
        mine = list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))
        kinds = {n.kind for n in mine}
        assert "new_request" in kinds and len(mine) >= 3, (email, kinds)
        assert sum(n.read_at is not None for n in mine) == 1
        assert all(n.text.startswith("C-") for n in mine)


def test_the_demo_has_an_overdue_deposit_an_insurers_xrechnung_a_zugferd_bill_and_a_hotels_e_invoice(app):
    from backoffice.einvoice.reading import read_with_format
    from backoffice.invoicing.e_invoices import xrechnung_of
    from backoffice.invoicing.invoices import get_invoice
    from backoffice.invoicing.models import Invoice
    from backoffice.suppliers.models import SupplierInvoice

    seed(app)
    today = operator_today()
    overdue = db.session.scalars(select(Invoice).where(Invoice.kind == "deposit", Invoice.due_on < today)).all()
    assert overdue and all(invoice.status == "issued" for invoice in overdue)
    insured = db.session.scalar(select(Invoice.id).where(Invoice.kind == "final", Invoice.bill_to_reference != ""))
    assert b"AC-CLAIM-2026-55871" in xrechnung_of(get_invoice(insured))
    pdf = Path(app.instance_path, "demo-bill-FRA-ABM.pdf").read_bytes()
    form, document = read_with_format(pdf)
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == "FRA-ABM"))
    assert form == "facturx" and document.seller.vat_id == hospital.vat_id and len(document.lines) >= 8
    hotel = db.session.scalar(select(SupplierInvoice))
    assert hotel.kind == "hotel" and hotel.status == "received"
