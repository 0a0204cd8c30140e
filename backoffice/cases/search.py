"""Searching cases: folded search keys stored on each case, kept up to date on every write, matched with LIKE.

A case carries two keys (see `backoffice.folding`): `search_key` (its number and its patient's name, email and
phone) and `treatment_key` (the diagnosis or treatment asked for, health data: only searched for the roles that may
read it). Each word of a search must occur in one of them, so "Al Mansouri" finds "Al-Mansouri", "lukasz" finds
"Łukasz", "00175" finds C-2026-00175 and "4969123" finds "+49 (69) 123-45". One statement whatever the number of
words; PostgreSQL answers from trigram (GIN) indexes on both keys, SQLite scans the narrow keys.

The keys are kept by a `before_flush` listener on every session: whatever changes a case's number or treatment, or a
patient's name, email or phone, through the ORM, rewrites the keys in the same flush. Bulk Core INSERTs (the demo
seed) fill them with `case_search_key`; the migration that added them filled the existing rows.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, event, false, or_, select
from sqlalchemy.orm import Session

from backoffice.cases.models import Case
from backoffice.folding import fold, join_keys, search_terms
from backoffice.patients.models import Patient

_CASE_FIELDS = ("number", "patient_id", "requested_treatment")
_PATIENT_FIELDS = ("name", "email", "phone")


def case_search_key(number: str, name: str, email: str, phone: str) -> str:
    """The key a case is found by: its number and its patient's name, email and phone, folded."""
    return join_keys(number, name, email, phone)


def treatment_key(treatment: str) -> str:
    return fold(treatment)


def search_condition(query: str, *, health_data: bool) -> ColumnElement[bool]:
    """Cases in which every word of `query` occurs; the treatment too when the user may read health data.

    A search of punctuation only (no letter or digit) matches nothing.
    """
    terms = search_terms(query)
    if not terms:
        return false()
    conditions = []
    for term in terms:
        condition = Case.search_key.contains(term, autoescape=True)
        if health_data:
            condition = or_(condition, Case.treatment_key.contains(term, autoescape=True))
        conditions.append(condition)
    return and_(*conditions)


def _changed(instance, fields: tuple[str, ...]) -> bool:
    state = instance._sa_instance_state
    return any(state.attrs[name].history.has_changes() for name in fields)


def _refresh(case: Case, patient: Patient | None) -> None:
    if patient is not None:
        case.search_key = case_search_key(case.number, patient.name, patient.email, patient.phone)
    case.treatment_key = treatment_key(case.requested_treatment)


@event.listens_for(Session, "before_flush")
def _keep_search_keys(session: Session, flush_context, instances) -> None:
    cases = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Case) and (obj in session.new or _changed(obj, _CASE_FIELDS))
    ]
    patients = [
        obj
        for obj in session.dirty
        if isinstance(obj, Patient) and obj not in session.new and _changed(obj, _PATIENT_FIELDS)
    ]
    if not cases and not patients:
        return
    with session.no_autoflush:
        for case in cases:
            patient = case.__dict__.get("patient")
            if patient is None and case.patient_id is not None:
                patient = session.get(Patient, case.patient_id)
            _refresh(case, patient)
        by_id = {patient.id: patient for patient in patients}
        if by_id:
            for case in session.scalars(select(Case).where(Case.patient_id.in_(by_id))):
                _refresh(case, by_id[case.patient_id])
