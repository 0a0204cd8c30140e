"""The case list: every case the team handles, filtered, searched and sorted."""

from flask import render_template, request
from flask_login import current_user

from backoffice.auth.permissions import CARE_COORDINATORS, STAFF_ROLES, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases import bp, listing, screening, states
from backoffice.cases.history import sees_health_data
from backoffice.cases.sla import is_overdue
from backoffice.dbtypes import utcnow
from backoffice.geo import country_name


@bp.route("/")
@roles_required(*STAFF_ROLES)
@reads_health_data()
def list_cases():
    filters = listing.CaseFilters.from_args(request.args, user_id=current_user.id)
    now = utcnow()
    health_data = sees_health_data(current_user.role)
    page = listing.search_cases(filters, now=now, health_data=health_data)
    return render_template(
        "cases/list.html",
        page=page,
        # Cases with a contraindication answered yes and not cleared by the physician (one statement per page).
        flagged=screening.flagged_cases(case.id for case in page.items) if health_data else set(),
        filters=filters,
        choices=listing.filter_choices(),
        overdue_count=listing.count_overdue(now),
        states=states.LABELS,
        state_label=states.shown,
        country_name=country_name,
        sorts=listing.SORTS,
        now=now,
        is_overdue=is_overdue,
        today=now.date(),
        health_data=health_data,
        may_open_cases=current_user.role in CARE_COORDINATORS,
    )
