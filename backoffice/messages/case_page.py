"""Messages' panel on the case page (`cases.signals.case_page`): the case's thread and where writing starts.

The thread is health data: those who may not read it (finance) get no panel at all, not an empty one.
"""

from __future__ import annotations

from backoffice.auth.permissions import may_coordinate_care, may_see_health_data
from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.messages import compose, thread


@signals.case_page.connect
def thread_panel(case: Case, *, forms: dict) -> dict:
    """`case_thread` (entries newest first, or None: not for this reader), and for those who write, the case's
    `message_contacts` and the `message_templates` to start from."""
    if not may_see_health_data():
        return {"case_thread": None, "message_contacts": [], "message_templates": {}}
    return {
        "case_thread": thread.case_thread(case.id),
        "message_contacts": compose.case_contacts(case) if may_coordinate_care() else [],
        "message_templates": compose.TEMPLATES,
    }
