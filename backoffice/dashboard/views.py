from datetime import timedelta

from flask import render_template
from flask_login import current_user

from backoffice.auth.operations import accounts_under_attack
from backoffice.auth.permissions import (
    ADMIN,
    ROLE_LABELS,
    may_audit_bills,
    may_coordinate_care,
    may_oversee_all_follow_ups,
    staff_required,
)
from backoffice.billing.bills.listing import list_bills
from backoffice.cases import states
from backoffice.cases.sla import is_overdue
from backoffice.dashboard import bp, operations
from backoffice.dbtypes import utcnow
from backoffice.geo import country_name
from backoffice.languages import N_
from backoffice.trail import list_events

# The dashboard's greeting line per role (German writes the role as a noun, English in lower case).
SIGNED_IN_AS = {
    "admin": N_("Signed in as administrator since %(when)s"),
    "coordinator": N_("Signed in as medical coordinator since %(when)s"),
    "finance": N_("Signed in as finance since %(when)s"),
}


@bp.route("/dashboard")
@staff_required
def index():
    now = utcnow()
    admin_panels = None
    if current_user.role == ADMIN:
        admin_panels = {
            "accounts": operations.accounts_by_role(),
            "failed_logins": operations.failed_logins_since(now - timedelta(hours=24)),
            "recent_events": list_events(page=1, changes_only=True).items[:10],
            "accounts_under_attack": accounts_under_attack(now - timedelta(hours=24)),
        }
    coordination = None
    if may_coordinate_care():
        coordination = {
            "mine": operations.open_cases_by_state(current_user.id),
            "queue": operations.queue_size(),
            "overdue": operations.overdue_requests(now),
            "due_today": operations.due_today(current_user.id, now),
            "median_first_response": operations.median_first_response(now),
            "workload": operations.workload(),
            # Coordinators see the follow-ups of their own cases, administrators everyone's.
            "overdue_follow_ups": operations.overdue_follow_ups(
                None if may_oversee_all_follow_ups() else current_user.id, now.date()
            ),
        }
    billing = None
    if may_audit_bills():
        billing = {"to_review": list_bills(needs_review=True, page=1)}
    return render_template(
        "dashboard/index.html",
        admin=admin_panels,
        billing=billing,
        coordination=coordination,
        roles=ROLE_LABELS,
        signed_in_as=SIGNED_IN_AS[current_user.role],
        state_label=states.shown,
        country_name=country_name,
        duration=operations.format_duration,
        is_overdue=is_overdue,
        window_days=operations.FIRST_RESPONSE_WINDOW.days,
        now=now,
        today=now.date(),
    )
