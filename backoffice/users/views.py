from flask import flash, render_template, request, url_for
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, ROLE_LABELS, roles_required
from backoffice.forms import ConfirmForm
from backoffice.params import page_number
from backoffice.trail import list_events
from backoffice.transactions import commit_change
from backoffice.users import bp, operations
from backoffice.users.forms import RoleForm, UserCreateForm


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
        success=lambda user: (
            f"Account created for {user.name} ({user.email}). They choose their own password at their first sign-in."
        ),
        target=lambda user: url_for("users.show_user", user_id=user.id),
        on_refusal=lambda status: (render_template("users/new.html", form=form), status),
    )


@bp.route("/<int:user_id>")
@roles_required(ADMIN)
def show_user(user_id: int):
    return _render_user(user_id)


def _render_user(user_id: int, status: int = 200, role_form: RoleForm | None = None):
    user = operations.get_user(user_id)
    events = list_events(object_type="user", object_id=user.id)
    role_form = role_form or RoleForm(role=user.role)
    return (
        render_template("users/detail.html", user=user, events=events, role_form=role_form, confirm_form=ConfirmForm()),
        status,
    )


def _apply(user_id: int, change, success: str, role_form: RoleForm | None = None):
    """Run one account change; on refusal show the account again with the reason."""
    return commit_change(
        change,
        success=lambda user: success.format(name=user.name, role=user.role_label),
        target=url_for("users.show_user", user_id=user_id),
        on_refusal=lambda status: _render_user(user_id, status, role_form),
    )


@bp.route("/<int:user_id>/role", methods=["POST"])
@roles_required(ADMIN)
def change_role(user_id: int):
    form = RoleForm()
    if not form.validate():
        flash("Choose one of the listed roles.", "error")
        return _render_user(user_id, 422, form)
    return _apply(
        user_id,
        lambda: operations.change_role(user_id, form.role.data, actor_id=current_user.id),
        "{name} is now {role}. Their open sessions have ended.",
        form,
    )


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(ADMIN)
def deactivate_user(user_id: int):
    return _apply(
        user_id,
        lambda: operations.deactivate_user(user_id, actor_id=current_user.id),
        "{name}'s account is deactivated; their sessions end at their next request.",
    )


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@roles_required(ADMIN)
def reactivate_user(user_id: int):
    return _apply(
        user_id,
        lambda: operations.reactivate_user(user_id, actor_id=current_user.id),
        "{name}'s account is active again.",
    )
