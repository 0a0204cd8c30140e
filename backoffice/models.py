"""Every table of the app, imported in one place so that Alembic and the app see the same metadata."""

from backoffice.audit.models import AuditEvent
from backoffice.auth.models import LoginAttempt, User
from backoffice.cases.models import Case, CaseDocument, CaseEvent, CaseNote, ScreeningAnswer
from backoffice.directory.models import (
    Contraindication,
    Hospital,
    PausedDestination,
    Physician,
    Programme,
    ProgrammePhase,
)
from backoffice.intake.models import IntakeAttempt
from backoffice.numbering import NumberSeries
from backoffice.patients.models import Patient

__all__ = [
    "AuditEvent",
    "Case",
    "CaseDocument",
    "CaseEvent",
    "CaseNote",
    "Contraindication",
    "Hospital",
    "IntakeAttempt",
    "LoginAttempt",
    "NumberSeries",
    "Patient",
    "PausedDestination",
    "Physician",
    "Programme",
    "ProgrammePhase",
    "ScreeningAnswer",
    "User",
]
