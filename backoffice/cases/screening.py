"""The contraindication screening of a case: yes/no answers to the programme's questions, and resolutions.

A contraindication answered "yes" blocks confirmation until it is resolved (see the guards in cases.operations).
"""

from __future__ import annotations

from datetime import date

from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.cases.operations import CaseError, check_version, get_case, record_case_event, save_case
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound


def screening_editable(case: Case) -> bool:
    """The answers may change until the patient is in hospital (and never on a closed or cancelled case)."""
    return case.state not in states.FINAL and case.state not in ("in_treatment", "discharged", "aftercare")


def answer_screening(
    case_id: int, answers: dict[int, str], *, actor_id: int, expected_version: int | None = None
) -> Case:
    """Record yes/no for the screening questions (by answer id). A changed answer clears its resolution."""
    case = get_case(case_id)
    check_version(case, expected_version)
    if not screening_editable(case):
        raise CaseError("The screening can no longer change at this stage of the case.")
    by_id = {answer.id: answer for answer in case.screening}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise CaseError("The screening questions changed; reload the page.")
    now, changed = utcnow(), []
    for answer_id, value in answers.items():
        if value not in ("yes", "no"):
            raise CaseError("Answer each screening question with yes or no.")
        answer = by_id[answer_id]
        if answer.answer != value:
            answer.answer, answer.answered_at, answer.answered_by_id = value, now, actor_id
            answer.resolution, answer.resolved_on, answer.resolved_at, answer.resolved_by_id = "", None, None, None
            changed.append(f"{answer.question}: {value}")
    if not changed:
        return case
    save_case(case)
    record_case_event(case, "screening", actor_id, note="; ".join(changed))
    return case


def resolve_contraindication(
    case_id: int,
    answer_id: int,
    *,
    resolution: str,
    resolved_on: date,
    actor_id: int,
    expected_version: int | None = None,
) -> Case:
    """Record how a contraindication answered "yes" was resolved (remission reached, after birth, ...) and when."""
    case = get_case(case_id)
    check_version(case, expected_version)
    answer = next((a for a in case.screening if a.id == answer_id), None)
    if answer is None:
        raise NotFound("There is no such screening question on this case.")
    if answer.answer != "yes":
        raise CaseError("Only a contraindication answered yes needs a resolution.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise CaseError("Describe how the contraindication was resolved.")
    if resolved_on > utcnow().date():
        raise CaseError("The resolution date cannot be in the future.")
    answer.resolution, answer.resolved_on = resolution, resolved_on
    answer.resolved_at, answer.resolved_by_id = utcnow(), actor_id
    save_case(case)
    record_case_event(
        case, "screening", actor_id, note=f"{answer.question}: resolved on {resolved_on.isoformat()} ({resolution})"
    )
    return case
