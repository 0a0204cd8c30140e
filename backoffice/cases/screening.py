"""The contraindication screening of a case: yes/no answers to the programme's questions, and resolutions.

A contraindication answered "yes" blocks confirmation until it is resolved (see the guards in cases.operations), and
every later step when it is found after confirmation; while it is open the case is flagged wherever it is shown (case
page, case list, itinerary page and PDF). Only the physician clears it: a resolution rests on a document of type
"clearance" uploaded to the case, or is made by an administrator, who must give the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.auth.permissions import may_waive_clearance
from backoffice.cases import documents, states
from backoffice.cases.models import Case, ScreeningAnswer
from backoffice.cases.operations import CaseError, check_version, get_case, record_case_event, save_case
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db


def open_contraindications(case: Case) -> list[str]:
    """The contraindications of the case answered "yes" and not cleared (the case's screening must be loaded)."""
    return [answer.question for answer in case.screening if answer.is_open_positive]


def open_contraindications_of_case(case_id: int) -> list[str]:
    """The same for a case not loaded (the itinerary): one statement."""
    return list(
        db.session.scalars(
            select(ScreeningAnswer.question)
            .where(
                ScreeningAnswer.case_id == case_id,
                ScreeningAnswer.answer == "yes",
                ScreeningAnswer.resolved_on.is_(None),
            )
            .order_by(ScreeningAnswer.position)
        )
    )


def flagged_cases(case_ids: Iterable[int]) -> set[int]:
    """Which of these cases have an open contraindication (for a list of cases: one statement)."""
    ids = list(case_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ScreeningAnswer.case_id)
            .where(
                ScreeningAnswer.case_id.in_(ids),
                ScreeningAnswer.answer == "yes",
                ScreeningAnswer.resolved_on.is_(None),
            )
            .distinct()
        )
    )


def _past_confirmation(case: Case) -> bool:
    state = case.state_before_hold if case.state == "on_hold" else case.state
    return state in states.PIPELINE and states.PIPELINE.index(state) >= states.PIPELINE.index("confirmed")


def screening_editable(case: Case) -> bool:
    """The answers may change until the patient is in hospital (and never on a closed or cancelled case)."""
    return case.state not in states.FINAL and case.state not in ("in_treatment", "discharged", "aftercare")


def answer_screening(
    case_id: int, answers: dict[int, str], *, actor_id: int, expected_version: int | None = None
) -> Case:
    """Record yes/no for the screening questions (by answer id). A changed answer clears its resolution.

    A "yes" is taken back (changed to "no") by an administrator only: otherwise it is cleared by the physician.
    """
    case = get_case(case_id)
    check_version(case, expected_version)
    if not screening_editable(case):
        raise CaseError(_("The screening can no longer change at this stage of the case."))
    by_id = {answer.id: answer for answer in case.screening}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise CaseError(_("The screening questions changed; reload the page."))
    now, changed, late = utcnow(), [], []
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    for answer_id, value in answers.items():
        if value not in ("yes", "no"):
            raise CaseError(_("Answer each screening question with yes or no."))
        answer = by_id[answer_id]
        if answer.answer == "yes" and value == "no" and (actor is None or not may_waive_clearance(actor.role)):
            # Taking a "yes" back would clear the contraindication by typing, around the physician.
            raise CaseError(
                _(
                    "“%(question)s” was answered yes: it is cleared by the physician's clearance (record it below), "
                    "and only an administrator can change the answer to no.",
                    question=answer.question,
                )
            )
        if answer.answer != value:
            answer.answer, answer.answered_at, answer.answered_by_id = value, now, actor_id
            answer.resolution, answer.resolved_on, answer.resolved_at, answer.resolved_by_id = "", None, None, None
            answer.clearance_document_id = None
            changed.append(f"{answer.question}: {value}")
            if value == "yes" and _past_confirmation(case):
                late.append(answer.question)
    if not changed:
        return case
    save_case(case)
    note = "; ".join(changed)
    if late:
        note += (
            f" — found after confirmation: the case is flagged and cannot move on until the physician clears "
            f"{'it' if len(late) == 1 else 'them'}"
        )
    record_case_event(case, "screening", actor_id, note=note, audit={"found_late": late} if late else None)
    return case


def resolve_contraindication(
    case_id: int,
    answer_id: int,
    *,
    resolution: str,
    resolved_on: date,
    actor_id: int,
    clearance_document_id: int | None = None,
    expected_version: int | None = None,
) -> Case:
    """Record that a contraindication answered "yes" was resolved (remission reached, after birth, ...) and when.

    Typing it is not enough: the resolution rests on the physician's clearance, a document of type "clearance" of
    this case, chosen here; without one only an administrator may clear it, and the text is then the reason.
    """
    case = get_case(case_id)
    check_version(case, expected_version)
    answer = next((a for a in case.screening if a.id == answer_id), None)
    if answer is None:
        raise NotFound(_("There is no such screening question on this case."))
    if answer.answer != "yes":
        raise CaseError(_("Only a contraindication answered yes needs a resolution."))
    resolution = (resolution or "").strip()
    if not resolution:
        raise CaseError(_("Describe how the contraindication was resolved."))
    if resolved_on > utcnow().date():
        raise CaseError(_("The resolution date cannot be in the future."))
    clearance = None
    if clearance_document_id is not None:
        try:
            clearance = documents.usable_document(case.id, clearance_document_id, "clearance", "physician's clearance")
        except documents.DocumentError as error:
            raise CaseError(error.message) from None
    else:
        actor = db.session.get(User, actor_id)
        if actor is None or not may_waive_clearance(actor.role):
            raise CaseError(
                _(
                    "“%(question)s” is cleared by the physician: upload the physician's clearance to the case "
                    "(document type “Physician's clearance”) and choose it here. Without one, only an administrator "
                    "can clear it, giving the reason.",
                    question=answer.question,
                )
            )
    answer.resolution, answer.resolved_on = resolution, resolved_on
    answer.resolved_at, answer.resolved_by_id = utcnow(), actor_id
    answer.clearance_document_id = clearance.id if clearance else None
    save_case(case)
    basis = (
        f"physician's clearance {clearance.original_filename}"
        if clearance
        else "cleared by an administrator without a clearance document"
    )
    record_case_event(
        case,
        "screening",
        actor_id,
        note=f"{answer.question}: resolved on {resolved_on.isoformat()} ({resolution}); {basis}",
        audit={
            "answer_id": answer.id,
            "clearance_document_id": clearance.id if clearance else None,
            "cleared_by_admin": clearance is None,
        },
    )
    return case
