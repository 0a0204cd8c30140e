"""Inviting a case's patient to the portal, resetting a portal password, and using such a link.

The case's coordinator or an administrator invites the patient: a single-use link, valid for PORTAL_INVITE_DAYS
days, is mailed to the patient's address (the automatic message "portal_invite"); opening it, the patient chooses a
password for their portal account. Only the link token's SHA-256 is stored, so a copy of the database opens no
account, and staff never see the link outside development (where the page shows it, marked as such).

An account the patient may already sign in to is never given a password by staff: an invitation is refused for it.
The patient asks for a new password on the sign-in page (`request_password_reset`: the same answer whether or not
the address is known), or an administrator has a reset link mailed; it works like an invitation (single use, same
validity) and ends every session open on the account. With the kind's mail switched off, no link is made at all:
nobody else may carry it to the patient.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from backoffice.auth.models import User
from backoffice.auth.operations import hash_password, normalise_email
from backoffice.auth.permissions import ADMIN, COORDINATOR, PATIENT
from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound, PermissionDenied
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.messages import automatic, kinds
from backoffice.messages.models import Message
from backoffice.patients.models import Patient
from backoffice.patients.restriction import refuse_changes
from backoffice.portal.models import INVITE, RESET, PortalInvite
from backoffice.trail import record_event

# secrets.token_urlsafe(32) gives 43 characters; anything much longer is not one of ours and is not even hashed.
MAX_TOKEN_LENGTH = 100
# A patient asking for a reset link again within this time gets no second mail (a form cannot flood an inbox).
RESET_REQUEST_PAUSE = timedelta(minutes=5)
MAIL_KINDS = {INVITE: "portal_invite", RESET: "portal_password_reset"}


class InviteError(DomainError):
    """Staff cannot invite this patient; the message says why and what to do."""


class InvalidInvite(NotFound):
    """The same answer for an unknown, expired, used or revoked link, so the page reveals nothing about it."""

    def __init__(self):
        super().__init__(_("This invitation link is no longer valid. Ask your coordinator for a new one."))


@dataclass(frozen=True, slots=True)
class PortalStatus:
    """What the case page shows about the patient's portal access."""

    patient_email: str
    has_account: bool
    account_email: str | None
    account_active: bool
    last_login_at: datetime | None
    open_invite_expires_at: datetime | None
    # The patient chose a password or signed in, or the account was not opened by an invitation: it is in use.
    account_in_use: bool = False

    @property
    def may_invite(self) -> bool:
        """The patient can be invited: no account yet, or one still waiting for its first password."""
        return bool(self.patient_email) and (not self.has_account or (self.account_active and not self.account_in_use))

    @property
    def may_reset(self) -> bool:
        """A password-reset link can be made: an active account."""
        return self.has_account and self.account_active


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_invite(case, user) -> bool:
    """Who invites a case's patient: an administrator, or the medical coordinator of that very case."""
    if user is None or not user.is_authenticated or not user.active:
        return False
    return user.role == ADMIN or (user.role == COORDINATOR and case.coordinator_id == user.id)


def may_reset_password(user) -> bool:
    """Who has a password-reset link mailed to a patient's portal account: administrators only (the patient asks for
    one on the sign-in page)."""
    return user is not None and user.is_authenticated and user.active and user.role == ADMIN


def closed_case_refusal(case) -> str | None:
    """Why the patient of this case is not invited to the portal any more, or None when they may be.

    The portal shows a patient their invoices: on a closed or cancelled case an invitation serves only a patient who
    has issued invoices or credit notes of that case to read.
    """
    if case.state not in states.FINAL:
        return None
    issued = db.session.scalar(select(exists().where(Invoice.case_id == case.id, Invoice.status != "draft")))
    if issued:
        return None
    return _(
        "Case %(number)s is %(state)s and has no issued invoice; there is nothing in the portal for its patient.",
        number=case.number,
        state=_(states.label(case.state)).lower(),  # the label as the cases feature translates it
    )


@dataclass(frozen=True, slots=True)
class MailedLink:
    """A link made and mailed: the invitation row, the token (for the development page only) and the message."""

    invite: PortalInvite
    token: str
    message: Message


def invite_patient(case_id: int, *, actor_id: int) -> MailedLink:
    """Invite the case's patient to the portal: the link is mailed to the patient's address, in their language.

    The case's coordinator or an administrator only. The patient's portal account is opened on the first invitation
    (role patient, the patient's email and name, a random password nobody knows) unless that email already signs in
    to a staff account or to another patient's account. An account waiting for its first password gets a new link;
    an account in use is refused (staff never set its password: see `create_reset_link`). A new invitation revokes
    the patient's earlier unused links; a deactivated account gets none. A closed or cancelled case's patient is
    invited only when the case has issued invoices (`closed_case_refusal`). Refused while the invitation mail is
    switched off.
    """
    case = _case(case_id)
    if not may_invite(case, db.session.get(User, actor_id)):
        raise PermissionDenied(
            _("Only the case's medical coordinator or an administrator invites its patient to the portal.")
        )
    if (refusal := closed_case_refusal(case)) is not None:
        raise InviteError(refusal)
    return _make_link(case, actor_id, INVITE)


def create_reset_link(case_id: int, *, actor_id: int) -> MailedLink:
    """Mail the case's patient a single-use link to choose a new portal password.

    Administrators only, for an active patient account; the link is valid as long as an invitation, revokes the
    patient's earlier unused links, and its use ends every session open on the account. Audited.
    """
    case = _case(case_id)
    if not may_reset_password(db.session.get(User, actor_id)):
        raise PermissionDenied(_("Only an administrator has a password-reset link mailed to a patient."))
    return _make_link(case, actor_id, RESET)


def request_password_reset(email: str) -> Message | None:
    """A patient forgot their portal password: mail a reset link to `email` if it signs in to an active patient
    account with a patient record; otherwise nothing (the page answers the same either way, so it tells nobody who
    is a patient). At most one such mail per account every RESET_REQUEST_PAUSE; returns the message or None."""
    address = normalise_email(email)
    if not address or "@" not in address or not kinds.is_on(MAIL_KINDS[RESET]):
        return None
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None or user.role != PATIENT or not user.active:
        return None
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id).with_for_update())
    if patient is None:
        return None
    recent = db.session.scalar(
        select(
            exists().where(PortalInvite.user_id == user.id, PortalInvite.created_at > utcnow() - RESET_REQUEST_PAUSE)
        )
    )
    if recent:
        return None
    invite, token, revoked = _new_link(patient, user, None, None, RESET)
    record_event(
        "portal.reset_link_requested",
        object_type="user",
        object_id=user.id,
        details={"patient_id": patient.id, "invite_id": invite.id, "earlier_invites_revoked": revoked},
    )
    return _mail_link(patient, user, invite, token, None)


def _make_link(case: Case, actor_id: int, purpose: str) -> MailedLink:
    """The link of an invitation or a reset, once allowed: the patient's account (opened or linked for an
    invitation), the earlier unused links revoked, the new one made, mailed to the patient and audited."""
    kind = MAIL_KINDS[purpose]
    if not kinds.is_on(kind):
        raise InviteError(
            _(
                "The “%(kind)s” mail is switched off, so no link was made: the link goes to the patient only by "
                "mail. An administrator turns it on under Automatic mail.",
                kind=kinds.KINDS[kind].label,
            )
        )
    patient = _locked_patient(case)
    refuse_changes(patient)  # an erased patient has no portal account and gets no link
    if not (patient.email or "").strip():
        raise InviteError(
            _(
                "Record %(patient)s's email address before inviting them to the portal: the link goes to it by mail.",
                patient=patient.name,
            )
        )
    user, account = _portal_account(patient, actor_id, reset=purpose == RESET)
    invite, token, revoked = _new_link(patient, user, case, actor_id, purpose)
    link = {"invite_id": invite.id, "email": user.email}
    if purpose == INVITE:
        action, object_type, object_id = "portal.invited", "patient", patient.id
        details = {"case": case.number, **link, "account": account}
    else:
        action, object_type, object_id = "portal.reset_link_created", "user", user.id
        details = {"case": case.number, "patient_id": patient.id, **link}
    details |= {
        "expires_at": invite.expires_at.isoformat(timespec="seconds"),
        "earlier_invites_revoked": revoked,
    }
    record_event(action, actor_id=actor_id, object_type=object_type, object_id=object_id, details=details)
    return MailedLink(invite, token, _mail_link(patient, user, invite, token, actor_id))


def _mail_link(patient: Patient, user: User, invite: PortalInvite, token: str, actor_id: int | None) -> Message:
    """The invitation or reset mail, to the patient's address on record, in their language (the kind is on)."""
    return automatic.send(
        MAIL_KINDS[invite.purpose],
        to=patient.email,
        language=patient.preferred_language,
        case_id=invite.case_id,
        actor_id=actor_id,
        name=" ".join(patient.name.split()),
        link=link_of(token),
        sign_in_email=user.email,
        expires_on=invite.expires_at,
    )


def link_of(token: str) -> str:
    """The address of a link, as the patient opens it (PUBLIC_URL, never the Host of the request that made it)."""
    return automatic.public_link("portal_invites.accept_invite", token=token)


def _case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound(_("There is no such case."))
    return case


def _locked_patient(case) -> Patient:
    # One link at a time per patient (PostgreSQL locks the row): two at once would each revoke the other's
    # earlier links but not each other's, or both try to open the account.
    return db.session.scalar(select(Patient).where(Patient.id == case.patient_id).with_for_update())


def _new_link(
    patient: Patient, user: User, case: Case | None, actor_id: int | None, purpose: str
) -> tuple[PortalInvite, str, int]:
    """Revoke the patient's unused links and make a new one: (link, its token, how many were revoked)."""
    now = utcnow()
    revoked = db.session.execute(
        update(PortalInvite)
        .where(
            PortalInvite.patient_id == patient.id,
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    token = secrets.token_urlsafe(32)
    invite = PortalInvite(
        patient_id=patient.id,
        user_id=user.id,
        case_id=case.id if case is not None else None,
        purpose=purpose,
        token_sha256=token_digest(token),
        created_at=now,
        created_by_id=actor_id,
        expires_at=now + timedelta(days=settings().portal_invite_days),
    )
    db.session.add(invite)
    db.session.flush()
    return invite, token, revoked


def _in_use(account=User):
    """SQL, on the users table: the account signed in, or one of its links was used, or it was not opened by an
    invitation (someone chose its password elsewhere). Only an account an invitation opened and nobody has used is
    still waiting for its first password."""
    used_link = exists().where(PortalInvite.user_id == account.id, PortalInvite.used_at.is_not(None))
    invited = exists().where(PortalInvite.user_id == account.id, PortalInvite.purpose == INVITE)
    return account.last_login_at.is_not(None) | used_link | ~invited


def account_in_use(user_id: int) -> bool:
    """Whether a patient may already sign in to this account (then staff never give it a password)."""
    return bool(db.session.scalar(select(_in_use(User)).where(User.id == user_id)))


def _refuse_account_in_use(user: User, patient: Patient) -> None:
    if account_in_use(user.id):
        raise InviteError(
            _(
                "%(patient)s already has a portal account (%(email)s). Staff never set the password of an account a "
                "patient may be using, so no invitation was made. If the patient cannot sign in, an administrator "
                "can make a password-reset link for them.",
                patient=patient.name,
                email=user.email,
            )
        )


def _portal_account(patient: Patient, actor_id: int, *, reset: bool = False) -> tuple[User, str]:
    """The patient's portal account and how it was found: "existing", "linked" (an unlinked patient account with
    the patient's email) or "created". For an invitation, an account in use is refused; for a reset, a patient
    without an account."""
    if patient.user_id is not None:
        user = db.session.get(User, patient.user_id)
        if user.role != PATIENT:
            raise InviteError(
                _(
                    "The account linked to %(patient)s (%(email)s) is no longer a patient account; an administrator "
                    "has to sort this out before the patient can be invited.",
                    patient=patient.name,
                    email=user.email,
                )
            )
        _check_active(user, patient)
        if not reset:
            _refuse_account_in_use(user, patient)
        return user, "existing"

    email = normalise_email(patient.email)
    if not email or "@" not in email:
        raise InviteError(
            _("Record %(patient)s's email address before inviting them to the portal.", patient=patient.name)
        )
    holder = db.session.scalar(select(User).where(User.email == email))
    if holder is not None:
        if holder.role != PATIENT:
            raise InviteError(
                _(
                    "%(email)s is the sign-in email of a staff account, so it cannot open %(patient)s's portal "
                    "account. Correct the patient's email address or ask an administrator.",
                    email=email,
                    patient=patient.name,
                )
            )
        if db.session.scalar(select(Patient.id).where(Patient.user_id == holder.id)) is not None:
            raise InviteError(
                _(
                    "%(email)s already signs in to another patient's portal account. Check the patient's email "
                    "address; two patients cannot share one.",
                    email=email,
                )
            )
        _check_active(holder, patient)
        if not reset:
            _refuse_account_in_use(holder, patient)
        patient.user_id = holder.id
        db.session.flush()
        return holder, "linked"

    if reset:
        raise InviteError(
            _("%(patient)s has no portal account yet: invite the patient to the portal instead.", patient=patient.name)
        )
    user = User(
        email=email,
        name=patient.name.strip()[:120],
        role=PATIENT,
        # Nobody knows this password: the account opens only when the patient sets one through the link.
        password_hash=hash_password(secrets.token_urlsafe(32)),
        active=True,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:  # the same email taken a moment ago by someone else's request
        raise InviteError(
            _("There is already an account for %(email)s. Reload the page and try again.", email=email)
        ) from exc
    patient.user_id = user.id
    db.session.flush()
    record_event(
        "user_created",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        details={"email": email, "role": PATIENT, "patient_id": patient.id},
    )
    return user, "created"


def _check_active(user: User, patient: Patient) -> None:
    if not user.active:
        raise InviteError(
            _(
                "%(patient)s's portal account (%(email)s) is deactivated. An administrator has to reactivate it "
                "before the patient can be invited again.",
                patient=patient.name,
                email=user.email,
            )
        )


def portal_status_of_patient(patient_id: int) -> PortalStatus:
    """The patient's portal account and open invitation, for the case page (two statements)."""
    row = db.session.execute(
        select(Patient.email, User.id, User.email, User.active, User.last_login_at, _in_use(User))
        .outerjoin(User, User.id == Patient.user_id)
        .where(Patient.id == patient_id)
    ).one()
    patient_email, user_id, account_email, account_active, last_login_at, in_use = row
    expires_at = db.session.scalar(
        select(PortalInvite.expires_at)
        .where(
            PortalInvite.patient_id == patient_id,
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
            PortalInvite.expires_at > utcnow(),
        )
        .order_by(PortalInvite.expires_at.desc())
        .limit(1)
    )
    return PortalStatus(
        patient_email=normalise_email(patient_email),
        has_account=user_id is not None,
        account_email=account_email,
        account_active=bool(account_active),
        last_login_at=last_login_at,
        open_invite_expires_at=expires_at,
        account_in_use=user_id is not None and bool(in_use),
    )
