"""The itinerary of a case (page, patient PDF, .ics) and each coordinator's personal calendar feed."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import (
    CARE_COORDINATORS,
    STAFF_ROLES,
    public,
    roles_required,
)
from backoffice.auth.reads import reads_health_data
from backoffice.cases.screening import open_contraindications_of_case
from backoffice.downloads import download
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.forms import ConfirmForm
from backoffice.jobs import outbox
from backoffice.logistics import bp
from backoffice.logistics.itinerary import calendar, pickup_buffer, record_pdf_despite_problems, sending
from backoffice.logistics.itinerary.document import TEMPLATE_HELPERS, render_itinerary_pdf
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.items import days
from backoffice.logistics.itinerary.loading import load_itinerary, local_today
from backoffice.logistics.itinerary.sending import open_problems
from backoffice.logistics.timezones import shown_local
from backoffice.messages import kinds
from backoffice.trail import record_event
from backoffice.transactions import commit_answer, commit_change

ITINERARY_READERS = STAFF_ROLES
ITINERARY_WORKERS = CARE_COORDINATORS


def _record_download(action: str, itinerary) -> None:
    record_event(
        action,
        actor_id=current_user.id,
        object_type="case",
        object_id=itinerary.case_id,
        details={"number": itinerary.case_number},
    )
    db.session.commit()


@bp.route("/cases/<int:case_id>/itinerary")
@roles_required(*ITINERARY_READERS)
@reads_health_data(case_arg="case_id")
def show_itinerary(case_id: int):
    return _itinerary_page(case_id)


def _itinerary_page(case_id: int, status: int = 200):
    itinerary = load_itinerary(case_id)
    findings = find_problems(itinerary, pickup_buffer=pickup_buffer(), today=local_today(itinerary))
    return render_template(
        "logistics/itinerary.html",
        itinerary=itinerary,
        findings=findings,
        flagged={uid for finding in findings for uid in finding.item_uids},
        days=days(itinerary),
        may_work=current_user.role in ITINERARY_WORKERS,
        # Health data: the open contraindications are named to coordinators and administrators only.
        contraindications=open_contraindications_of_case(case_id) if current_user.role in ITINERARY_WORKERS else [],
        **{**TEMPLATE_HELPERS, "format_local": shown_local},  # the staff page: days in the page's language
    ), status


@bp.route("/cases/<int:case_id>/itinerary.pdf")
@roles_required(*ITINERARY_WORKERS)
@reads_health_data(case_arg="case_id")
def itinerary_pdf(case_id: int):
    """The patient's PDF; while the itinerary has open problems, a warning instead, with a "download anyway" step."""
    itinerary = load_itinerary(case_id)
    problems = open_problems(itinerary)
    if problems:
        return render_template(
            "logistics/itinerary_pdf_warning.html", itinerary=itinerary, problems=problems, confirm_form=ConfirmForm()
        )
    return _pdf(itinerary)


@bp.route("/cases/<int:case_id>/itinerary.pdf/anyway", methods=["POST"])
@roles_required(*ITINERARY_WORKERS)
@reads_health_data(case_arg="case_id")
def itinerary_pdf_anyway(case_id: int):
    """The explicit step past the warning: the PDF, with the open problems recorded on the case's timeline."""
    itinerary = load_itinerary(case_id)
    problems = open_problems(itinerary)  # the CSRF token is checked for every POST by CSRFProtect
    if problems:
        record_pdf_despite_problems(itinerary, problems, current_user.id)
    return _pdf(itinerary)


def _pdf(itinerary):
    pdf = render_itinerary_pdf(itinerary)
    _record_download("itinerary_pdf_downloaded", itinerary)
    return download(pdf, mimetype="application/pdf", filename=f"itinerary-{itinerary.case_number}.pdf")


@bp.route("/cases/<int:case_id>/itinerary/send", methods=["POST"])
@roles_required(*ITINERARY_WORKERS)
@reads_health_data(case_arg="case_id")
def send_itinerary(case_id: int):
    """Mail the itinerary to the patient: the portal link, and the PDF when "attach the PDF" is ticked."""

    def said(sent) -> str:
        kind, message, with_pdf = sent
        label = str(kinds.KINDS[kind].label)
        if message is None:
            return _("Nothing was sent: the “%(mail)s” mail is switched off by an administrator.", mail=label)
        if with_pdf:
            return _("“%(mail)s” is on its way to %(to)s with the PDF attached.", mail=label, to=message.to_addresses)
        return _("“%(mail)s” is on its way to %(to)s.", mail=label, to=message.to_addresses)

    return commit_change(
        lambda: sending.send_itinerary(
            case_id, attach_pdf=request.form.get("attach_pdf") == "y", actor_id=current_user.id
        ),
        success=said,
        target=url_for("logistics.show_itinerary", case_id=case_id),
        on_refusal=lambda status: _itinerary_page(case_id, status),
        after_commit=outbox.kick,
    )


@bp.route("/cases/<int:case_id>/itinerary.ics")
@roles_required(*ITINERARY_WORKERS)
@reads_health_data(case_arg="case_id")
def itinerary_ics(case_id: int):
    itinerary = load_itinerary(case_id)
    body = calendar.itinerary_ics(itinerary)
    _record_download("itinerary_ics_downloaded", itinerary)
    return download(body, mimetype="text/calendar", filename=f"itinerary-{itinerary.case_number}.ics")


# ---------------------------------------------------------------------------------------------- the personal feed


def _render_feed(status: int = 200, *, feed_url: str | None = None):
    return (
        render_template(
            "logistics/calendar_feed.html",
            feed=calendar.active_feed(current_user.id),
            feed_url=feed_url,
            confirm_form=ConfirmForm(),
        ),
        status,
    )


@bp.route("/calendar/feed")
@roles_required(*CARE_COORDINATORS)
def calendar_feed():
    return _render_feed()


@bp.route("/calendar/feed/new", methods=["POST"])
@roles_required(*CARE_COORDINATORS)
def create_calendar_feed():
    # The CSRF token is checked for every POST by CSRFProtect.
    return commit_answer(
        lambda: calendar.create_feed(current_user.id, actor_id=current_user.id),
        success=_("Your new calendar feed is ready. Any earlier feed address no longer works."),
        # Shown in this answer only (not redirected): the token is stored hashed and never appears again.
        answer=lambda created: _render_feed(
            feed_url=url_for("logistics.calendar_feed_ics", token=created[1], _external=True)
        ),
        on_refusal=_feed_refused,
    )


def _feed_refused(error: DomainError):
    flash(error.message, "error")
    return _render_feed(error.status_code)


@bp.route("/calendar/feed/revoke", methods=["POST"])
@roles_required(*CARE_COORDINATORS)
def revoke_calendar_feed():
    # The CSRF token is checked for every POST by CSRFProtect.
    return commit_change(
        lambda: calendar.revoke_feed(current_user.id, actor_id=current_user.id),
        success=_("Your calendar feed is revoked: calendars subscribed to it get nothing more."),
        target=url_for("logistics.calendar_feed"),
        on_refusal=lambda status: _render_feed(status),
    )


@bp.route("/calendar/<token>.ics")
@public  # the secret token in the URL is the key: calendar apps cannot sign in
def calendar_feed_ics(token: str):
    user = calendar.feed_owner(token)
    if user is None:
        abort(404)
    return download(calendar.feed_ics(user), mimetype="text/calendar", filename="calendar.ics", inline=True)
