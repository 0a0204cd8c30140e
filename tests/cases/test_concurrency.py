"""Two coordinators moving the same case at the same moment: one wins, the other is told, nothing is lost."""

import threading

from backoffice.cases import operations
from backoffice.cases.models import Case, CaseEvent
from backoffice.errors import DomainError
from backoffice.extensions import db
from tests.factories import make_case, make_user


def test_two_simultaneous_transitions_give_one_winner(app):
    carla, conrad = make_user("coordinator"), make_user("coordinator")
    case = make_case(state="contacted", coordinator=carla)
    db.session.commit()
    case_id, version = case.id, case.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def move(name: str, actor_id: int, to_state: str, note: str) -> None:
        with app.app_context():
            try:
                operations.get_case(case_id)  # both read the same version before either writes
                barrier.wait(timeout=10)
                operations.transition(case_id, to_state, actor_id=actor_id, note=note, expected_version=version)
                db.session.commit()
                outcomes[name] = "ok"
            except DomainError as error:
                db.session.rollback()
                outcomes[name] = error.message
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=move, args=("carla", carla.id, "on_hold", "waiting for lab results")),
        threading.Thread(target=move, args=("conrad", conrad.id, "cancelled", "patient withdrew")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert list(outcomes.values()).count("ok") == 1, outcomes
    loser = next(message for message in outcomes.values() if message != "ok")
    assert "changed by someone else" in loser
    db.session.expire_all()
    stored = db.session.get(Case, case_id)
    assert stored.state in ("on_hold", "cancelled") and stored.version == version + 1
    transitions = db.session.query(CaseEvent).filter_by(case_id=case_id, kind="transition").count()
    assert transitions == 1
