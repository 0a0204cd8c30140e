"""Patients: the people whose cases the operator runs (and, when invited, portal users)."""

from backoffice.patients import language  # noqa: F401 - answers languages.saved_preference for patient accounts
