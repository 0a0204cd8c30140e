"""A patient using an invitation or password-reset link: whether the link still opens, and choosing the password.

`invites` makes the links and mails them; this is the other end, the pages a patient reaches from the mail.
"""

from __future__ import annotations

from sqlalchemy import select, update

from backoffice.auth.models import User, new_session_token
from backoffice.auth.operations import hash_password
from backoffice.auth.passwords import check_new_password
from backoffice.auth.permissions import PATIENT
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.portal.invites import MAX_TOKEN_LENGTH, InvalidInvite, token_digest
from backoffice.portal.models import RESET, PortalInvite
from backoffice.trail import record_event


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
    """Set the patient's password through an invitation or reset link; returns the account.

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
        operator_name=settings().operator_name,
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
        "portal.password_reset" if invite.purpose == RESET else "portal.invite_accepted",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        details={"invite_id": invite.id, "patient_id": invite.patient_id},
    )
    return user
