"""Interpreter pages: the directory (staff read it, admins and coordinators change it) and a case's interpreter
bookings (staff read them, finance for the costs; admins and coordinators book, change, confirm and cancel)."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases.models import OPEN_STATES
from backoffice.forms import ConfirmForm, choices, form_status
from backoffice.geo import language_name, languages
from backoffice.languages import page_language
from backoffice.logistics import bp
from backoffice.logistics.costs import interpreter_costs
from backoffice.logistics.interpreters import bookings, directory
from backoffice.logistics.interpreters.forms import (
    CancelInterpreterBookingForm,
    ConfirmInterpreterBookingForm,
    InterpreterBookingForm,
    InterpreterForm,
)
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.logistics.timezones import shown_span, to_local
from backoffice.trail import list_events
from backoffice.transactions import commit_change

READERS = (ADMIN, COORDINATOR, FINANCE)
EDITORS = (ADMIN, COORDINATOR)
INTERPRETER_FIELDS = ("name", "languages", "hourly_rate_amount", "hourly_rate_currency", "email", "phone", "city")
BOOKING_FIELDS = ("language", "day", "starts", "ends", "place", "cost_amount", "cost_currency", "notes")


def _language_names(codes) -> str:
    return ", ".join(language_name(code, page_language()) for code in codes or ())


def _helpers() -> dict[str, Any]:
    """What the interpreter templates use; passed explicitly, as other logistics pages share the blueprint."""
    return {
        "may_edit": current_user.role in EDITORS,
        "language_names": _language_names,
        "local_span": shown_span,
    }


def _page(template: str, status: int = 200, **context: Any):
    return render_template(template, **_helpers(), **context), status


def _rate(interpreter: Interpreter) -> str:
    if not interpreter.hourly_rate:
        return _("no hourly rate")
    return _("%(rate)s/h", rate=interpreter.hourly_rate.format(page_language()))


# ---------------------------------------------------------------------------------------------- the directory


def _to_interpreter(interpreter: Interpreter) -> str:
    return url_for("logistics.show_interpreter", interpreter_id=interpreter.id)


def _interpreter_values(form: InterpreterForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in INTERPRETER_FIELDS}


@bp.route("/interpreters/")
@roles_required(*READERS)
def list_interpreters():
    page = directory.list_interpreters(
        page=request.args.get("page", 1, type=int),
        language=request.args.get("language", "")[:2],
        search=request.args.get("q", "")[:100],
    )
    return _page("logistics/interpreters.html", page=page, languages=languages(page_language()), rate=_rate)


@bp.route("/interpreters/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create_interpreter():
    form = InterpreterForm()

    def form_page(status: int):
        return _page("logistics/interpreters_form.html", status, form=form, interpreter=None)

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: directory.create_interpreter(**_interpreter_values(form), actor_id=current_user.id),
        success=lambda interpreter: _("%(name)s is in the interpreter directory.", name=interpreter.name),
        target=_to_interpreter,
        on_refusal=form_page,
    )


@bp.route("/interpreters/<int:interpreter_id>")
@roles_required(*READERS)
def show_interpreter(interpreter_id: int):
    return _render_interpreter(interpreter_id)


def _render_interpreter(interpreter_id: int, status: int = 200):
    interpreter = directory.get_interpreter(interpreter_id)
    # The audit log (actors, addresses) is the administrators', as in the navigation.
    events = list_events(object_type="interpreter", object_id=interpreter.id) if current_user.role == ADMIN else None
    return _page(
        "logistics/interpreters_detail.html",
        status,
        interpreter=interpreter,
        upcoming=directory.upcoming_bookings(interpreter.id),
        rate=_rate,
        events=events,
        confirm_form=ConfirmForm(),
    )


@bp.route("/interpreters/<int:interpreter_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_interpreter(interpreter_id: int):
    interpreter = directory.get_interpreter(interpreter_id)
    rate = interpreter.hourly_rate
    form = InterpreterForm(
        data={
            "name": interpreter.name,
            "languages": ", ".join(interpreter.languages or ()),
            "hourly_rate_amount": str(rate.amount) if rate else "",
            "hourly_rate_currency": rate.currency if rate else "EUR",
            "email": interpreter.email,
            "phone": interpreter.phone,
            "city": interpreter.city,
        }
    )

    def form_page(status: int):
        return _page("logistics/interpreters_form.html", status, form=form, interpreter=interpreter)

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: directory.update_interpreter(interpreter_id, **_interpreter_values(form), actor_id=current_user.id),
        success=lambda interpreter: _("%(name)s: changes saved.", name=interpreter.name),
        target=_to_interpreter,
        on_refusal=form_page,
    )


@bp.route("/interpreters/<int:interpreter_id>/deactivate", methods=["POST"])
@roles_required(*EDITORS)
def deactivate_interpreter(interpreter_id: int):
    return commit_change(
        lambda: directory.deactivate_interpreter(interpreter_id, actor_id=current_user.id),
        success=lambda interpreter: _(
            "%(name)s is deactivated: no new bookings. Existing bookings stay.", name=interpreter.name
        ),
        target=_to_interpreter,
        on_refusal=lambda status: _render_interpreter(interpreter_id, status),
    )


@bp.route("/interpreters/<int:interpreter_id>/reactivate", methods=["POST"])
@roles_required(*EDITORS)
def reactivate_interpreter(interpreter_id: int):
    return commit_change(
        lambda: directory.reactivate_interpreter(interpreter_id, actor_id=current_user.id),
        success=lambda interpreter: _("%(name)s is active again.", name=interpreter.name),
        target=_to_interpreter,
        on_refusal=lambda status: _render_interpreter(interpreter_id, status),
    )


# ---------------------------------------------------------------------------------------------- a case's bookings


def _to_case_bookings(booking: InterpreterBooking) -> str:
    return url_for("logistics.case_interpreter_bookings", case_id=booking.case_id)


@bp.route("/cases/<int:case_id>/interpreters")
@roles_required(*READERS)
@reads_health_data(case_arg="case_id")
def case_interpreter_bookings(case_id: int):
    return _render_case_bookings(case_id)


def _render_case_bookings(case_id: int, status: int = 200):
    case = bookings.get_case(case_id)
    return _page(
        "logistics/interpreter_bookings.html",
        status,
        case=case,
        case_open=case.state in OPEN_STATES,
        bookings=bookings.interpreter_bookings_of(case.id),
        costs=interpreter_costs(case.id),
        confirm_form=ConfirmInterpreterBookingForm(formdata=None),
        cancel_form=CancelInterpreterBookingForm(formdata=None),
    )


def _booking_choices(form: InterpreterBookingForm, case, current: Interpreter | None = None) -> list[Interpreter]:
    """Fill the selects: active interpreters offering one of the patient's languages, and those languages."""
    spoken = case.patient.spoken_languages
    offered = directory.interpreters_for(spoken)
    if current is not None and all(candidate.id != current.id for candidate in offered):
        offered.insert(0, current)
    form.interpreter_id.choices = [
        SelectChoice("", _("Choose an interpreter")),
        *(
            SelectChoice(
                str(candidate.id),
                f"{candidate.name} — {_language_names(candidate.languages)} — {_rate(candidate)}",
            )
            for candidate in offered
        ),
    ]
    form.language.choices = choices((code, language_name(code, page_language())) for code in spoken)
    return offered


def _booking_details(form: InterpreterBookingForm) -> bookings.InterpreterBookingDetails:
    return bookings.InterpreterBookingDetails(
        interpreter_id=int(form.interpreter_id.data), **{name: form[name].data for name in BOOKING_FIELDS}
    )


def _form_refused(form: InterpreterBookingForm) -> None:
    flash(" ".join(f"{form[name].label.text}: {errors[0]}" for name, errors in form.errors.items()), "error")


@bp.route("/cases/<int:case_id>/interpreters/book", methods=["GET", "POST"])
@roles_required(*EDITORS)
@reads_health_data(case_arg="case_id")
def book_interpreter(case_id: int):
    case = bookings.get_case(case_id)
    hospital = case.hospital
    form = InterpreterBookingForm(
        data={"place": ", ".join(part for part in (hospital.name, hospital.address) if part) if hospital else ""}
    )
    _booking_choices(form, case)

    def form_page(status: int):
        fresh = bookings.get_case(case_id)  # after a rollback, read the case again
        offered = _booking_choices(form, fresh)
        return _page(
            "logistics/interpreter_booking_form.html", status, form=form, case=fresh, offered=offered, booking=None
        )

    if not form.validate_on_submit():
        if form.is_submitted():
            _form_refused(form)
        return form_page(form_status(form))
    return commit_change(
        lambda: bookings.book_interpreter(case_id, _booking_details(form), actor_id=current_user.id),
        success=lambda booking: _(
            "%(name)s requested for %(when)s. Confirm the booking once the interpreter agrees.",
            name=booking.interpreter.name,
            when=shown_span(booking.starts_at, booking.ends_at, booking.timezone),
        ),
        target=_to_case_bookings,
        on_refusal=form_page,
    )


@bp.route("/cases/<int:case_id>/interpreters/<int:booking_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
@reads_health_data(case_arg="case_id")
def edit_interpreter_booking(case_id: int, booking_id: int):
    case = bookings.get_case(case_id)
    booking = bookings.get_interpreter_booking(case.id, booking_id)
    starts, ends = to_local(booking.starts_at, booking.timezone), to_local(booking.ends_at, booking.timezone)
    form = InterpreterBookingForm(
        data={
            "interpreter_id": str(booking.interpreter_id),
            "language": booking.language,
            "day": starts.date(),
            "starts": starts.time(),
            "ends": ends.time(),
            "place": booking.place,
            "cost_amount": str(booking.cost.amount) if booking.cost else "",
            "cost_currency": booking.cost.currency if booking.cost else "EUR",
            "notes": booking.notes,
        }
    )
    _booking_choices(form, case, booking.interpreter)

    def form_page(status: int):
        fresh = bookings.get_case(case_id)
        current = bookings.get_interpreter_booking(case_id, booking_id)
        offered = _booking_choices(form, fresh, current.interpreter)
        return _page(
            "logistics/interpreter_booking_form.html", status, form=form, case=fresh, offered=offered, booking=current
        )

    if not form.validate_on_submit():
        if form.is_submitted():
            _form_refused(form)
        return form_page(form_status(form))
    return commit_change(
        lambda: bookings.update_interpreter_booking(
            case_id, booking_id, _booking_details(form), actor_id=current_user.id
        ),
        success=lambda booking: _(
            "Interpreter booking changed: %(name)s, %(when)s (%(status)s).",
            name=booking.interpreter.name,
            when=shown_span(booking.starts_at, booking.ends_at, booking.timezone),
            status=_(booking.status),
        ),
        target=_to_case_bookings,
        on_refusal=form_page,
    )


@bp.route("/cases/<int:case_id>/interpreters/<int:booking_id>/confirm", methods=["POST"])
@roles_required(*EDITORS)
def confirm_interpreter_booking(case_id: int, booking_id: int):
    bookings.get_interpreter_booking(case_id, booking_id)  # 404 for another case's booking
    form = ConfirmInterpreterBookingForm()
    if not form.validate():
        flash(_("The reference is too long (at most 100 characters)."), "error")
        return _render_case_bookings(case_id, 422)
    return commit_change(
        lambda: bookings.confirm_interpreter_booking(
            case_id, booking_id, supplier_reference=form.supplier_reference.data or "", actor_id=current_user.id
        ),
        success=lambda booking: _("%(name)s's booking is confirmed.", name=booking.interpreter.name),
        target=_to_case_bookings,
        on_refusal=lambda status: _render_case_bookings(case_id, status),
    )


@bp.route("/cases/<int:case_id>/interpreters/<int:booking_id>/cancel", methods=["POST"])
@roles_required(*EDITORS)
def cancel_interpreter_booking(case_id: int, booking_id: int):
    bookings.get_interpreter_booking(case_id, booking_id)  # 404 for another case's booking
    form = CancelInterpreterBookingForm()
    if not form.validate():
        flash(_("The reason is too long (at most 300 characters)."), "error")
        return _render_case_bookings(case_id, 422)
    return commit_change(
        lambda: bookings.cancel_interpreter_booking(
            case_id, booking_id, reason=form.reason.data or "", actor_id=current_user.id
        ),
        success=lambda booking: _(
            "%(name)s's booking is cancelled; the time is free again.", name=booking.interpreter.name
        ),
        target=_to_case_bookings,
        on_refusal=lambda status: _render_case_bookings(case_id, status),
    )
