"""The patient's portal pages, and the link pages: staff make an invitation or reset link, the patient opens it."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.models import User
from backoffice.auth.operations import normalise_email
from backoffice.auth.permissions import ADMIN, COORDINATOR, patient_required, public, roles_required
from backoffice.cases.case_page import render_case_page
from backoffice.config import settings
from backoffice.downloads import download
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.invoicing import listing as invoicing_listing
from backoffice.jobs import outbox
from backoffice.patients.models import Patient
from backoffice.portal import accepting, bp, invites, invites_bp, invoices
from backoffice.portal.forms import ForgotPasswordForm, SetPasswordForm
from backoffice.portal.models import INVITE, RESET
from backoffice.transactions import commit_answer, commit_change


@bp.route("/")
@patient_required
def index():
    return render_template("portal/index.html")


@bp.route("/invoices")
@patient_required
def list_invoices():
    documents = invoices.documents_of_user(current_user.id)
    accounts = invoicing_listing.accounts_of(documents)
    credit = invoices.credit_of_user(current_user.id)
    return render_template(
        "portal/invoices.html",
        documents=documents,
        accounts=accounts,
        credit=credit,
        refunds=invoicing_listing.refunds_due(accounts.values(), credit).values(),
        status_in_words=invoices.status_in_words,
        document_in_words=invoices.document_in_words,
    )


@bp.route("/invoices/<number>.pdf")
@patient_required
def download_invoice(number: str):
    invoice, pdf = invoices.open_pdf(number, user_id=current_user.id)  # refused: a 404, the attempt audited
    filename = f"{invoice.number}.pdf"
    db.session.commit()  # the download's audit row
    return download(pdf, mimetype="application/pdf", filename=filename)


@invites_bp.app_template_global()
def may_invite_patient(case) -> bool:
    """Whether the signed-in user may invite this case's patient (the case page asks before showing the button)."""
    return invites.may_invite(case, current_user)


@invites_bp.app_template_global()
def portal_invite_refusal(case) -> str | None:
    """Why this case's patient is no longer invited (a closed case without issued invoices), or None."""
    return invites.closed_case_refusal(case)


@invites_bp.app_template_global()
def may_reset_portal_password() -> bool:
    return invites.may_reset_password(current_user)


def _mail_link(case_id: int, make_link, purpose: str):
    """Make a link and mail it to the patient; the page says where it went (the link itself only in development)."""

    def refused(error: DomainError):
        flash(error.message, "error")
        return render_case_page(case_id, error.status_code)

    def answer(made: invites.MailedLink):
        outbox.kick()  # the mail goes out now, not at the dispatcher's next round
        return _link_page(case_id, purpose, made)

    return commit_answer(
        lambda: make_link(case_id, actor_id=current_user.id),
        answer=answer,
        on_refusal=refused,
        passes=(NotFound,),
    )


def _link_page(case_id: int, purpose: str, made: invites.MailedLink):
    invite = made.invite
    patient = db.session.get(Patient, invite.patient_id)
    account_email = db.session.get(User, invite.user_id).email
    return render_template(
        "portal/invite_link.html",
        case_id=case_id,
        purpose=purpose,
        patient_name=patient.name,
        mailed_to=made.message.to_addresses,
        # shown when the account (opened earlier) signs in with another address than the patient's current one
        signs_in_with=account_email if account_email != normalise_email(patient.email) else None,
        expires_at=invite.expires_at,
        # Staff never see the link: it goes to the patient's address only. In development there is no patient's
        # inbox to open, so the page shows it, marked as such.
        development_link=invites.link_of(made.token) if settings().app_env == "development" else None,
    )


@invites_bp.route("/cases/<int:case_id>/portal-invite", methods=["POST"])
@roles_required(ADMIN, COORDINATOR)  # and, for a coordinator, only on their own case (the operation checks)
def invite_patient(case_id: int):
    return _mail_link(case_id, invites.invite_patient, INVITE)


@invites_bp.route("/cases/<int:case_id>/portal-reset", methods=["POST"])
@roles_required(ADMIN)
def create_reset_link(case_id: int):
    """A password-reset link for the patient's portal account, mailed to the patient."""
    return _mail_link(case_id, invites.create_reset_link, RESET)


@invites_bp.route("/portal/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    """A patient asks for a new password: the same answer whether or not the address has a portal account."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("portal/forgot_password.html", form=form), status
    email = form.email.data
    return commit_change(
        lambda: invites.request_password_reset(email),
        success=_(
            "If %(email)s signs in to a patient portal account, a link to choose a new password is on its way to "
            "it. It works once, within a few days. No mail? Check the address, or ask your coordinator.",
            email=email,
        ),
        target=url_for("auth.login"),
        on_refusal=lambda status: (render_template("portal/forgot_password.html", form=form), status),
        after_commit=outbox.kick,
    )


@invites_bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    invite = accepting.open_invite(token)  # InvalidInvite: the same 404 for every link that does not work
    page = {"first_name": accepting.invited_first_name(invite), "purpose": invite.purpose}
    form = SetPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("portal/accept_invite.html", form=form, **page), status

    def refused(error: DomainError):
        flash(error.message, "error")
        return render_template("portal/accept_invite.html", form=form, **page), error.status_code

    return commit_answer(
        lambda: accepting.accept_invite(token, form.password.data),
        success=lambda user: _("Password set. Sign in with %(email)s.", email=user.email),
        answer=lambda _user: redirect(url_for("auth.login")),
        on_refusal=refused,
        passes=(invites.InvalidInvite,),
    )
