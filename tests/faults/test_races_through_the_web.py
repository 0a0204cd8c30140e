"""Races through the web pages, as two people cause them: two browsers, each signed in, posting at the same moment.

Two coordinators booking one interpreter for overlapping times get one booking; the other is told, by name, that the
interpreter is already booked. Two coordinators moving one case from the same page get one winner; the other is told
someone else changed it, and one transition is stored. Finance clerks issuing at once through the issue button get
consecutive numbers. On PostgreSQL the requests really overlap (row locks decide); SQLite lets one writer in at a
time, and the same rules must hold there too.
"""

from __future__ import annotations

import html
import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from backoffice.cases.models import Case, CaseEvent
from backoffice.extensions import db
from backoffice.invoicing import deposits
from backoffice.invoicing.models import Invoice
from backoffice.logistics.models import InterpreterBooking
from backoffice.numbering import NumberSeries
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_patient, make_user
from tests.helpers import login_as
from tests.invoicing.factories import make_invoicing_case
from tests.logistics.factories import local, make_interpreter

ROUNDS = 4


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def browser(app, user):
    client = app.test_client()
    login_as(client, user)
    return client


def at_once(requests: dict[str, object]) -> dict[str, object]:
    """Run each named request (a callable) in its own thread, all released together; returns their responses."""
    barrier = threading.Barrier(len(requests))
    responses: dict[str, object] = {}

    def run(name: str, request) -> None:
        try:
            barrier.wait(timeout=30)
            responses[name] = request()
        except Exception as error:  # reported by the assertions, not lost in the thread
            responses[name] = error

    threads = [threading.Thread(target=run, args=item) for item in requests.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def statuses(responses: dict[str, object]) -> list[object]:
    return sorted(getattr(response, "status_code", repr(response)) for response in responses.values())


# ---------------------------------------------------------------------------------------------- one interpreter


def test_two_coordinators_booking_one_interpreter_at_once_get_one_booking_and_a_message(app):
    hospital = make_hospital(name="Clinic of Advanced Biological Medicine")
    carla, conrad = make_user("coordinator", name="Carla"), make_user("coordinator", name="Conrad")
    first = make_case(state="confirmed", hospital_id=hospital.id, patient=make_patient(name="Amira Saleh"))
    second = make_case(state="confirmed", hospital_id=hospital.id, patient=make_patient(name="Omar Saleh"))
    interpreter = make_interpreter(name="Layla Haddad", languages=("ar", "en"))
    db.session.commit()
    interpreter_id, first_day = interpreter.id, date.today() + timedelta(days=30)
    browsers = {"carla": browser(app, carla), "conrad": browser(app, conrad)}
    cases = {"carla": (first.id, "10:00", "12:00"), "conrad": (second.id, "11:00", "13:00")}

    for round_number in range(ROUNDS):
        day = first_day + timedelta(days=round_number)

        def book(name: str, day: date = day):
            case_id, starts, ends = cases[name]
            form = {
                "interpreter_id": str(interpreter_id),
                "language": "ar",
                "day": day.isoformat(),
                "starts": starts,
                "ends": ends,
                "place": "Clinic of Advanced Biological Medicine, Frankfurt",
                "cost_amount": "",
                "cost_currency": "EUR",
                "notes": "",
            }
            return browsers[name].post(f"/cases/{case_id}/interpreters/book", data=form)

        responses = at_once({name: (lambda name=name: book(name)) for name in browsers})
        assert statuses(responses) == [302, 422], (round_number, responses)
        refused = next(response for response in responses.values() if response.status_code == 422)
        page = text(refused)
        assert "Layla Haddad is already booked" in page, page
        assert "Traceback" not in page
        stored = db.session.scalar(
            select(func.count())
            .select_from(InterpreterBooking)
            .where(
                InterpreterBooking.interpreter_id == interpreter_id,
                InterpreterBooking.starts_at >= local(day, 0),
                InterpreterBooking.starts_at < local(day + timedelta(days=1), 0),
            )
        )
        db.session.rollback()
        assert stored == 1, (round_number, stored)

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == ROUNDS
    booked = select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "booking")
    assert db.session.scalar(booked) == ROUNDS  # no trace of a booking that was refused


# ---------------------------------------------------------------------------------------------- one case


def test_two_coordinators_moving_one_case_at_once_give_one_winner_and_a_clear_message(app):
    carla, conrad = make_user("coordinator", name="Carla"), make_user("coordinator", name="Conrad")
    case = make_case(state="contacted", coordinator=carla)
    db.session.commit()
    case_id, number, version = case.id, case.number, case.version
    browsers = {"carla": browser(app, carla), "conrad": browser(app, conrad)}
    for client in browsers.values():  # both have the case page open, at the same version
        assert client.get(f"/cases/{case_id}").status_code == 200
    moves = {
        "carla": {"to_state": "on_hold", "note": "waiting for lab results", "version": str(version)},
        "conrad": {"to_state": "cancelled", "note": "patient withdrew", "version": str(version)},
    }

    responses = at_once(
        {
            name: (lambda name=name: browsers[name].post(f"/cases/{case_id}/transition", data=moves[name]))
            for name in moves
        }
    )

    assert statuses(responses) == [302, 409], responses
    winner = next(name for name, response in responses.items() if response.status_code == 302)
    loser = next(name for name, response in responses.items() if response.status_code == 409)
    page = text(responses[loser])
    assert f"Case {number} was changed by someone else" in page and "Traceback" not in page
    db.session.expire_all()
    stored = db.session.get(Case, case_id)
    assert stored.state == moves[winner]["to_state"] and stored.version == version + 1
    transitions = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
    )
    assert [(event.actor_id, event.note) for event in transitions] == [
        ({"carla": carla.id, "conrad": conrad.id}[winner], moves[winner]["note"])
    ]
    audited = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case_transition")
    assert db.session.scalar(audited) == 1
    # The loser's page shows the case as it is now, ready to retry.
    assert (
        text(browsers[loser].get(f"/cases/{case_id}")).count(
            "waiting for lab results" if winner == "carla" else "patient withdrew"
        )
        >= 1
    )


# ---------------------------------------------------------------------------------------------- the issue button


CLERKS = 3  # on SQLite each waits for the others' issues, within its 5 s busy timeout
PER_CLERK = 3


def test_finance_clerks_issuing_at_once_through_the_issue_button_get_consecutive_numbers(app):
    case = make_invoicing_case(estimate="1000000.00")
    drafts = [
        deposits.create_deposit_draft(case.id, actor_id=None, amount="10.00").id for _ in range(CLERKS * PER_CLERK)
    ]
    clerks = [make_user("finance", name=f"Clerk {n}") for n in range(CLERKS)]
    db.session.commit()
    browsers = [browser(app, clerk) for clerk in clerks]

    def issue_share(n: int):
        return [
            browsers[n].post(f"/invoices/{draft_id}/issue", data={"version": "1"}).status_code
            for draft_id in drafts[n * PER_CLERK : (n + 1) * PER_CLERK]
        ]

    responses = at_once({f"clerk-{n}": (lambda n=n: issue_share(n)) for n in range(CLERKS)})
    assert all(codes == [302] * PER_CLERK for codes in responses.values()), responses
    db.session.expire_all()
    numbers = db.session.scalars(select(Invoice.number).where(Invoice.id.in_(drafts))).all()
    assert sorted(int(number.rsplit("-", 1)[1]) for number in numbers) == list(range(1, len(drafts) + 1))
    assert db.session.scalar(select(NumberSeries.last_number).where(NumberSeries.series == "INV")) == len(drafts)


def test_one_draft_issued_from_two_browsers_at_once_is_issued_once(app):
    case = make_invoicing_case()
    draft_id = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00").id
    frida, fred = make_user("finance", name="Frida"), make_user("finance", name="Fred")
    db.session.commit()
    browsers = {"frida": browser(app, frida), "fred": browser(app, fred)}

    responses = at_once(
        {
            name: (lambda name=name: browsers[name].post(f"/invoices/{draft_id}/issue", data={"version": "1"}))
            for name in browsers
        }
    )

    assert statuses(responses) == [302, 409], responses
    db.session.expire_all()
    number = db.session.get(Invoice, draft_id).number
    refused = text(next(response for response in responses.values() if response.status_code == 409))
    assert f"This draft was issued already as {number}" in refused or "changed by someone else" in refused
    assert db.session.scalar(select(NumberSeries.last_number).where(NumberSeries.series == "INV")) == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "invoice.issued")) == 1
