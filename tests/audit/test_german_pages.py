"""A German-speaking administrator reads the audit log and a case's access history in German."""

from __future__ import annotations

from backoffice.extensions import db
from tests.factories import make_case
from tests.helpers import page_text


def test_a_german_speaking_admin_sees_the_audit_log_in_german(as_german):
    case = make_case()
    db.session.commit()
    client = as_german("admin")

    log = client.get("/admin/audit/")
    assert log.status_code == 200
    page = page_text(log)
    assert '<html lang="de"' in page and "Prüfprotokoll" in page and "Alle Aktionen" in page and "Objekttyp" in page

    history = client.get(f"/admin/audit/cases/{case.id}?kind=refusals")
    assert history.status_code == 200
    page = page_text(history)
    assert f"Zugriffsverlauf von {case.number}" in page
    assert "Lesezugriffe auf Gesundheitsdaten" in page and "Abgelehnte Anfragen" in page
