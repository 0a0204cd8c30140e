"""Two coordinators booking the same interpreter for overlapping times at the same moment: one booking is stored,
the other coordinator is told the interpreter is already booked."""

import threading
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.logistics.interpreters import bookings as interpreter_bookings
from backoffice.logistics.models import Interpreter, InterpreterBooking
from tests.factories import make_case, make_hospital, make_patient, make_user
from tests.logistics.factories import local, make_interpreter

ROUNDS = 20


def race_for_one_interpreter(app) -> None:
    """ROUNDS times, two threads book the interpreter for two cases, 10:00-12:00 and 11:00-13:00 of one day."""
    hospital = make_hospital()
    carla, conrad = make_user("coordinator"), make_user("coordinator")
    first = make_case(state="confirmed", hospital_id=hospital.id, patient=make_patient())
    second = make_case(state="confirmed", hospital_id=hospital.id, patient=make_patient())
    interpreter = make_interpreter(name="Layla Haddad", languages=("ar", "en"))
    db.session.commit()  # the threads have their own sessions: they see committed rows only
    interpreter_id, first_day = interpreter.id, date.today() + timedelta(days=30)
    cases = {"carla": (first.id, carla.id, 10), "conrad": (second.id, conrad.id, 11)}

    for round_number in range(ROUNDS):
        day = first_day + timedelta(days=round_number)
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def attempt(name: str, day: date, barrier: threading.Barrier, outcomes: dict[str, str]) -> None:
            case_id, actor_id, hour = cases[name]
            with app.app_context():
                try:
                    barrier.wait(timeout=10)
                    details = interpreter_bookings.InterpreterBookingDetails(
                        interpreter_id=interpreter_id,
                        day=day,
                        starts=time(hour),
                        ends=time(hour + 2),
                        place="Clinic of Advanced Biological Medicine",
                        language="ar",
                    )
                    interpreter_bookings.book_interpreter(case_id, details, actor_id=actor_id)
                    db.session.commit()
                    outcomes[name] = "ok"
                except DomainError as error:
                    db.session.rollback()
                    outcomes[name] = error.message
                except Exception as error:  # reported by the assertion below, not lost in the thread
                    db.session.rollback()
                    outcomes[name] = f"unexpected {type(error).__name__}: {error}"
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=attempt, args=(name, day, barrier, outcomes)) for name in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert len(outcomes) == 2 and list(outcomes.values()).count("ok") == 1, (round_number, outcomes)
        loser = next(message for message in outcomes.values() if message != "ok")
        assert loser.startswith("Layla Haddad is already booked "), (round_number, loser)
        stored = db.session.scalar(
            select(func.count())
            .select_from(InterpreterBooking)
            .where(
                InterpreterBooking.interpreter_id == interpreter_id,
                InterpreterBooking.starts_at >= local(day, 0),
                InterpreterBooking.starts_at < local(day + timedelta(days=1), 0),
            )
        )
        assert stored == 1, (round_number, stored)
        db.session.rollback()  # end the read, so the next round's writers wait for nobody but each other

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == ROUNDS
    # Every attempt took the interpreter's lock, the refused ones too (their bump was rolled back with them).
    assert db.session.get(Interpreter, interpreter_id).booking_counter == ROUNDS


@pytest.mark.postgresql_only
def test_simultaneous_bookings_of_one_interpreter_store_one_on_postgresql(app):
    race_for_one_interpreter(app)


def test_simultaneous_bookings_of_one_interpreter_store_one_on_sqlite(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the PostgreSQL variant runs on PostgreSQL")
    race_for_one_interpreter(app)
