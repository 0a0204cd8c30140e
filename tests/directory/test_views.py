import pytest
from sqlalchemy import func, select

from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.extensions import db
from backoffice.money import Money
from backoffice.trail import AuditEvent
from tests.factories import make_hospital, make_physician, make_programme

HOSPITAL_FORM = {
    "code": "FRA-ABM",
    "name": "Asklepios Bad Homburg",
    "city": "Bad Homburg",
    "country": "DE",
    "timezone": "Europe/Berlin",
    "languages": "de, en",
    "address": "Zeppelinstraße 20",
    "contact_name": "Dr. Anna Berg",
    "contact_email": "intake@asklepios.example",
    "contact_phone": "+49 6172 14-0",
}
PROGRAMME_FORM = {
    "name": "Stem cell therapy for type 1 diabetes",
    "description": "Autologous peripheral blood stem cells",
    "price_from_amount": "17650.00",
    "price_from_currency": "EUR",
    "typical_stay_days": "21",
    "follow_up_plan": "Weekly outpatient examinations for 2 months",
    "phases": "Leukocytapheresis and cryopreservation | 1 week | 7\nReinfusion | 2-3 weeks",
    "contraindications": "Pregnancy | after birth\nLactation | end of lactation",
}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def text(response):
    return response.get_data(as_text=True)


def audit_actions():
    """The directory's audit rows, oldest first (sign-ins left out)."""
    query = select(AuditEvent.action).where(AuditEvent.action != "login").order_by(AuditEvent.id)
    return db.session.scalars(query).all()


# ---------------------------------------------------------------------------------------------- who may do what


@pytest.mark.parametrize("role", ["admin", "coordinator", "finance"])
def test_staff_read_the_directory(as_role, role):
    hospital = make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    make_physician(hospital, name="Dr. Anna Berg")
    programme = make_programme(hospital, name="Knee replacement")
    db.session.commit()
    client = as_role(role)
    assert "Asklepios Bad Homburg" in text(client.get("/directory/"))
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    assert "Dr. Anna Berg" in page and "Knee replacement" in page and "€17,650.00" in page
    assert "Pregnancy" in text(client.get(f"/directory/programmes/{programme.id}"))


def test_finance_reads_but_cannot_change_the_directory(as_role):
    hospital = make_hospital(name="Untouched")
    physician = make_physician(hospital)
    programme = make_programme(hospital)
    db.session.commit()
    client = as_role("finance")
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    assert "Edit hospital" not in page and "New programme" not in page and "History of this hospital" not in page
    refused = [
        client.get("/directory/hospitals/new"),
        client.post("/directory/hospitals/new", data=HOSPITAL_FORM),
        client.post(f"/directory/hospitals/{hospital.id}/edit", data={**HOSPITAL_FORM, "name": "Changed"}),
        client.post(f"/directory/hospitals/{hospital.id}/deactivate"),
        client.post(f"/directory/hospitals/{hospital.id}/physicians/new", data={"name": "X", "specialty": "Y"}),
        client.post(f"/directory/physicians/{physician.id}/edit", data={"name": "X", "specialty": "Y"}),
        client.post(f"/directory/hospitals/{hospital.id}/programmes/new", data=PROGRAMME_FORM),
        client.post(f"/directory/programmes/{programme.id}/edit", data=PROGRAMME_FORM),
        client.get("/directory/paused-destinations"),
        client.post("/directory/paused-destinations", data={"country": "TR"}),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    db.session.expire_all()
    assert count(Hospital) == 1 and db.session.get(Hospital, hospital.id).name == "Untouched"
    assert db.session.get(Hospital, hospital.id).active and count(Physician) == 1 and count(Programme) == 1


def test_patients_and_strangers_are_refused(client, as_role):
    hospital = make_hospital()
    db.session.commit()
    assert client.get("/directory/").status_code == 302  # to the sign-in page
    patient = as_role("patient")
    for url in ("/directory/", f"/directory/hospitals/{hospital.id}", "/directory/paused-destinations"):
        assert patient.get(url).status_code == 403, url


# ---------------------------------------------------------------------------------------------- hospitals


def test_coordinator_adds_a_hospital(as_role, users):
    client = as_role("coordinator")
    response = client.post("/directory/hospitals/new", data=HOSPITAL_FORM)
    assert response.status_code == 302
    hospital = db.session.scalar(select(Hospital))
    assert hospital.code == "FRA-ABM" and hospital.languages == ["de", "en"]
    page = text(client.get(response.headers["Location"]))
    assert "Asklepios Bad Homburg (FRA-ABM) is in the directory." in page
    assert "German, English" in page and "History of this hospital" not in page  # the audit log is the admins'
    assert audit_actions() == ["hospital_created"]


def test_bad_hospital_forms_are_refused_and_store_nothing(as_role):
    make_hospital("FRA-ABM")
    db.session.commit()
    client = as_role("admin")
    cases = [
        {},
        {**HOSPITAL_FORM, "code": "MUC-RDI", "name": ""},
        {**HOSPITAL_FORM, "code": "MUC-RDI", "name": "N" * 500},
        {**HOSPITAL_FORM, "code": "MUC-RDI", "country": "XX"},
        {**HOSPITAL_FORM, "code": "MUC-RDI", "contact_email": "not an email"},
        {**HOSPITAL_FORM, "code": "MUC RDI"},
        {**HOSPITAL_FORM, "code": "MUC-RDI", "languages": "de, xx"},
        {**HOSPITAL_FORM, "code": "MUC-RDI", "timezone": "Mars/Olympus"},
        {**HOSPITAL_FORM, "code": "fra-abm"},
    ]
    for data in cases:
        assert client.post("/directory/hospitals/new", data=data).status_code == 422, data
    assert count(Hospital) == 1
    page = text(client.post("/directory/hospitals/new", data=cases[-1]))
    assert "The code FRA-ABM is already used" in page
    assert "not a hospital code" in text(client.post("/directory/hospitals/new", data=cases[5]))
    assert client.post("/directory/hospitals/new", data=HOSPITAL_FORM, csrf=False).status_code == 400
    assert count(Hospital) == 1


def test_coordinator_edits_and_deactivates_a_hospital(as_role):
    hospital = make_hospital("FRA-ABM", name="Old name")
    db.session.commit()
    client = as_role("coordinator")
    form = text(client.get(f"/directory/hospitals/{hospital.id}/edit"))
    assert 'value="Old name"' in form and 'value="de, en"' in form
    response = client.post(f"/directory/hospitals/{hospital.id}/edit", data={**HOSPITAL_FORM, "name": "New name"})
    assert response.status_code == 302
    assert client.post(f"/directory/hospitals/{hospital.id}/deactivate").status_code == 302
    db.session.expire_all()
    stored = db.session.get(Hospital, hospital.id)
    assert stored.name == "New name" and not stored.active
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    assert "Deactivated" in page
    assert audit_actions() == ["hospital_updated", "hospital_deactivated"]
    again = client.post(f"/directory/hospitals/{hospital.id}/deactivate")
    assert again.status_code == 422 and "already deactivated" in text(again)


def test_a_refused_hospital_edit_changes_nothing(as_role):
    make_hospital("MUC-RDI")
    hospital = make_hospital("FRA-ABM", name="Kept")
    db.session.commit()
    client = as_role("admin")
    response = client.post(
        f"/directory/hospitals/{hospital.id}/edit", data={**HOSPITAL_FORM, "code": "MUC-RDI", "name": "Changed"}
    )
    assert response.status_code == 422 and "already used" in text(response)
    db.session.expire_all()
    assert db.session.get(Hospital, hospital.id).name == "Kept"


def test_hospital_list_searches_and_filters(as_role):
    make_hospital("FRA-ABM", name="Asklepios Bad Homburg", city="Bad Homburg", country="DE")
    make_hospital("IST-ACB", name="Acibadem Maslak", city="Istanbul", country="TR")
    db.session.commit()
    client = as_role("finance")
    found = text(client.get("/directory/?q=istanbul"))
    assert "Acibadem Maslak" in found and "Asklepios" not in found
    turkey = text(client.get("/directory/?country=TR"))
    assert "Acibadem Maslak" in turkey and "Asklepios" not in turkey
    odd = client.get("/directory/?country=%27%3B--&page=abc&q=" + "x" * 500)
    assert odd.status_code == 200 and "No hospital matches" in text(odd)


def test_hospital_list_runs_a_fixed_number_of_statements(as_role, count_queries):
    client = as_role("coordinator")

    def hospital_with_staff():
        hospital = make_hospital()
        make_physician(hospital)
        make_programme(hospital)

    hospital_with_staff()
    db.session.commit()
    with count_queries() as few:
        assert client.get("/directory/").status_code == 200
    for _ in range(30):
        hospital_with_staff()
    db.session.commit()
    with count_queries() as many:
        page = text(client.get("/directory/"))
    assert page.count("/directory/hospitals/") >= 31
    assert len(few) == len(many)


def test_hospital_page_runs_a_fixed_number_of_statements(as_role, count_queries):
    client = as_role("coordinator")
    hospital = make_hospital()
    make_physician(hospital)
    make_programme(hospital)
    db.session.commit()
    with count_queries() as few:
        client.get(f"/directory/hospitals/{hospital.id}")
    for _ in range(20):
        make_physician(hospital)
        make_programme(hospital)
    db.session.commit()
    with count_queries() as many:
        client.get(f"/directory/hospitals/{hospital.id}")
    assert len(few) == len(many)


def test_unknown_ids_are_a_404(as_role):
    client = as_role("admin")
    for url in (
        "/directory/hospitals/999999",
        "/directory/hospitals/999999/edit",
        "/directory/hospitals/999999/physicians/new",
        "/directory/hospitals/999999/programmes/new",
        "/directory/physicians/999999/edit",
        "/directory/programmes/999999",
        "/directory/programmes/999999/edit",
        "/directory/hospitals/not-a-number",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/directory/hospitals/999999/deactivate").status_code == 404
    assert client.post("/directory/hospitals/999999/programmes/new", data=PROGRAMME_FORM).status_code == 404
    assert count(Programme) == 0


# ---------------------------------------------------------------------------------------------- physicians


def test_coordinator_adds_and_edits_a_physician(as_role):
    hospital = make_hospital(name="Asklepios", languages=("de", "en"))
    db.session.commit()
    client = as_role("coordinator")
    assert 'value="de, en"' in text(client.get(f"/directory/hospitals/{hospital.id}/physicians/new"))
    response = client.post(
        f"/directory/hospitals/{hospital.id}/physicians/new",
        data={"name": "Dr. Anna Berg", "specialty": "Endocrinology", "languages": "de, ru"},
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/directory/hospitals/{hospital.id}"
    physician = db.session.scalar(select(Physician))
    assert physician.hospital_id == hospital.id and physician.languages == ["de", "ru"]
    response = client.post(
        f"/directory/physicians/{physician.id}/edit",
        data={"name": "Dr. Anna Berg", "specialty": "Diabetology", "languages": "de"},  # active unticked
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Physician, physician.id)
    assert stored.specialty == "Diabetology" and not stored.active


def test_a_physicians_phone_and_email_are_entered_and_listed_on_the_hospital_page(as_role):
    hospital = make_hospital(name="Asklepios")
    db.session.commit()
    client = as_role("coordinator")
    form = {
        "name": "Dr. Anna Berg",
        "specialty": "Endocrinology",
        "email": "berg@klinik.example",
        "phone": "+49 40 1819",
    }
    assert client.post(f"/directory/hospitals/{hospital.id}/physicians/new", data=form).status_code == 302
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    assert "berg@klinik.example" in page and "+49 40 1819" in page
    physician = db.session.scalar(select(Physician))
    assert 'value="+49 40 1819"' in text(client.get(f"/directory/physicians/{physician.id}/edit"))
    refused = client.post(f"/directory/physicians/{physician.id}/edit", data={**form, "phone": "ring ring"})
    assert refused.status_code == 422 and "not a phone number" in text(refused)
    db.session.expire_all()
    assert db.session.get(Physician, physician.id).phone == "+49 40 1819"


def test_bad_physician_forms_are_refused_and_store_nothing(as_role):
    hospital = make_hospital()
    closed = make_hospital(active=False)
    db.session.commit()
    client = as_role("coordinator")
    url = f"/directory/hospitals/{hospital.id}/physicians/new"
    for data in ({}, {"name": "Dr. A"}, {"name": "Dr. A", "specialty": "S", "languages": "zz"}):
        assert client.post(url, data=data).status_code == 422, data
    response = client.post(f"/directory/hospitals/{closed.id}/physicians/new", data={"name": "A", "specialty": "S"})
    assert response.status_code == 422 and "deactivated" in text(response)
    assert count(Physician) == 0


# ---------------------------------------------------------------------------------------------- programmes


def test_coordinator_adds_a_programme_with_phases_and_contraindications(as_role):
    hospital = make_hospital(name="Asklepios")
    db.session.commit()
    client = as_role("coordinator")
    response = client.post(f"/directory/hospitals/{hospital.id}/programmes/new", data=PROGRAMME_FORM)
    assert response.status_code == 302
    programme = db.session.scalar(select(Programme))
    assert programme.price_from == Money("17650.00", "EUR")
    assert [p.name for p in programme.phases] == ["Leukocytapheresis and cryopreservation", "Reinfusion"]
    assert [c.question for c in programme.contraindications] == ["Pregnancy", "Lactation"]
    page = text(client.get(response.headers["Location"]))
    assert "€17,650.00" in page and "2-3 weeks" in page and "end of lactation" in page
    assert page.index("Leukocytapheresis") < page.index("Reinfusion")
    assert "Weekly outpatient examinations" in page


def test_bad_programme_forms_are_refused_with_the_line_and_store_nothing(as_role):
    hospital = make_hospital()
    db.session.commit()
    client = as_role("coordinator")
    url = f"/directory/hospitals/{hospital.id}/programmes/new"
    bad_phases = client.post(url, data={**PROGRAMME_FORM, "phases": "Good | 1 week | 7\nBad | 1 week | seven"})
    assert bad_phases.status_code == 422 and "Line 2: The length in days must be a whole number" in text(bad_phases)
    bad_items = client.post(url, data={**PROGRAMME_FORM, "contraindications": "A | b | c"})
    assert bad_items.status_code == 422 and "Line 1: write at most two parts" in text(bad_items)
    too_precise = client.post(url, data={**PROGRAMME_FORM, "price_from_amount": "12.345"})
    assert too_precise.status_code == 422 and "12.345 has more" in text(too_precise)
    for data in (
        {**PROGRAMME_FORM, "name": ""},
        {**PROGRAMME_FORM, "price_from_amount": "-5"},
        {**PROGRAMME_FORM, "price_from_currency": "XYZ"},
        {**PROGRAMME_FORM, "typical_stay_days": "-1"},
        {**PROGRAMME_FORM, "typical_stay_days": "soon"},
        {**PROGRAMME_FORM, "typical_stay_days": "99999999999999999999"},
        {**PROGRAMME_FORM, "price_from_amount": "9" * 40},
    ):
        assert client.post(url, data=data).status_code == 422, data
    assert count(Programme) == 0


def test_coordinator_edits_a_programme_from_its_text(as_role):
    programme = make_programme(name="Old")
    db.session.commit()
    client = as_role("coordinator")
    form = text(client.get(f"/directory/programmes/{programme.id}/edit"))
    assert "Leukocytapheresis and cryopreservation | 1 week | 7" in form and "Pregnancy | after birth" in form
    assert 'value="17650.00"' in form
    response = client.post(
        f"/directory/programmes/{programme.id}/edit",
        data={**PROGRAMME_FORM, "name": "New", "active": "y", "phases": "Only | 1 day | 1", "contraindications": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Programme, programme.id)
    assert stored.name == "New" and stored.active
    assert [(p.name, p.duration_days) for p in stored.phases] == [("Only", 1)] and stored.contraindications == []
    assert audit_actions() == ["programme_updated"]


def test_finance_sees_no_programme_history_or_edit_button(as_role):
    programme = make_programme()
    db.session.commit()
    page = text(as_role("finance").get(f"/directory/programmes/{programme.id}"))
    assert "Edit programme" not in page and "History of this programme" not in page and "€17,650.00" in page


def test_admins_see_the_history_of_hospitals_and_programmes(as_role, users):
    from backoffice.directory import operations, programmes

    hospital = operations.create_hospital(**{**HOSPITAL_FORM, "languages": "de"}, actor_id=users["coordinator"].id)
    programme = programmes.create_programme(hospital.id, name="Knee", actor_id=users["coordinator"].id)
    db.session.commit()
    client = as_role("admin")
    page = text(client.get(f"/directory/hospitals/{hospital.id}"))
    assert "History of this hospital" in page and "hospital_created" in page and "Carl Coordinator" in page
    assert "programme_created" in text(client.get(f"/directory/programmes/{programme.id}"))
