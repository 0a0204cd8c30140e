from flask import flash, redirect, render_template, request, session, url_for

from backoffice.auth.permissions import public
from backoffice.extensions import db
from backoffice.intake import bp, operations
from backoffice.intake.forms import RequestForm, destinations_in
from backoffice.jobs import outbox
from backoffice.languages import page_language

# The thank-you page reads the case number from here; None after a honeypot hit (nothing was created).
SESSION_KEY = "intake_case_number"


@bp.route("/request", methods=["GET", "POST"])
@public
def request_treatment():
    form = RequestForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("intake/request.html", form=form, destinations=destinations_in(page_language())), status
    try:
        case = operations.submit_request(
            name=form.name.data,
            email=form.email.data,
            phone=form.phone.data or "",
            country=form.country.data,
            preferred_language=form.preferred_language.data,
            requested_treatment=form.requested_treatment.data,
            destination_country=form.destination_country.data or None,
            message=form.message.data or "",
            consent=form.consent.data,
            honeypot=form.website.data or "",
            remote_addr=request.remote_addr or "unknown",
        )
    except operations.IntakeRefused as error:
        db.session.commit()  # the refused attempt counts towards the rate limit
        flash(error.message, "error")
        headers = {}
        if isinstance(error, operations.TooManyRequests):
            headers["Retry-After"] = str(int(error.retry_after.total_seconds()) + 1)
        page = render_template("intake/request.html", form=form, destinations=destinations_in(page_language()))
        return page, error.status_code, headers
    db.session.commit()
    outbox.kick()  # the confirmation mail goes out now, not at the dispatcher's next round
    session[SESSION_KEY] = case.number if case else None
    return redirect(url_for("intake.thanks"))


@bp.route("/request/thanks")
@public
def thanks():
    if SESSION_KEY not in session:
        return redirect(url_for("intake.request_treatment"))
    # Shown once: on a shared computer the next visitor must not find the last person's request here.
    case = operations.received_request(session.pop(SESSION_KEY))
    return render_template("intake/thanks.html", case=case)
