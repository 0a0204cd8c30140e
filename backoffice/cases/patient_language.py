"""The patient's language, changed from the case page: the language of every mail and document made for them.

The rule lives with the patient record (`patients.operations.change_preferred_language`); here the change also
becomes a line of the case's timeline, so whoever reads the case sees when and by whom the language changed.
"""

from __future__ import annotations

from backoffice.cases.operations import get_case, record_case_event
from backoffice.patients.operations import change_preferred_language


def change_patient_language(case_id: int, code: str, *, actor_id: int, seen: str | None = None) -> str:
    """Set the case's patient's preferred language (audited on the patient and on the case); flushes.

    Refused for a language the patient's mails are not written in, by someone who does not coordinate care, and
    when the language changed since the user loaded the page (`seen`). Returns the language now in force.
    """
    case = get_case(case_id)
    before, after = change_preferred_language(
        case.patient_id, code, actor_id=actor_id, seen=seen, details={"case": case.number}
    )
    if before != after:
        # Stored text: the timeline line stays as written, in English, like every other case event.
        record_case_event(
            case,
            "patient_language",
            actor_id,
            note=f"Language of the patient's mails and documents: {before} → {after}",
            audit={"before": before, "after": after},
        )
    return after
