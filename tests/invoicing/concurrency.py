"""Two sessions at the same moment (PostgreSQL): each change in its own thread and session, lined up right after
their check.

The first to pass its check waits (up to BARRIER_WAIT) for the other to pass its own. Without the case's row lock both
pass and both write; with it the other waits on the lock instead, the first goes on when the wait runs out, and the
other then checks against what it stored.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from backoffice.errors import DomainError
from backoffice.extensions import db

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


def outcome_of(change: Callable[[], object], *, answer: Callable[[object], str] = lambda result: "stored") -> str:
    """Run `change` and commit in this thread's session, then remove the session: `answer(result)` (taken before the
    commit), "refused: <message>" for a rule's refusal, or "unexpected ..." for anything else."""
    try:
        outcome = answer(change())
        db.session.commit()
        return outcome
    except DomainError as error:
        db.session.rollback()
        return f"refused: {error.message}"
    except Exception as error:  # reported by the assertions, not lost in the thread
        db.session.rollback()
        return f"unexpected {type(error).__name__}: {error}"
    finally:
        db.session.remove()


def at_once(app, work: dict[str, Callable[[], object]]) -> dict[str, str]:
    """Run each change in its own thread and session, committing; returns "stored", "refused: ..." or "unexpected"."""
    outcomes: dict[str, str] = {}

    def worker(name, change):
        with app.app_context():
            outcomes[name] = outcome_of(change)

    threads = [threading.Thread(target=worker, args=item) for item in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def one_stored_one_refused(outcomes: dict[str, str]) -> str:
    assert sorted(outcome.split(":")[0] for outcome in outcomes.values()) == ["refused", "stored"], outcomes
    return next(outcome for outcome in outcomes.values() if outcome.startswith("refused"))
