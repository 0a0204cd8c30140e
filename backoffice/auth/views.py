from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from backoffice.auth import bp, devices, operations
from backoffice.auth.forms import ChangePasswordForm, LoginForm, PageLanguageForm
from backoffice.auth.permissions import login_required, public, staff_required
from backoffice.auth.sessions import clear_session, home_for, mark_signed_in, safe_next_url, sign_out
from backoffice.errors import DomainError, render_error
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.languages import NATIVE_NAMES, reselect_page_language
from backoffice.transactions import commit_change


def _throttled(error: operations.LoginThrottled, page: Callable[[], str]):
    db.session.commit()  # the refusal's audit row
    flash(error.message, "error")
    retry_after = str(int(error.retry_after.total_seconds()) + 1)
    return page(), error.status_code, {"Retry-After": retry_after}


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    try:
        user = operations.authenticate(
            form.email.data, form.password.data, request.remote_addr or "unknown", devices.known_user_ids()
        )
    except operations.LoginThrottled as error:
        return _throttled(error, lambda: render_template("auth/login.html", form=form))
    except DomainError as error:
        db.session.commit()  # the failed attempt counts towards the throttle
        flash(error.message, "error")
        return render_template("auth/login.html", form=form), error.status_code
    db.session.commit()
    clear_session()
    login_user(user)
    mark_signed_in()
    reselect_page_language()  # the messages below in the person's own language
    if user.must_change_password:
        flash(_("Signed in as %(name)s. Choose your own password before you continue.", name=user.name), "info")
        target = url_for("auth.change_password")
    else:
        flash(_("Signed in as %(name)s.", name=user.name), "success")
        target = safe_next_url(request.args.get("next"), user)
    return devices.remember_device(redirect(target), user.id)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    context = {"form": form, "forced": current_user.must_change_password}
    if not form.validate_on_submit():
        return render_template("auth/change_password.html", **context), 422 if form.is_submitted() else 200
    return change_own_password(form, page=lambda: render_template("auth/change_password.html", **context))


def change_own_password(form: ChangePasswordForm, *, page: Callable[[], str], target: str | None = None):
    """The signed-in person's password changed from a validated `ChangePasswordForm` (staff's page, the patient's
    account page): a wrong current password counts towards the sign-in throttle, a refusal shows `page()` again with
    its status, success signs this session in again and goes to `target` (the person's start page by default)."""
    try:
        user = operations.change_password(
            current_user.id, form.current.data, form.password.data, request.remote_addr or "unknown"
        )
    except operations.LoginThrottled as error:
        return _throttled(error, page)
    except DomainError as error:
        db.session.commit()  # a wrong current password counts towards the sign-in throttle
        flash(error.message, "error")
        return page(), error.status_code
    db.session.commit()
    login_user(user)  # this session carries the new session token; every other one has ended
    flash(_("Your password is changed. Any other session of yours has ended."), "success")
    return redirect(target or home_for(user))


def _page_before() -> str:
    """The page a form was sent from (its Referer, when on this site), else the person's start page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return home_for(current_user)
    return safe_next_url(urlunsplit(("", "", referrer.path, referrer.query, "")), current_user)


@bp.route("/account/language", methods=["POST"])
@staff_required
def change_page_language():
    """A staff member's pages in English or German from now on (saved on the account); back to the page they were
    on. A choice not offered is refused with the error page (422)."""
    form = PageLanguageForm()
    if not form.validate():
        return render_error(422, " ".join(form_errors(form)))
    code = form.language.data or None

    def saved(_user) -> str:
        reselect_page_language()  # said in the language just chosen, as the next page is
        if code is None:
            return _("Saved: your pages follow your browser's language.")
        return _("Saved: your pages are now in %(language)s.", language=NATIVE_NAMES[code])

    return commit_change(
        lambda: operations.change_page_language(current_user.id, code, remote_addr=request.remote_addr),
        success=saved,
        target=_page_before(),
        on_refusal=lambda status: render_error(status),
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    operations.end_session(current_user.id)
    db.session.commit()
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required
def home():
    return redirect(home_for(current_user))
