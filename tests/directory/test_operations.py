import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.directory import operations, programmes
from backoffice.directory.models import Contraindication, Hospital, Programme, ProgrammePhase
from backoffice.directory.programmes import ContraindicationLine, PhaseLine
from backoffice.directory.values import DirectoryError
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.money import Money
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_physician, make_programme

HOSPITAL = {
    "code": "fra-abm",
    "name": " Asklepios Bad Homburg ",
    "city": "Bad Homburg",
    "country": "de",
    "languages": "de, en,ru",
    "timezone": "Europe/Berlin",
    "contact_name": "Dr. Anna Berg",
    "contact_email": "Intake@Asklepios.Example",
    "contact_phone": "+49 6172 14-0",
    "address": "Zeppelinstraße 20",
}
PROGRAMME = {
    "name": "Stem cell therapy for type 1 diabetes",
    "description": "Autologous peripheral blood stem cells",
    "price_from_amount": "17650.00",
    "price_from_currency": "eur",
    "typical_stay_days": "21",
    "follow_up_plan": "Weekly outpatient examinations for 2 months",
}


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def reload(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


# ---------------------------------------------------------------------------------------------- hospitals


def test_create_hospital_normalises_values_and_writes_an_audit_row(users):
    hospital = operations.create_hospital(**HOSPITAL, actor_id=users["admin"].id)
    db.session.commit()
    stored = reload(Hospital, hospital.id)
    assert (stored.code, stored.name, stored.country) == ("FRA-ABM", "Asklepios Bad Homburg", "DE")
    assert stored.languages == ["de", "en", "ru"] and stored.contact_email == "intake@asklepios.example"
    assert stored.active
    [event] = events("hospital_created")
    assert event.actor_id == users["admin"].id and event.object_id == str(hospital.id)
    assert event.details["code"] == "FRA-ABM"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": ""}, "Enter the hospital code"),
        ({"code": "FRA ABM"}, "not a hospital code"),
        ({"code": "FRA--ABM"}, "not a hospital code"),
        ({"code": "-FRA"}, "not a hospital code"),
        ({"code": "FRÄ-ABM"}, "not a hospital code"),
        ({"code": "A" * 21}, "up to 20"),
        ({"name": "  "}, "Enter the hospital name"),
        ({"name": "N" * 201}, "too long"),
        ({"city": ""}, "Enter the city"),
        ({"country": "XX"}, "not a two-letter country code"),
        ({"country": "Germany"}, "not a two-letter country code"),
        ({"languages": "de, klingon"}, "'klingon' is not a two-letter language code"),
        ({"timezone": "Europe/Atlantis"}, "not an IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "not an IANA time zone"),
        ({"timezone": ""}, "time zone"),
        ({"contact_email": "nobody"}, "not an email address"),
        ({"contact_phone": "call me"}, "not a phone number"),
    ],
)
def test_create_hospital_refuses_bad_values_with_a_message(fields, message):
    with pytest.raises(DirectoryError, match=message):
        operations.create_hospital(**{**HOSPITAL, **fields})
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Hospital)) == 0


def test_hospital_codes_are_unique():
    make_hospital("FRA-ABM", name="Asklepios Bad Homburg")
    with pytest.raises(DirectoryError, match="FRA-ABM is already used by Asklepios Bad Homburg"):
        operations.create_hospital(**{**HOSPITAL, "code": "fra-abm", "name": "Another"})


def test_a_code_taken_by_a_concurrent_request_is_refused_with_a_message(monkeypatch):
    make_hospital("FRA-ABM")
    monkeypatch.setattr(operations, "_check_code_free", lambda *args: None)  # the other request committed after it
    with pytest.raises(DirectoryError, match="FRA-ABM is already used by another hospital"):
        operations.create_hospital(**HOSPITAL)
    db.session.rollback()


def test_update_hospital_records_only_what_changed(users):
    hospital = make_hospital("FRA-ABM", name="Old name", languages=("de",))
    operations.update_hospital(
        hospital.id, **{**HOSPITAL, "name": "New name", "code": "FRA-ABM"}, actor_id=users["coordinator"].id
    )
    [event] = events("hospital_updated")
    assert event.details["name"] == ["Old name", "New name"]
    assert event.details["languages"] == [["de"], ["de", "en", "ru"]]
    assert "code" not in event.details
    operations.update_hospital(hospital.id, **{**HOSPITAL, "name": "New name"}, actor_id=users["coordinator"].id)
    assert len(events("hospital_updated")) == 1  # nothing changed the second time: no audit row


def test_update_hospital_keeps_codes_unique():
    make_hospital("FRA-ABM")
    other = make_hospital("MUC-RDI")
    with pytest.raises(DirectoryError, match="already used"):
        operations.update_hospital(other.id, **{**HOSPITAL, "code": "FRA-ABM"}, actor_id=None)
    operations.update_hospital(other.id, **{**HOSPITAL, "code": "MUC-RDI"}, actor_id=None)  # its own code is fine


def test_unknown_hospital_is_not_found():
    with pytest.raises(NotFound):
        operations.get_hospital(999999)
    with pytest.raises(NotFound):
        operations.update_hospital(999999, **HOSPITAL, actor_id=None)


def test_deactivate_and_reactivate_a_hospital(users):
    hospital = make_hospital()
    operations.deactivate_hospital(hospital.id, actor_id=users["admin"].id)
    assert not reload(Hospital, hospital.id).active
    with pytest.raises(DirectoryError, match="already deactivated"):
        operations.deactivate_hospital(hospital.id, actor_id=users["admin"].id)
    operations.reactivate_hospital(hospital.id, actor_id=users["admin"].id)
    assert reload(Hospital, hospital.id).active
    with pytest.raises(DirectoryError, match="already active"):
        operations.reactivate_hospital(hospital.id, actor_id=users["admin"].id)
    assert len(events("hospital_deactivated")) == 1 and len(events("hospital_reactivated")) == 1


def test_list_hospitals_searches_name_code_and_city_and_filters_by_country():
    make_hospital("FRA-ABM", name="Asklepios Bad Homburg", city="Bad Homburg", country="DE")
    make_hospital("IST-ACB", name="Acibadem Maslak", city="Istanbul", country="TR")
    make_hospital("SEL-SNU", name="Seoul National University Hospital", city="Seoul", country="KR")

    def codes(**filters):
        return [h.code for h in operations.list_hospitals(**filters).items]

    assert codes(search="asklepios") == ["FRA-ABM"]
    assert codes(search="ist-") == ["IST-ACB"]
    assert codes(search="SEOUL") == ["SEL-SNU"]
    assert codes(search="100%") == []  # the wildcard is searched for, not obeyed
    assert codes(country="tr") == ["IST-ACB"]
    assert codes(country="TR", search="seoul") == []
    assert set(codes()) == {"FRA-ABM", "IST-ACB", "SEL-SNU"}


def test_hospital_detail_loads_physicians_and_programmes(count_queries):
    hospital = make_hospital()
    make_physician(hospital, name="Dr. Zeta")
    make_physician(hospital, name="Dr. Alpha")
    make_programme(hospital, name="Programme")
    db.session.commit()
    db.session.expire_all()
    loaded = operations.get_hospital(hospital.id)
    with count_queries() as statements:
        names = [p.name for p in loaded.physicians]
        programme_names = [p.name for p in loaded.programmes]
    assert statements == []
    assert names == ["Dr. Alpha", "Dr. Zeta"] and programme_names == ["Programme"]


# ---------------------------------------------------------------------------------------------- physicians


def test_create_physician_belongs_to_its_hospital_and_is_audited(users):
    hospital = make_hospital()
    physician = operations.create_physician(
        hospital.id,
        name="Dr. Anna Berg",
        specialty="Endocrinology",
        languages=["DE", "en"],
        actor_id=users["coordinator"].id,
    )
    assert physician.hospital_id == hospital.id and physician.languages == ["de", "en"]
    [event] = events("physician_created")
    assert event.details["hospital"] == hospital.code


def test_a_physician_needs_an_existing_active_hospital():
    with pytest.raises(NotFound):
        operations.create_physician(999999, name="Dr. Nobody", specialty="Surgery")
    closed = make_hospital(active=False, name="Closed Clinic")
    with pytest.raises(DirectoryError, match="Closed Clinic is deactivated"):
        operations.create_physician(closed.id, name="Dr. Late", specialty="Surgery")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter the physician's name"),
        ({"specialty": " "}, "Enter the specialty"),
        ({"languages": "xx"}, "not a two-letter language code"),
        ({"email": "a@@b"}, "not an email address"),
        ({"phone": "call me maybe"}, "not a phone number"),
        ({"phone": "+49 69\r\nBcc: x@evil.example"}, "phone"),
    ],
)
def test_create_physician_refuses_bad_values(fields, message):
    hospital = make_hospital()
    with pytest.raises(DirectoryError, match=message):
        operations.create_physician(hospital.id, **{"name": "Dr. A", "specialty": "Surgery", **fields})


def test_update_physician_keeps_the_hospital_and_records_changes(users):
    hospital = make_hospital()
    physician = make_physician(hospital, name="Dr. A", specialty="Surgery")
    operations.update_physician(
        physician.id, name="Dr. A", specialty="Orthopaedics", languages="de", active=False, actor_id=None
    )
    stored = reload(type(physician), physician.id)
    assert stored.specialty == "Orthopaedics" and not stored.active and stored.hospital_id == hospital.id
    [event] = events("physician_updated")
    assert event.details["specialty"] == ["Surgery", "Orthopaedics"] and event.details["active"] == [True, False]


def test_a_physician_is_reached_by_email_and_phone_as_typed(users):
    hospital = make_hospital()
    physician = operations.create_physician(
        hospital.id, name="Dr. A", specialty="Surgery", email="A.Berg@Klinik.example", phone=" +49 69 1234-56 "
    )
    assert (physician.email, physician.phone) == ("a.berg@klinik.example", "+49 69 1234-56")
    operations.update_physician(
        physician.id, name="Dr. A", specialty="Surgery", languages="de", phone="+49 (0)69 99", actor_id=None
    )
    assert reload(type(physician), physician.id).phone == "+49 (0)69 99"
    [event] = events("physician_updated")
    assert event.details["phone"] == ["+49 69 1234-56", "+49 (0)69 99"]


# ---------------------------------------------------------------------------------------------- programmes


def test_programme_price_is_stored_exactly(users):
    hospital = make_hospital()
    programme = programmes.create_programme(hospital.id, **PROGRAMME, actor_id=users["coordinator"].id)
    db.session.commit()
    stored = reload(Programme, programme.id)
    assert stored.price_from == Money("17650.00", "EUR")
    assert str(stored.price_from.amount) == "17650.00" and isinstance(stored.price_from.amount, Decimal)
    assert stored.price_from.format() == "€17,650.00"
    assert stored.typical_stay_days == 21
    [event] = events("programme_created")
    assert event.details["price_from"] == "17650.00 EUR"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price_from_amount": "12.345"}, "has 2 decimal places; 12.345 has more"),
        ({"price_from_amount": "-1"}, "cannot be negative"),
        ({"price_from_amount": "12,50"}, "is not an amount"),
        ({"price_from_amount": "NaN"}, "is not an amount"),
        ({"price_from_amount": "1e30"}, "is not an amount"),
        ({"price_from_amount": "1" + "0" * 30}, "too large"),
        ({"price_from_amount": "200000000"}, "must be below"),
        ({"price_from_currency": "EURO"}, "not an ISO 4217 currency code"),
        ({"price_from_currency": ""}, "not an ISO 4217 currency code"),
        ({"price_from_currency": "JPY", "price_from_amount": "1000.50"}, "no decimal places"),
        ({"typical_stay_days": "-3"}, "cannot be negative"),
        ({"typical_stay_days": "three weeks"}, "must be a whole number"),
        ({"typical_stay_days": "1001"}, "more than 1000 days"),
        ({"typical_stay_days": "99999999999"}, "must be a whole number"),
        ({"typical_stay_days": "1_0"}, "must be a whole number"),
        ({"name": ""}, "Enter the programme name"),
    ],
)
def test_create_programme_refuses_bad_values(fields, message):
    hospital = make_hospital()
    with pytest.raises(DirectoryError, match=message):
        programmes.create_programme(hospital.id, **{**PROGRAMME, **fields})
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 0


def test_a_programme_without_an_amount_has_no_price():
    hospital = make_hospital()
    programme = programmes.create_programme(
        hospital.id, **{**PROGRAMME, "price_from_amount": " ", "typical_stay_days": ""}
    )
    stored = reload(Programme, programme.id)
    assert stored.price_from is None and stored.price_from_currency is None and stored.typical_stay_days is None


def test_a_price_in_a_currency_without_cents_is_whole():
    hospital = make_hospital()
    programme = programmes.create_programme(
        hospital.id, **{**PROGRAMME, "price_from_amount": "2500000", "price_from_currency": "KRW"}
    )
    assert reload(Programme, programme.id).price_from == Money("2500000", "KRW")


def test_programme_names_are_unique_within_a_hospital():
    hospital = make_hospital(name="Asklepios")
    make_programme(hospital, name="Knee replacement")
    with pytest.raises(DirectoryError, match="Asklepios already has a programme named 'knee replacement'"):
        programmes.create_programme(hospital.id, **{**PROGRAMME, "name": "knee replacement"})
    programmes.create_programme(make_hospital().id, **{**PROGRAMME, "name": "Knee replacement"})  # elsewhere: fine


def test_a_programme_name_taken_by_a_concurrent_request_is_refused_with_a_message(monkeypatch):
    hospital = make_hospital(name="Asklepios")
    make_programme(hospital, name=PROGRAMME["name"])
    monkeypatch.setattr(programmes, "_check_programme_name_free", lambda *args: None)
    with pytest.raises(DirectoryError, match="Asklepios already has a programme named"):
        programmes.create_programme(hospital.id, **PROGRAMME)
    db.session.rollback()


def test_a_programme_needs_an_active_hospital():
    with pytest.raises(NotFound):
        programmes.create_programme(999999, **PROGRAMME)
    closed = make_hospital(active=False)
    with pytest.raises(DirectoryError, match="deactivated"):
        programmes.create_programme(closed.id, **PROGRAMME)


def test_phases_are_parsed_one_a_line_in_order():
    phases = programmes.parse_phases(
        "Leukocytapheresis and cryopreservation | 1 week | 7\n\n  Recovery at home | 2-3 weeks  \nReinfusion\n"
    )
    assert phases == [
        PhaseLine("Leukocytapheresis and cryopreservation", "1 week", 7),
        PhaseLine("Recovery at home", "2-3 weeks", None),
        PhaseLine("Reinfusion", "", None),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Good | 1 week | 7\nBad | 2 weeks | fourteen", "Line 2: The length in days must be a whole number"),
        ("First\n\n | 1 week", "Line 3: Enter the phase name"),
        ("A | b | 1 | extra", "Line 1: write at most three parts"),
        ("A | b | -2", "Line 1: The length in days cannot be negative"),
        ("Follow-up | 5 years | 1826\nForever | | 99999", "Line 2: The length in days cannot be more than 3653 days"),
        ("x" * 201, "Line 1: The phase name is too long"),
        ("\n".join(f"Phase {n}" for n in range(51)), "at most 50 phases"),
    ],
)
def test_wrong_phase_lines_are_refused_with_their_line_number(text, message):
    with pytest.raises(DirectoryError, match=message):
        programmes.parse_phases(text)


def test_contraindications_are_parsed_with_their_resolution_hints():
    items = programmes.parse_contraindications("Pregnancy | after birth\nActive cancer\n")
    assert items == [ContraindicationLine("Pregnancy", "after birth"), ContraindicationLine("Active cancer", "")]
    with pytest.raises(DirectoryError, match="Line 2: write at most two parts"):
        programmes.parse_contraindications("Pregnancy | after birth\nA | b | c")
    with pytest.raises(DirectoryError, match="Line 1: Enter the contraindication"):
        programmes.parse_contraindications("| after birth")


def test_set_phases_replaces_the_ordered_list_in_one_operation(users):
    programme = make_programme()
    db.session.commit()
    new = [PhaseLine("Diagnostics", "3 days", 3), PhaseLine("Surgery", "1 day", 1), PhaseLine("Rehabilitation")]
    programmes.set_phases(programme.id, new, actor_id=users["coordinator"].id)
    db.session.commit()
    stored = reload(Programme, programme.id)
    assert [(p.position, p.name, p.duration, p.duration_days) for p in stored.phases] == [
        (1, "Diagnostics", "3 days", 3),
        (2, "Surgery", "1 day", 1),
        (3, "Rehabilitation", "", None),
    ]
    assert db.session.scalar(select(func.count()).select_from(ProgrammePhase)) == 3  # the old phase is gone
    [event] = events("programme_phases_set")
    assert event.details == {"phases": ["Diagnostics", "Surgery", "Rehabilitation"]}
    programmes.set_phases(programme.id, new, actor_id=users["coordinator"].id)
    assert len(events("programme_phases_set")) == 1  # the same list again changes nothing


def test_set_contraindications_replaces_the_list_and_screened_cases_keep_their_questions(users):
    programme = make_programme()
    case = make_case()
    from backoffice.cases.models import ScreeningAnswer

    first = programme.contraindications[0]
    db.session.add(ScreeningAnswer(case_id=case.id, contraindication_id=first.id, position=1, question=first.question))
    db.session.commit()
    programmes.set_contraindications(
        programme.id, [ContraindicationLine("Pregnancy", "after birth")], actor_id=users["coordinator"].id
    )
    db.session.commit()
    stored = reload(Programme, programme.id)
    assert [(c.position, c.question, c.resolution_hint) for c in stored.contraindications] == [
        (1, "Pregnancy", "after birth")
    ]
    assert db.session.scalar(select(func.count()).select_from(Contraindication)) == 1
    answer = db.session.scalar(select(ScreeningAnswer))
    assert answer.question == first.question and answer.contraindication_id is None


def test_update_programme_changes_fields_and_lists_together(users):
    programme = make_programme(name="Old", price="100.00")
    programmes.update_programme(
        programme.id,
        **{**PROGRAMME, "name": "New", "price_from_amount": "250.50"},
        active=False,
        phases=[PhaseLine("Only phase")],
        contraindications=[],
        actor_id=users["admin"].id,
    )
    db.session.commit()
    stored = reload(Programme, programme.id)
    assert stored.name == "New" and stored.price_from == Money("250.50", "EUR") and not stored.active
    assert [p.name for p in stored.phases] == ["Only phase"] and stored.contraindications == []
    [event] = events("programme_updated")
    assert event.details["name"] == ["Old", "New"]
    assert event.details["price_from"] == ["100.00 EUR", "250.50 EUR"]
    assert event.details["phases"] == ["Only phase"] and event.details["contraindications"] == []


def test_a_refused_programme_update_changes_nothing():
    programme = make_programme(name="Kept", price="100.00")
    db.session.commit()
    with pytest.raises(DirectoryError):
        programmes.update_programme(
            programme.id,
            **{**PROGRAMME, "name": "Changed", "price_from_amount": "12.345"},
            phases=[PhaseLine("New phase")],
            actor_id=None,
        )
    db.session.rollback()
    stored = reload(Programme, programme.id)
    assert stored.name == "Kept" and stored.price_from == Money("100.00", "EUR")
    assert [p.name for p in stored.phases] == ["Leukocytapheresis and cryopreservation"]


def test_lists_set_directly_keep_to_what_their_text_can_say():
    programme = make_programme()
    with pytest.raises(DirectoryError, match=re.escape("The phase name cannot contain '|'")):
        programmes.set_phases(programme.id, [PhaseLine("A | B")], actor_id=None)
    with pytest.raises(DirectoryError, match=re.escape("The resolution hint cannot contain '|' or a line break")):
        programmes.set_contraindications(
            programme.id, [ContraindicationLine("Pregnancy", "after\nbirth")], actor_id=None
        )


def test_phases_round_trip_through_their_text():
    programme = make_programme()
    programmes.set_phases(
        programme.id, [PhaseLine("A", "1 week", 7), PhaseLine("B", "", 3), PhaseLine("C")], actor_id=None
    )
    text = programmes.format_phases(programmes.get_programme(programme.id))
    assert text == "A | 1 week | 7\nB |  | 3\nC"
    assert programmes.parse_phases(text) == [PhaseLine("A", "1 week", 7), PhaseLine("B", "", 3), PhaseLine("C")]
