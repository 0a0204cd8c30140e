"""Inviting a case's patient to the portal and accepting the invitation.

Staff hand the patient a single-use link that is valid for PORTAL_INVITE_DAYS days; opening it, the patient chooses
a password for their portal account. Only the link token's SHA-256 is stored, so a copy of the database opens no
account, and the link is shown to staff once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backoffice.audit.operations import record_event
from backoffice.auth.models import User, new_session_token
from backoffice.auth.operations import hash_password, normalise_email
from backoffice.auth.passwords import check_new_password
from backoffice.auth.permissions import PATIENT
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound, PermissionDenied
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.portal.models import PortalInvite

# secrets.token_urlsafe(32) gives 43 characters; anything much longer is not one of ours and is not even hashed.
MAX_TOKEN_LENGTH = 100


class InviteError(DomainError):
    """Staff cannot invite this patient; the message says why and what to do."""


class InvalidInvite(NotFound):
    """The same answer for an unknown, expired, used or revoked link, so the page reveals nothing about it."""

    def __init__(self):
        super().__init__("This invitation link is no longer valid. Ask your coordinator for a new one.")


@dataclass(frozen=True, slots=True)
class PortalStatus:
    """What the case page shows about the patient's portal access."""

    patient_email: str
    has_account: bool
    account_email: str | None
    account_active: bool
    last_login_at: datetime | None
    open_invite_expires_at: datetime | None

    @property
    def may_invite(self) -> bool:
        return bool(self.patient_email) and (not self.has_account or self.account_active)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_patient(case_id: int, *, actor_id: int) -> tuple[PortalInvite, str]:
    """Invite the case's patient to the portal; returns the invitation and the token of its link (never stored).

    Staff only. The patient's portal account is opened on the first invitation (role patient, the patient's email
    and name, a random password nobody knows) unless that email already signs in to a staff account or to another
    patient's account. For a patient who has an account the link sets a new password. A new invitation revokes the
    patient's earlier unused ones; a deactivated account gets none.
    """
    # here, not at the top: importing the cases package loads the case page, which shows this module's panel
    from backoffice.cases.models import Case

    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("There is no such case.")
    actor = db.session.get(User, actor_id)
    if actor is None or not actor.active or not actor.is_staff:
        raise PermissionDenied("Only staff can invite patients to the portal.")
    # One invitation at a time per patient (PostgreSQL locks the row): two at once would each revoke the other's
    # earlier links but not each other's, or both try to open the account.
    patient = db.session.scalar(select(Patient).where(Patient.id == case.patient_id).with_for_update())
    user, account = _portal_account(patient, actor_id)

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
        case_id=case.id,
        token_sha256=token_digest(token),
        created_at=now,
        created_by_id=actor_id,
        expires_at=now + timedelta(days=current_app.config["PORTAL_INVITE_DAYS"]),
    )
    db.session.add(invite)
    db.session.flush()
    record_event(
        "portal.invited",
        actor_id=actor_id,
        object_type="patient",
        object_id=patient.id,
        details={
            "case": case.number,
            "invite_id": invite.id,
            "email": user.email,
            "account": account,
            "expires_at": invite.expires_at.isoformat(timespec="seconds"),
            "earlier_invites_revoked": revoked,
        },
    )
    return invite, token


def _portal_account(patient: Patient, actor_id: int) -> tuple[User, str]:
    """The patient's portal account and how it was found: "existing", "linked" (an unlinked patient account with
    the patient's email) or "created"."""
    if patient.user_id is not None:
        user = db.session.get(User, patient.user_id)
        if user.role != PATIENT:
            raise InviteError(
                f"The account linked to {patient.name} ({user.email}) is no longer a patient account; "
                "an administrator has to sort this out before the patient can be invited."
            )
        _check_active(user, patient)
        return user, "existing"

    email = normalise_email(patient.email)
    if not email or "@" not in email:
        raise InviteError(f"Record {patient.name}'s email address before inviting them to the portal.")
    holder = db.session.scalar(select(User).where(User.email == email))
    if holder is not None:
        if holder.role != PATIENT:
            raise InviteError(
                f"{email} is the sign-in email of a staff account, so it cannot open {patient.name}'s portal "
                "account. Correct the patient's email address or ask an administrator."
            )
        if db.session.scalar(select(Patient.id).where(Patient.user_id == holder.id)) is not None:
            raise InviteError(
                f"{email} already signs in to another patient's portal account. Check the patient's email address; "
                "two patients cannot share one."
            )
        _check_active(holder, patient)
        patient.user_id = holder.id
        db.session.flush()
        return holder, "linked"

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
        raise InviteError(f"There is already an account for {email}. Reload the page and try again.") from exc
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
            f"{patient.name}'s portal account ({user.email}) is deactivated. An administrator has to reactivate it "
            "before the patient can be invited again."
        )


def portal_status_of_patient(patient_id: int) -> PortalStatus:
    """The patient's portal account and open invitation, for the case page (two statements)."""
    row = db.session.execute(
        select(Patient.email, User.id, User.email, User.active, User.last_login_at)
        .outerjoin(User, User.id == Patient.user_id)
        .where(Patient.id == patient_id)
    ).one()
    patient_email, user_id, account_email, account_active, last_login_at = row
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
    )


def open_invite(token: str) -> PortalInvite:
    """The invitation this link token opens, if it can still be used; otherwise InvalidInvite (a 404)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidInvite()
    invite = db.session.scalar(select(PortalInvite).where(PortalInvite.token_sha256 == token_digest(token)))
    if invite is None or invite.used_at or invite.revoked_at or invite.expires_at <= utcnow():
        raise InvalidInvite()
    user = db.session.get(User, invite.user_id)
    if user is None or not user.active or user.role != PATIENT:
        raise InvalidInvite()
    return invite


def invited_first_name(invite: PortalInvite) -> str:
    patient = db.session.get(Patient, invite.patient_id)
    return (patient.name.split() or ["there"])[0]


def accept_invite(token: str, password: str) -> User:
    """Set the invited patient's password through the link; returns the account.

    The link works once: it is marked used by a conditional UPDATE, so of two submissions at the same moment only
    one sets a password. The password passes the same rule as everywhere (auth.passwords, with the patient's name
    and email as what it must not be built from). Sessions open on the account end (its session token changes).
    """
    invite = open_invite(token)
    account = db.session.get(User, invite.user_id)
    patient = db.session.get(Patient, invite.patient_id)
    check_new_password(
        password,
        name=f"{account.name} {patient.name}",
        email=account.email,
        operator_name=current_app.config["OPERATOR_NAME"],
    )
    password_hash = hash_password(password)  # before the UPDATE: the row lock is held only briefly
    now = utcnow()
    marked = db.session.execute(
        update(PortalInvite)
        .where(
            PortalInvite.id == invite.id,
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
            PortalInvite.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked != 1:
        raise InvalidInvite()
    user = db.session.get(User, invite.user_id)
    user.password_hash = password_hash
    user.session_token = new_session_token()
    record_event(
        "portal.invite_accepted",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        details={"invite_id": invite.id, "patient_id": invite.patient_id},
    )
    return user
