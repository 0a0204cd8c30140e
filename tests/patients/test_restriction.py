"""The seam every feature asks about an erased patient's records (`patients.restriction`): which rows a list keeps,
who reads such a record, and that none of it changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.patients.restriction import (
    RecordRestricted,
    check_may_see,
    may_see_restricted,
    not_erased,
    refuse_changes,
)
from tests.factories import make_case, make_patient
from tests.patients.factories import erase


@pytest.fixture
def kept_and_erased(app):
    """Two cases: one of a patient on record, one of a patient erased since (`.patient` on each, loaded)."""
    kept_patient, erased_patient = make_patient(name="Kept Patient"), make_patient()
    kept, gone = make_case(patient=kept_patient), make_case(patient=erased_patient)
    db.session.commit()
    erase(erased_patient)
    kept.patient, gone.patient = kept_patient, erased_patient
    return kept, gone


def test_a_list_joining_patients_leaves_the_erased_out(kept_and_erased):
    names = db.session.scalars(select(Patient.name).where(not_erased())).all()
    assert names == ["Kept Patient"]


def test_a_list_of_records_by_their_patient_id_leaves_the_erased_out(kept_and_erased):
    kept, _gone = kept_and_erased
    assert db.session.scalars(select(Case.id).where(not_erased(Case.patient_id))).all() == [kept.id]


def test_the_condition_by_id_holds_beside_a_join_of_the_patients(kept_and_erased):
    """Its own alias: a query that joins `patients` already is not confused by it (no correlation to the join)."""
    kept, _gone = kept_and_erased
    query = select(Case.id).join(Patient, Patient.id == Case.patient_id).where(not_erased(Case.patient_id))
    assert db.session.scalars(query).all() == [kept.id]


@pytest.mark.parametrize(("role", "sees"), [("finance", True), ("admin", True), ("coordinator", False)])
def test_finance_and_administrators_read_restricted_records(app, role, sees):
    assert may_see_restricted(role) is sees


def test_anyone_else_finds_an_erased_patients_record_as_if_there_were_none(kept_and_erased):
    kept, gone = kept_and_erased
    with pytest.raises(NotFound):
        check_may_see(gone.patient, "coordinator")
    with pytest.raises(NotFound):
        check_may_see(gone.patient_id, "coordinator")  # by id too
    check_may_see(gone.patient, "finance")
    check_may_see(kept.patient, "coordinator")


def test_an_erased_patients_record_is_changed_by_nobody(kept_and_erased):
    kept, gone = kept_and_erased
    with pytest.raises(RecordRestricted) as refused:
        refuse_changes(gone.patient_id)
    assert refused.value.status_code == 409
    assert "kept for the tax law only and cannot be changed" in refused.value.message
    refuse_changes(kept.patient)
