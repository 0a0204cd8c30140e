"""Each role's start page in German for a staff member who saved German; English for everyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from tests.factories import make_case
from tests.helpers import page_text


@pytest.mark.parametrize(
    ("role", "words"),
    [
        (
            "coordinator",
            (
                "Angemeldet als medizinische/r Koordinator/in seit",
                "Meine offenen Fälle nach Status",
                "Überfällige Anfragen",
                "Heute fällig",
            ),
        ),
        ("finance", ("Angemeldet als Buchhaltung seit", "Zu prüfende Krankenhausrechnungen", "Fällige Erstattungen")),
        (
            "admin",
            (
                "Angemeldet als Administrator/in seit",
                "fehlgeschlagene Anmeldungen in 24 Std.",
                "Letzte Aktivitäten",
                "Auslastung je Koordinator/in",
            ),
        ),
    ],
)
def test_a_german_speaking_staff_member_sees_the_dashboard_in_german(as_german, role, words):
    make_case(state="new", requested_at=utcnow() - timedelta(days=3))  # an overdue request in the queue
    db.session.commit()
    client = as_german(role)
    page = page_text(client.get("/dashboard"))
    assert '<html lang="de"' in page and "Schön, Sie zu sehen" in page
    for word in words:
        assert word in page


def test_staff_without_a_saved_language_keep_the_english_dashboard(as_role):
    page = page_text(as_role("coordinator").get("/dashboard"))
    assert '<html lang="en"' in page and "Good to see you, Carl" in page and "My open cases by state" in page
