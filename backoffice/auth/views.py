from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from backoffice.auth import bp, operations
from backoffice.auth.forms import LoginForm
from backoffice.auth.permissions import login_required, public
from backoffice.auth.sessions import home_for, mark_seen, safe_next_url
from backoffice.errors import DomainError
from backoffice.extensions import db


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    try:
        user = operations.authenticate(form.email.data, form.password.data, request.remote_addr or "unknown")
    except operations.LoginThrottled as error:
        db.session.commit()
        flash(error.message, "error")
        retry_after = str(int(error.retry_after.total_seconds()) + 1)
        return render_template("auth/login.html", form=form), error.status_code, {"Retry-After": retry_after}
    except DomainError as error:
        db.session.commit()  # the failed attempt counts towards the throttle
        flash(error.message, "error")
        return render_template("auth/login.html", form=form), error.status_code
    db.session.commit()
    session.clear()
    login_user(user)
    mark_seen()
    flash(f"Signed in as {user.name}.", "success")
    return redirect(safe_next_url(request.args.get("next"), user))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    operations.end_session(current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required
def home():
    return redirect(home_for(current_user))
