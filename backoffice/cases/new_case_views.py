"""Staff "New case": a case taken down from a call, an e-mail or a referral (rules in `cases.opening`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import CARE_COORDINATORS, roles_required
from backoffice.cases import bp, opening
from backoffice.cases.forms import PhoneCaseForm
from backoffice.dbtypes import utcnow
from backoffice.directory.operations import paused_countries
from backoffice.errors import DomainError
from backoffice.jobs import outbox
from backoffice.transactions import commit_answer


def _render(form: PhoneCaseForm, status: int, *, known: list | None = None, paused: bool = False):
    return render_template("cases/new.html", form=form, known=known or [], paused=paused), status


def _sent_on(answer):
    outbox.kick()  # the patient's confirmation goes out now, not at the dispatcher's next round
    return answer


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CARE_COORDINATORS)
def create_case():
    """A case from a phone call or an e-mail, taken down by a coordinator."""
    paused = paused_countries()
    form = PhoneCaseForm(paused=frozenset(paused))
    destination_paused = form.destination_country.data in paused
    if not form.validate_on_submit():
        return _render(form, 422 if form.is_submitted() else 200, paused=destination_paused)

    def refused(error: DomainError):
        if isinstance(error, opening.ContactAlreadyKnown):
            return _render(form, error.status_code, known=error.matches, paused=destination_paused)
        flash(error.message, "error")
        return _render(form, error.status_code, paused=destination_paused)

    return commit_answer(
        lambda: opening.open_case_by_staff(
            {
                "name": form.name.data,
                "email": form.email.data,
                "phone": form.phone.data or "",
                "country": form.country.data,
                "preferred_language": form.preferred_language.data,
            },
            requested_treatment=form.requested_treatment.data,
            destination_country=form.destination_country.data or None,
            message=form.message.data or "",
            source=form.source.data,
            consent_at=utcnow(),
            actor_id=current_user.id,
            existing_patient_id=form.existing_patient_id,
            new_patient_confirmed=form.decision.data == "new",
            paused_override_reason=form.paused_override_reason.data or "",
        ),
        success=lambda opened: " ".join([_("Case %(number)s opened.", number=opened[0].number), *opened[1]]),
        answer=lambda opened: _sent_on(redirect(url_for("cases.show_case", case_id=opened[0].id))),
        on_refusal=refused,
    )
