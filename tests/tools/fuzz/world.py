"""The data the sweep runs on: the demo data set plus the records whose pages carry the forms the demo does not
show, and the accounts the sweep signs in with."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from backoffice.extensions import db
from tests.helpers import BackofficeClient

DEMO_PASSWORD = "demo-password"
ROLE_ACCOUNTS = {
    "admin": "admin@demo.test",
    "coordinator": "coordinator@demo.test",
    "finance": "finance@demo.test",
    "patient": "patient@demo.test",
    "anonymous": None,
}


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)  # public links: invitation, calendar feed
    account_ids: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # sweep role -> the role its account holds (repaired)
    urls: list[str] = field(default_factory=list)  # pages of the records added for their forms: crawled first


def build_world(app) -> World:
    """The demo data set plus the records the demo lacks (each makes one more form appear), committed."""
    from datetime import timedelta

    from backoffice.auth.models import User
    from backoffice.billing.bills import review
    from backoffice.billing.models import HospitalBill
    from backoffice.cases.models import Case, CaseDocument, ScreeningAnswer
    from backoffice.dbtypes import utcnow
    from backoffice.directory.models import Hospital
    from backoffice.invoicing import accounts, credit_notes, deposits, finals, issuing, payments
    from backoffice.invoicing.models import Invoice
    from backoffice.jobs import AppSimpleWorker, get_queue, make_worker
    from backoffice.logistics.itinerary import calendar
    from backoffice.portal import invites
    from backoffice.shipments import operations as shipments
    from backoffice.shipments.models import Pharmacy
    from tests.factories import make_hospital, make_user
    from tests.invoicing.factories import make_approved_bill
    from tests.logistics.factories import make_flight, make_hotel, make_interpreter, make_interpreter_booking
    from tests.shipments.factories import make_prescription, order_input, run_jobs, submitted_order

    redis_connection_of(app).flushdb()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    world = World()
    for role, email in ROLE_ACCOUNTS.items():
        if email:
            user = db.session.scalar(select(User).where(User.email == email))
            world.account_ids[role] = user.id
            world.roles[role] = user.role
    coordinator, finance = world.account_ids["coordinator"], world.account_ids["finance"]

    def cases_in(state: str) -> list[Case]:
        return db.session.scalars(select(Case).where(Case.state == state).order_by(Case.id)).all()

    # Medicine orders: a draft (edit, submit) and a submitted one (cancel); a refused one fails in the job outbox,
    # and a job from outside the outbox fails in Redis (the administrators' requeue buttons).
    pharmacy = db.session.scalars(select(Pharmacy).order_by(Pharmacy.id)).first()
    discharged = cases_in("discharged")
    for case, submit in ((discharged[0], False), (discharged[1], True)):
        prescription = make_prescription(case, uploaded_by=db.session.get(User, coordinator))
        order = shipments.create_order(case.id, order_input(pharmacy, prescription), actor_id=coordinator)
        if submit:
            shipments.submit_order(order.id, actor_id=coordinator, expected_version=None)
        world.urls += [f"/medicine-orders/{order.id}", f"/medicine-orders/{order.id}/progress.json"]
    db.session.commit()
    rq_log = logging.getLogger("rq.worker")
    level, rq_log.level = rq_log.level, logging.CRITICAL  # the job failing on purpose need not print its traceback
    try:
        submitted_order(behaviour="refused", case=discharged[2])
        run_jobs(app)
        get_queue().enqueue("builtins.int", "not a number")
        make_worker(app, worker_class=AppSimpleWorker).work(burst=True, with_scheduler=False)
    finally:
        rq_log.setLevel(level)
    db.session.remove()
    discharged = cases_in("discharged")

    # Billing: the demo's received bill disputed (correction, dispute letter); one bill received (start the review)
    # and one under review (decide lines, approve, dispute).
    from backoffice.billing.models import BillLine

    received = db.session.scalars(select(HospitalBill).where(HospitalBill.status == "received")).first()
    review.start_review(received.id, actor_id=finance)
    line = db.session.scalars(select(BillLine).where(BillLine.bill_id == received.id).order_by(BillLine.id)).first()
    review.decide_line(line.id, "disputed", "Charged above the resident tariff", actor_id=finance)
    review.dispute_bill(received.id, actor_id=finance)
    for case, status in ((discharged[3], "received"), (discharged[4], "under_review")):
        case.hospital_id = case.hospital_id or received.hospital_id
        make_approved_bill(case, status=status)
    world.urls += [f"/billing/bills/{bill_id}" for bill_id in db.session.scalars(select(HospitalBill.id))]
    # Supplier invoices: the demo's hotel e-invoice (its page, original and decision form).
    from backoffice.suppliers.models import SupplierInvoice

    world.urls += [f"/supplier-invoices/{id_}" for id_ in db.session.scalars(select(SupplierInvoice.id))]

    # Invoicing: a draft final invoice; a paid deposit then credited in full (a refund is due on it).
    for bill in db.session.scalars(select(HospitalBill).where(HospitalBill.status == "approved")).all():
        try:
            with db.session.begin_nested():
                draft, _ = finals.create_final_draft(bill.case_id, actor_id=finance)
            world.urls.append(f"/invoices/{draft.id}")
            break
        except Exception:  # a case the rules refuse simply gets no draft; the next one is tried
            continue
    deposit = db.session.scalars(
        select(Invoice).where(Invoice.kind == "deposit", Invoice.status == "issued").order_by(Invoice.id)
    ).first()
    if deposit is not None:
        try:
            with db.session.begin_nested():
                account = accounts.account_of(deposit)
                payments.record_payment(
                    deposit.id,
                    actor_id=finance,
                    amount=account.outstanding,
                    currency=deposit.currency,
                    received_on=utcnow().date(),
                    method="bank_transfer",
                )
                note = credit_notes.create_credit_note_draft(
                    deposit.id,
                    actor_id=finance,
                    reason="Trip cancelled",
                    amounts={line.id: None for line in deposit.lines},
                )
                issuing.issue_invoice(note.id, actor_id=finance)
            world.urls.append(f"/invoices/{deposit.id}")
        except Exception:  # without it the refund form is not found, which the coverage test names
            pass
    # Invoicing: a deposit paid beyond what was open (a credit on its case) and a second deposit open beside it, so
    # the case's credit can be applied or refunded.
    open_deposit = db.session.scalars(
        select(Invoice)
        .where(Invoice.kind == "deposit", Invoice.status == "issued", Invoice.id != getattr(deposit, "id", None))
        .order_by(Invoice.id.desc())
    ).first()
    if open_deposit is not None:
        try:
            with db.session.begin_nested():
                payments.record_payment(
                    open_deposit.id,
                    actor_id=finance,
                    amount=accounts.account_of(open_deposit).outstanding + 100,
                    currency=open_deposit.currency,
                    received_on=utcnow().date(),
                    method="bank_transfer",
                )
                rate = {"exchange_rate": open_deposit.exchange_rate, "exchange_rate_on": open_deposit.exchange_rate_on}
                second = deposits.create_deposit_draft(open_deposit.case_id, actor_id=finance, amount="50", **rate)
                issuing.issue_invoice(second.id, actor_id=finance)
            world.urls.append(f"/cases/{open_deposit.case_id}/invoices")
        except Exception:  # without it the credit forms are not found, which the coverage test names
            pass
    invoiced = set(db.session.scalars(select(Invoice.case_id)))
    plain = next(case for case in cases_in("discharged")[5:] if case.id not in invoiced)
    world.urls.append(f"/cases/{plain.id}/invoices")  # no invoice yet: its invoicing currency may be set

    # Cases: an open contraindication to resolve; bookings still requested (confirm); inactive records (reactivate).
    answer = db.session.scalars(select(ScreeningAnswer).order_by(ScreeningAnswer.id)).first()
    answer.answer, answer.resolved_on = "yes", None
    world.urls.append(f"/cases/{answer.case_id}")
    booked = cases_in("travel_booked") or cases_in("confirmed")
    open_case = booked[0]
    start = utcnow().date() + timedelta(days=30)
    make_hotel(open_case, check_in_on=start, check_out_on=start + timedelta(days=3), status="requested")
    interpreter = make_interpreter(name="Fuzz Interpreter")
    make_interpreter_booking(
        open_case, interpreter, starts_at=utcnow() + timedelta(days=31), status="requested", language="en"
    )
    world.urls += [f"/cases/{open_case.id}/bookings", f"/cases/{open_case.id}/interpreters"]
    # A flight nobody meets: the itinerary has an open problem, so its PDF asks before it is downloaded anyway.
    make_flight(open_case, departs_at=utcnow() + timedelta(days=29), arrives_at=utcnow() + timedelta(days=29, hours=6))
    world.urls.append(f"/cases/{open_case.id}/itinerary.pdf")
    # A discharged case whose failed medicine order left a reminder (mark it done) and where follow-ups are added.
    world.urls.append(f"/cases/{discharged[2].id}")
    world.urls.append(f"/interpreters/{make_interpreter(name='Retired Interpreter', active=False).id}")
    world.urls.append(f"/directory/hospitals/{make_hospital(active=False).id}")
    world.urls.append(f"/admin/users/{make_user('coordinator', active=False).id}")

    # Pages whose forms a short crawl may not reach: a case in the queue (take it, choose its programme), a case with
    # medical records (download), another staff account (deactivate, change role).
    queued = next(case for case in cases_in("new") if case.coordinator_id is None)
    with_records = db.session.scalars(select(CaseDocument.case_id).order_by(CaseDocument.id)).first()
    colleague = db.session.scalar(select(User.id).where(User.email == "coordinator2@demo.test"))
    world.urls += [f"/cases/{queued.id}", f"/cases/{with_records}", f"/admin/users/{colleague}"]
    # A message on the thread of the case with records, with an HTML body and a file: its page, frame and download.
    from backoffice.messages.operations import OutgoingAttachment, queue_message

    message = queue_message(
        kind="manual",
        to=["fuzz.patient@example.org"],
        subject="Your records",
        body_text="Attached.\n",
        body_html="<p>Attached.</p>",
        case_id=with_records,
        actor_id=coordinator,
        counterpart="patient",
        attachments=[OutgoingAttachment("records.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n", health_data=True)],
    )
    world.urls += [f"/cases/{with_records}/messages/{message.id}", f"/cases/{with_records}/messages/{message.id}/html"]
    clinic = db.session.scalar(select(Hospital.id).where(Hospital.code == "FRA-ABM"))
    world.urls += [f"/directory/hospitals/{clinic}", f"/interpreters/{interpreter.id}"]
    invited = cases_in("new")[0]  # invited by an administrator: the case need not be this coordinator's
    made = invites.invite_patient(invited.id, actor_id=world.account_ids["admin"])
    world.tokens["invite"] = made.token
    world.urls.append(f"/cases/{invited.id}")  # as an admin: the reset-link form of the account just opened
    _, world.tokens["calendar"] = calendar.create_feed(coordinator, actor_id=coordinator)
    world.urls += [f"/invite/{world.tokens['invite']}", f"/calendar/{world.tokens['calendar']}.ics"]
    world.urls.append(f"/messages/unmatched/{_unmatched_mail()}")  # assign it to a case, or discard it; its file
    _portal_trip_and_documents(world)
    _offers(world)
    _portal_offer(world)
    _datev_export(world, finance)
    _data_requests(world, coordinator)
    db.session.commit()
    return world


def _data_requests(world: World, coordinator: int) -> None:
    """Issue 20: a copy of one patient's data asked for by a colleague (the admin's confirm and withdraw buttons), one
    prepared (the download-once button), both on the list the administrators' menu opens, and a patient with none
    (the button that asks)."""
    from backoffice.patients.models import Patient
    from backoffice.rights import operations as rights
    from tests.factories import make_patient

    first, second, third = db.session.scalars(select(Patient.id).order_by(Patient.id).limit(3)).all()
    rights.request_export(first, actor_id=coordinator)
    ready = rights.request_export(second, actor_id=coordinator)
    rights.confirm(ready.id, actor_id=world.account_ids["admin"])
    db.session.commit()
    rights.prepare_export(ready.id)
    world.urls += [f"/patients/{first}/data", f"/patients/{second}/data", f"/patients/{third}/data"]  # none asked
    # erasure: a patient with nothing open (the button that asks), one erased (the certificate, its PDF), one whose
    # erasure stopped (the button that resumes it)
    erasable, erased, stopped = (make_patient(name=f"Fuzz Erasable {n}") for n in range(3))
    for patient in (erased, stopped):
        asked = rights.request_erasure(patient.id, actor_id=coordinator)
        rights.confirm(asked.id, actor_id=world.account_ids["admin"])
        db.session.commit()
        if patient is erased:
            rights.erase(asked.id)
        else:
            rights.request_failed({"request_id": asked.id}, "the store did not answer")
    world.urls += [f"/patients/{p.id}/data" for p in (erasable, erased, stopped)]


def _offers(world: World) -> None:
    """Issue 18: a draft offer (its item, terms, schedule, services and send forms) and a sent one (the PDF, the next
    version, an acceptance or a decline recorded by the coordinator), of the demo's priced programme."""
    from backoffice.auth.models import User
    from backoffice.directory.models import Programme
    from backoffice.offers import operations as offers
    from tests.factories import make_case

    coordinator = db.session.get(User, world.account_ids["coordinator"])
    programme = db.session.scalars(select(Programme).where(Programme.tariff_codes != "").order_by(Programme.id)).first()
    made = []
    for _ in range(2):
        case = make_case(
            state="records_review",
            coordinator=coordinator,
            hospital_id=programme.hospital_id,
            programme_id=programme.id,
        )
        made.append(offers.start_offer(case.id, actor_id=coordinator.id))
    offers.send_offer(made[1].id, actor_id=coordinator.id)
    world.urls += [f"/cases/{offer.case_id}/offers/{offer.id}" for offer in made]


def _datev_export(world: World, finance: int) -> None:
    """A recorded DATEV export (its page and archived file are linked from the list), and the export page of this
    year, whose invoices no export carried yet (the export form)."""
    from datetime import date

    from backoffice.accounting.models import DatevExport
    from backoffice.dbtypes import operator_today
    from backoffice.storage import archive

    stored = archive.store_file("EXTF_Buchungsstapel_sweep", 2026, b'"EXTF";700\r\n', suffix="csv", kind="datev_export")
    db.session.add(
        DatevExport(
            period_from=date(2026, 11, 1),
            period_to=date(2026, 11, 30),
            chart="SKR03",
            booking_count=0,
            filename=stored.filename,
            sha256=stored.sha256,
            size=stored.size,
            created_by_id=finance,
        )
    )
    today = operator_today()
    world.urls.append(f"/accounting/datev?from={today.year}-01-01&to={today.isoformat()}")


def _portal_offer(world: World) -> None:
    """Issue 18: the demo patient gets a sent treatment offer priced from a tariff, its PDF archived (the demo's
    offers from typed estimates have none): its page, its PDF, accepting and declining."""
    from backoffice.auth.models import User
    from backoffice.patients.models import Patient
    from tests.offers.priced import make_offer_case, make_sent_offer

    patient = db.session.scalar(select(Patient).where(Patient.user_id == world.account_ids["patient"]))
    coordinator = db.session.get(User, world.account_ids["coordinator"])
    make_sent_offer(make_offer_case(patient=patient), coordinator=coordinator)


def _portal_trip_and_documents(world: World) -> None:
    """Issue 17: the demo patient gets a second case (the portal offers a choice of case), a document shared with
    them (its download) and one asked of them (the form that sends it)."""
    from datetime import timedelta

    from backoffice.auth.models import User
    from backoffice.cases import document_sharing, documents
    from backoffice.dbtypes import utcnow
    from backoffice.patients.models import Patient
    from tests.factories import make_case, make_patient
    from tests.logistics.factories import make_hotel

    coordinator = world.account_ids["coordinator"]
    patient = db.session.scalar(select(Patient).where(Patient.user_id == world.account_ids["patient"]))
    if patient is None:
        patient = make_patient(email=ROLE_ACCOUNTS["patient"])
        patient.user_id = world.account_ids["patient"]
    case = make_case(patient=patient, state="confirmed", coordinator=db.session.get(User, coordinator))
    offer = documents.store_bytes(
        case.id, "offer.pdf", b"%PDF-1.4\n%%EOF\n", description="", actor_id=coordinator, document_type="letter"
    )
    document_sharing.share_document(case.id, offer.id, coordinator)
    document_sharing.ask_for_document(case.id, "Your latest blood test", coordinator)
    start = utcnow().date() + timedelta(days=40)
    make_hotel(case, check_in_on=start, check_out_on=start + timedelta(days=5))  # the trip's PDF is offered
    world.urls.append(f"/cases/{case.id}")  # staff: stop sharing the document, withdraw the request


def _unmatched_mail() -> int:
    """A received mail that matched no case, with HTML and a PDF waiting for its case (through the fetch job's
    own receiving code)."""
    from email.message import EmailMessage

    from backoffice.messages.models import Message
    from backoffice.messages.receiving import receive

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "unknown@elsewhere.example", "care@medtravel.example", "My scan"
    mail["Message-ID"] = "<fuzz-unmatched@elsewhere.example>"
    mail.set_content("Please file the attached scan.")
    mail.add_alternative("<p>Please file the attached <b>scan</b>.</p>", subtype="html")
    mail.add_attachment(b"%PDF-1.7\n%%EOF\n", maintype="application", subtype="pdf", filename="scan.pdf")
    receive(mail.as_bytes())
    return db.session.scalar(select(Message.id).where(Message.message_id == "<fuzz-unmatched@elsewhere.example>"))


def redis_connection_of(app):
    from backoffice.jobs import redis_connection

    with app.app_context():
        return redis_connection()


def sign_in(client: BackofficeClient, role: str) -> None:
    email = ROLE_ACCOUNTS[role]
    if email is None:
        return
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"sign-in as {role} failed: {response.status_code}"
