"""The VAT table finance keeps (`vat.change_rule` and its page): each kind of invoice line carries the category
finance sets, with the note printed with it; a bad change is refused with a message and changes nothing; every
change is in the audit log with who made it and what it was before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice import vat
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import make_user
from tests.helpers import page_text


def test_a_kind_of_line_carries_the_category_finance_sets_and_the_change_is_audit_logged(app):
    clerk = make_user("finance", name="Frida Finance")
    db.session.commit()
    vat.change_rule("hotel", "standard", "", clerk.id)
    db.session.commit()
    assert vat.treatment_for("hotel").category == "standard"
    assert vat.rules()["hotel"].updated_by_id == clerk.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vat_rule_changed"))
    assert (event.actor_id, event.object_id) == (clerk.id, "hotel")
    assert event.details == {"kind": "hotel", "from": ["reduced", ""], "to": ["standard", ""]}


def test_the_margin_scheme_always_prints_the_wording_the_law_asks_for(app):
    rule = vat.change_rule("logistics", "margin_scheme", "anything typed", None)
    assert rule.note == vat.MARGIN_SCHEME_NOTE


@pytest.mark.parametrize(
    ("kind", "category", "note", "message"),
    [
        ("spa", "standard", "", "There is no kind of invoice line called “spa”."),
        ("hotel", "luxury", "", "Choose one of the VAT categories."),
        ("treatment", "exempt", "   ", "needs the reason printed on the invoice"),
        ("flight", "outside_scope", "", "needs the reason printed on the invoice"),
        ("fee", "standard", "x" * 301, "at most 300 characters"),
    ],
)
def test_a_bad_change_of_the_vat_table_is_refused_and_changes_nothing(app, kind, category, note, message):
    with pytest.raises(vat.VatRuleError, match=message):
        vat.change_rule(kind, category, note, None)
    db.session.rollback()
    assert db.session.scalars(select(vat.VatRule)).all() == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vat_rule_changed")) is None


def test_the_vat_table_page_lists_each_kind_with_its_category_code_rate_and_note(app, as_role):
    page = page_text(as_role("finance").get("/accounting/vat"))
    assert "Medical treatment" in page and "Hotel accommodation" in page and "Coordination fee" in page
    assert "E (VATEX-EU-132)" in page and "Medical treatment: exempt from VAT under section 4 no. 14 UStG." in page
    assert "7 %" in page and "19 %" in page and "default" in page


def test_finance_changes_a_row_of_the_vat_table_and_sees_who_changed_it(app, as_role, users):
    client = as_role("finance")
    response = client.post("/accounting/vat/flight", data={"category": "outside_scope", "note": "Not taxable here"})
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "Flights now carries: Outside the scope of VAT." in page
    assert "O (VATEX-EU-O)" in page and "Not taxable here" in page and "Frida Finance" in page
    db.session.expire_all()
    assert vat.rules()["flight"].category == "outside_scope"


@pytest.mark.parametrize(
    ("kind", "data", "status", "message"),
    [
        ("flight", {"category": "outside_scope", "note": ""}, 400, "needs the reason printed on the invoice"),
        ("flight", {"category": "bogus", "note": ""}, 400, "Choose one of the VAT categories."),
        ("nothing", {"category": "standard", "note": ""}, 400, "There is no kind of invoice line called"),
    ],
)
def test_bad_input_on_the_vat_table_page_gets_a_message_and_a_4xx(app, as_role, kind, data, status, message):
    response = as_role("finance").post(f"/accounting/vat/{kind}", data=data)
    assert response.status_code == status and message in page_text(response)
    assert db.session.scalars(select(vat.VatRule)).all() == []


def test_a_form_without_its_security_token_changes_nothing(app, as_role):
    response = as_role("finance").post("/accounting/vat/hotel", data={"category": "standard"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalars(select(vat.VatRule)).all() == []


def test_the_vat_table_page_reads_in_german(app, as_german):
    page = page_text(as_german("finance").get("/accounting/vat"))
    assert "Umsatzsteuer-Tabelle" in page and "Hotelunterkunft" in page and "Gedruckter Hinweis" in page


def test_a_note_typed_into_the_vat_table_is_shown_escaped(app, as_role):
    client = as_role("finance")
    typed = "<script>alert(1)</script> § 4 Nr. 14"
    assert client.post("/accounting/vat/other", data={"category": "exempt", "note": typed}).status_code == 302
    body = client.get("/accounting/vat").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; § 4 Nr. 14" in body
