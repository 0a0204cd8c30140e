"""The public request form's allowance holds when the requests arrive all at once: each submission is counted
before it is looked at, so however many overlap (threads here, gunicorn workers in production), no more cases are
opened than the allowance. Runs on both databases (`--db sqlite|postgresql`)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.intake.models import IntakeAttempt
from tests.auth.parallel import post_at_once
from tests.factories import make_hospital

PARALLEL = 20


def request(n: int) -> dict[str, str]:
    return {
        "name": f"Layla Haddad {n}",
        "email": f"layla{n}@example.org",
        "country": "AE",
        "preferred_language": "ar",
        "requested_treatment": "Type 1 diabetes, stem cell therapy",
        "destination_country": "DE",
        "message": "",
        "consent": "y",
        "website": "",
    }


def test_parallel_requests_from_one_address_open_no_more_cases_than_its_allowance(app):
    make_hospital(country="DE", city="Frankfurt am Main")
    db.session.commit()
    allowance = settings(app).intake_max_per_address

    statuses = post_at_once(app, "/request", [request(n) for n in range(PARALLEL)])

    assert set(statuses) <= {302, 429}, Counter(statuses)
    db.session.expire_all()
    cases = db.session.scalar(select(func.count()).select_from(Case))
    assert 1 <= cases <= allowance, (cases, Counter(statuses))
    assert Counter(statuses)[302] == cases
    outcomes = Counter(db.session.scalars(select(IntakeAttempt.outcome)))
    assert outcomes == {"accepted": cases, "rate_limited": PARALLEL - cases}
