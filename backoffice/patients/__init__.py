"""Patients: the people whose cases the operator runs (and, when invited, portal users)."""
