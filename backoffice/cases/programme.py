"""The hospital programme and physician of a case, and the screening checklist they bring (the price is the offer's).

They may change until the case is confirmed; choosing another programme starts the screening again.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.cases import states
from backoffice.cases.models import Case, ScreeningAnswer
from backoffice.cases.operations import CaseError, check_version, get_case, record_case_event, save_case
from backoffice.directory.models import Physician, Programme
from backoffice.extensions import db

EDITABLE_PROGRAMME_STATES = ("new", "contacted", "records_review", "programme_offered")


def programme_editable(case: Case) -> bool:
    """Until confirmation; a case on hold counts as the state it was put on hold from."""
    state = case.state_before_hold if case.state == "on_hold" else case.state
    return state in EDITABLE_PROGRAMME_STATES


def set_programme(
    case_id: int,
    *,
    programme_id: int,
    physician_id: int | None,
    actor_id: int,
    expected_version: int | None = None,
) -> Case:
    """Choose the hospital programme (and physician); the treatment offer prices it.

    The programme's contraindications become the case's screening checklist; choosing another programme starts
    the screening again. The physician must work at the programme's hospital.
    """
    case = get_case(case_id)
    check_version(case, expected_version)
    if not programme_editable(case):
        raise CaseError(
            _(
                "The programme of a case that is %(state)s can no longer change.",
                state=states.shown(case.state).lower(),
                label=states.shown(case.state),
            )
        )
    programme = db.session.scalar(
        select(Programme)
        .where(Programme.id == programme_id)
        .options(selectinload(Programme.contraindications), joinedload(Programme.hospital))
    )
    if programme is None or not programme.active or not programme.hospital.active:
        raise CaseError(_("Choose an active programme of an active hospital from the directory."))
    physician = None
    if physician_id is not None:
        physician = db.session.get(Physician, physician_id)
        if physician is None or physician.hospital_id != programme.hospital_id:
            raise CaseError(_("The physician must work at %(hospital)s.", hospital=programme.hospital.name))
        if not physician.active:
            raise CaseError(_("%(name)s no longer takes patients; choose another physician.", name=physician.name))
    changed_programme = case.programme_id != programme.id
    case.programme, case.hospital, case.physician = programme, programme.hospital, physician
    save_case(case)  # the version check comes first; the screening rows below do not touch the case row
    if changed_programme:
        for answer in list(case.screening):
            db.session.delete(answer)
        db.session.flush()
        for item in programme.contraindications:
            db.session.add(
                ScreeningAnswer(
                    case_id=case.id,
                    contraindication_id=item.id,
                    position=item.position,
                    question=item.question,
                    resolution_hint=item.resolution_hint,
                )
            )
        db.session.flush()
    record_case_event(
        case,
        "programme_set",
        actor_id,
        note=f"{programme.hospital.name}: {programme.name}",
        audit={"programme_id": programme.id},
    )
    db.session.expire(case, ["screening"])
    return case
