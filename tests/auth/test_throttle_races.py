"""The sign-in throttle holds when the guesses arrive all at once: each attempt is counted before its password is
checked, so however many requests overlap (threads here, gunicorn workers in production), no more than the limit of
passwords are checked. Runs on both databases (`--db sqlite|postgresql`)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select
from werkzeug import security

from backoffice.auth import operations
from backoffice.auth.models import LoginAttempt
from backoffice.config import settings
from backoffice.extensions import db
from tests.auth.parallel import post_at_once

PARALLEL = 60


def count_password_checks(monkeypatch) -> Counter:
    checks: Counter = Counter()
    lock = threading.Lock()

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            checks["checked"] += 1
        return security.check_password_hash(password_hash, password)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    return checks


def test_parallel_wrong_passwords_from_one_address_get_no_more_password_checks_than_the_limit(app, users, monkeypatch):
    limit = settings(app).login_max_failures_per_account_and_address
    checks = count_password_checks(monkeypatch)
    email = users["finance"].email

    statuses = post_at_once(app, "/login", [{"email": email, "password": f"guess number {n}"} for n in range(PARALLEL)])

    assert sorted(set(statuses)) == [401, 429], Counter(statuses)
    assert 1 <= checks["checked"] <= limit, (checks, Counter(statuses))
    assert Counter(statuses)[401] == checks["checked"]
    db.session.expire_all()
    stored = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email))
    assert stored == checks["checked"]  # a refused attempt is not kept: only checked passwords count


def test_parallel_guesses_at_many_accounts_from_one_address_stop_at_the_address_limit(app, monkeypatch):
    limit = settings(app).login_max_failures_per_address
    checks = count_password_checks(monkeypatch)

    forms = [{"email": f"guess{n}@test.example", "password": "wrong password"} for n in range(PARALLEL)]
    statuses = post_at_once(app, "/login", forms)

    assert set(statuses) <= {401, 429}, Counter(statuses)
    assert 1 <= checks["checked"] <= limit, (checks, Counter(statuses))
