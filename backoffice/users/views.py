from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, ROLE_LABELS, roles_required
from backoffice.forms import ConfirmForm
from backoffice.languages import N_
from backoffice.params import page_number
from backoffice.trail import list_events
from backoffice.transactions import commit_change
from backoffice.users import bp, operations
from backoffice.users.forms import LANGUAGE_LABELS, THE_BROWSERS, LanguageForm, RoleForm, UserCreateForm


@bp.route("/")
@roles_required(ADMIN)
def list_users():
    page = operations.list_users(
        page=page_number(request.args.get("page")),
        role=request.args.get("role"),
        search=request.args.get("q", "")[:100],
    )
    return render_template("users/list.html", page=page, roles=ROLE_LABELS, confirm_form=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def create_user():
    form = UserCreateForm()
    if not form.validate_on_submit():
        return render_template("users/new.html", form=form), 422 if form.is_submitted() else 200
    return commit_change(
        lambda: operations.create_user(
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            password=form.password.data,
            actor_id=current_user.id,
        ),
        success=lambda user: _(
            "Account created for %(name)s (%(email)s). They choose their own password at their first sign-in.",
            name=user.name,
            email=user.email,
        ),
        target=lambda user: url_for("users.show_user", user_id=user.id),
        on_refusal=lambda status: (render_template("users/new.html", form=form), status),
    )


@bp.route("/<int:user_id>")
@roles_required(ADMIN)
def show_user(user_id: int):
    return _render_user(user_id)


def language_label(code: str | None) -> str:
    return str(LANGUAGE_LABELS.get(code or THE_BROWSERS, code))


def _render_user(user_id: int, status: int = 200, **forms):
    user = operations.get_user(user_id)
    events = list_events(object_type="user", object_id=user.id)
    context = {
        "user": user,
        "events": events,
        "role_form": forms.get("role_form") or RoleForm(formdata=None, role=user.role),
        "language_form": forms.get("language_form") or LanguageForm(formdata=None, language=user.language or ""),
        "confirm_form": ConfirmForm(),
        "language_label": language_label,
    }
    return render_template("users/detail.html", **context), status


def _apply(user_id: int, change, success: str, **forms):
    """Run one account change; on refusal show the account again with the reason. `success` is a message marked
    with N_, said in the page's language with the account's name, role and page language."""
    return commit_change(
        change,
        success=lambda user: _(
            success, name=user.name, role=_(user.role_label), language=language_label(user.language)
        ),
        target=url_for("users.show_user", user_id=user_id),
        on_refusal=lambda status: _render_user(user_id, status, **forms),
    )


@bp.route("/<int:user_id>/role", methods=["POST"])
@roles_required(ADMIN)
def change_role(user_id: int):
    form = RoleForm()
    if not form.validate():
        flash(_("Choose one of the listed roles."), "error")
        return _render_user(user_id, 422, role_form=form)
    return _apply(
        user_id,
        lambda: operations.change_role(user_id, form.role.data, actor_id=current_user.id),
        N_("%(name)s is now %(role)s. Their open sessions have ended."),
        role_form=form,
    )


@bp.route("/<int:user_id>/language", methods=["POST"])
@roles_required(ADMIN)
def change_language(user_id: int):
    form = LanguageForm()
    if not form.validate():
        operations.get_user(user_id)  # an unknown account is a 404, not a form error
        flash(_("Choose one of the listed languages."), "error")
        return _render_user(user_id, 422, language_form=form)
    return _apply(
        user_id,
        lambda: operations.change_language(user_id, form.language.data or None, actor_id=current_user.id),
        N_("%(name)s's pages are now in %(language)s.")
        if form.language.data
        else N_("%(name)s's pages now follow their browser's language."),
        language_form=form,
    )


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(ADMIN)
def deactivate_user(user_id: int):
    return _apply(
        user_id,
        lambda: operations.deactivate_user(user_id, actor_id=current_user.id),
        N_("%(name)s's account is deactivated; their sessions end at their next request."),
    )


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@roles_required(ADMIN)
def reactivate_user(user_id: int):
    return _apply(
        user_id,
        lambda: operations.reactivate_user(user_id, actor_id=current_user.id),
        N_("%(name)s's account is active again."),
    )
