"""The patient's account page: the language of their portal, mails and documents, and their password."""

from __future__ import annotations

import flask_babel
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.forms import ChangePasswordForm
from backoffice.auth.permissions import patient_required
from backoffice.auth.views import change_own_password
from backoffice.forms import ConfirmForm, form_errors
from backoffice.portal import account, bp
from backoffice.portal.forms import LanguageForm
from backoffice.rights import operations as rights
from backoffice.transactions import commit_change


def _account_page(language_form: LanguageForm | None = None, password_form: ChangePasswordForm | None = None):
    patient = account.patient_of_account(current_user.id)
    return render_template(
        "portal/account.html",
        patient=patient,
        data_requests=rights.list_requests(patient_id=patient.id, kind="export"),
        data_form=ConfirmForm(),
        language_form=language_form or LanguageForm(formdata=None, language=patient.preferred_language),
        password_form=password_form or ChangePasswordForm(formdata=None),
    )


@bp.route("/account")
@patient_required
def show_account():
    return _account_page()


@bp.route("/account/language", methods=["POST"])
@patient_required
def change_language():
    """The language is saved on the patient's record; the next page (and every mail from now on) speaks it."""
    form = LanguageForm()
    if not form.validate():
        flash(" ".join(form_errors(form)), "error")
        return _account_page(language_form=form), 422
    code = form.language.data

    def saved(_patient) -> str:
        with flask_babel.force_locale(code):  # said in the language just chosen, as the next page is
            return _("Saved: your pages and mails are now in %(language)s.", language=account.language_name(code))

    return commit_change(
        lambda: account.change_language(current_user.id, code, remote_addr=request.remote_addr),
        success=saved,
        target=url_for("portal.show_account"),
        on_refusal=lambda status: (_account_page(language_form=form), status),
    )


@bp.route("/account/data-copy", methods=["POST"])
@patient_required
def request_data_copy():
    """The patient asks for a copy of everything held about them (GDPR Art. 15 and 20); administrators prepare it."""
    if not ConfirmForm().validate():
        return _account_page(), 400
    return commit_change(
        lambda: rights.request_export(
            account.patient_of_account(current_user.id).id, actor_id=current_user.id, via_portal=True
        ),
        success=_("Your request is recorded. We prepare a copy of your data and send it to you within one month."),
        target=url_for("portal.show_account", _anchor="your-data"),
        on_refusal=lambda status: redirect(url_for("portal.show_account", _anchor="your-data")),
    )


@bp.route("/account/password", methods=["POST"])
@patient_required
def change_password():
    """The same change of password as every account's (auth), shown on the patient's account page."""
    form = ChangePasswordForm()
    if not form.validate():
        return _account_page(password_form=form), 422
    return change_own_password(
        form, page=lambda: _account_page(password_form=form), target=url_for("portal.show_account")
    )
