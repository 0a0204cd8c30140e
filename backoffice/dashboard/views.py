from datetime import timedelta

from flask import render_template
from flask_login import current_user

from backoffice.audit.operations import list_events
from backoffice.auth.permissions import ADMIN, ROLE_LABELS, staff_required
from backoffice.dashboard import bp, operations
from backoffice.dbtypes import utcnow


@bp.route("/dashboard")
@staff_required
def index():
    admin_panels = None
    if current_user.role == ADMIN:
        admin_panels = {
            "accounts": operations.accounts_by_role(),
            "failed_logins": operations.failed_logins_since(utcnow() - timedelta(hours=24)),
            "recent_events": list_events(page=1).items[:10],
        }
    return render_template("dashboard/index.html", admin=admin_panels, roles=ROLE_LABELS)
