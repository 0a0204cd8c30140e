"""Messages' panel on the case page (`cases.signals.case_page`): the newest messages of the case's thread (the older
ones on its own pages) and where writing starts.

The thread is health data: those who may not read it (finance) get no panel at all, not an empty one.
"""

from __future__ import annotations

from backoffice.auth.permissions import may_coordinate_care, may_see_health_data
from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.messages import compose, thread
from backoffice.messages.compose_forms import PortalAnswerForm

NEWEST = 20  # messages on the case page; "Older messages" leads to all of them


@signals.case_page.connect
def thread_panel(case: Case, *, forms: dict) -> dict:
    """`case_thread` (the NEWEST entries newest first, or None: not for this reader), `older_messages` (whether
    there are more), and for those who write, the case's `message_contacts`, the `message_templates` to start from,
    and the `portal_answer_form` (None while the patient has no portal account to read it with). As many statements
    whatever the thread's length."""
    if not may_see_health_data():
        return {
            "case_thread": None,
            "older_messages": False,
            "message_contacts": [],
            "message_templates": {},
            "message_counterparts": {},
            "portal_answer_form": None,
        }
    writes = may_coordinate_care()
    answers_in_portal = writes and case.patient.user_id is not None
    entries = thread.case_thread(case.id, limit=NEWEST + 1)
    return {
        "case_thread": entries[:NEWEST],
        "older_messages": len(entries) > NEWEST,
        "message_contacts": compose.case_contacts(case) if writes else [],
        "message_templates": compose.template_labels(),
        "message_counterparts": {code: thread.counterpart_label(code) for code in thread.COUNTERPART_LABELS},
        "portal_answer_form": (forms.get("portal_answer_form") or PortalAnswerForm(formdata=None))
        if answers_in_portal
        else None,
    }
