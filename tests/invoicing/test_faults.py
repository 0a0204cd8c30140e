"""Faults while issuing: an issue whose commit reached the database but whose answer was lost (the database went
away at that moment) keeps its archived PDF, so no issued invoice is ever without its document; a failure before the
commit stored nothing, so its PDF is removed and its number given back."""

from __future__ import annotations

import hashlib
import html

import pytest
from sqlalchemy.exc import IntegrityError

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.invoicing.models import Invoice
from backoffice.trail import AuditEvent
from tests.invoicing.factories import make_invoicing_case


def test_an_issue_whose_commit_answer_was_lost_keeps_the_pdf_of_the_issued_invoice(app, as_role, monkeypatch):
    case = make_invoicing_case()
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()
    client = as_role("finance")
    dialect = db.engine.dialect
    really_commit = dialect.do_commit

    def commit_then_lose_the_connection(dbapi_connection):
        really_commit(dbapi_connection)  # the database has committed ...
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")  # ... we never hear

    monkeypatch.setattr(dialect, "do_commit", commit_then_lose_the_connection)
    response = client.post(f"/invoices/{draft.id}/issue", data={"version": "1"})
    monkeypatch.undo()

    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 503, page[:2000]
    assert "The database is not available right now" in page and "Traceback" not in page
    db.session.expire_all()
    invoice = db.session.get(Invoice, draft.id)
    assert invoice.status == "issued" and invoice.number.endswith("-00001")
    archived = settings(app).invoice_archive / invoice.pdf_filename
    assert archived.is_file(), "the issued invoice's PDF was removed"
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == invoice.pdf_sha256
    download = client.get(f"/invoices/{invoice.number}.pdf")
    assert download.status_code == 200 and download.data == archived.read_bytes()


def test_an_issue_whose_last_flush_fails_at_commit_removes_its_pdf_and_gives_the_number_back(app):
    """Only a cut-off COMMIT keeps the file: a failure while flushing before it surely stored nothing."""
    case = make_invoicing_case()
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="100.00")
    db.session.commit()
    invoice = issuing.issue_invoice(draft.id, actor_id=None)
    archived = settings(app).invoice_archive / invoice.pdf_filename
    assert archived.is_file()
    db.session.add(AuditEvent(action=None))  # NOT NULL: fails in the flush that commit() starts with
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert not archived.exists(), "the PDF of an invoice that was never issued stayed in the archive"
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).status == "draft"
    assert issuing.issue_invoice(draft.id, actor_id=None).number.endswith("-00001")
    db.session.commit()
