"""A German-speaking administrator reads the audit log and a case's access history in German."""

from __future__ import annotations

import html

from backoffice.extensions import db
from tests.factories import make_case
from tests.helpers import login_as


def test_a_german_speaking_admin_sees_the_audit_log_in_german(client, users):
    users["admin"].language = "de"
    case = make_case()
    db.session.commit()
    login_as(client, users["admin"])

    log = client.get("/admin/audit/")
    assert log.status_code == 200
    page = html.unescape(log.get_data(as_text=True))
    assert '<html lang="de"' in page and "Prüfprotokoll" in page and "Alle Aktionen" in page and "Objekttyp" in page

    history = client.get(f"/admin/audit/cases/{case.id}?kind=refusals")
    assert history.status_code == 200
    page = html.unescape(history.get_data(as_text=True))
    assert f"Zugriffsverlauf von {case.number}" in page
    assert "Lesezugriffe auf Gesundheitsdaten" in page and "Abgelehnte Anfragen" in page
