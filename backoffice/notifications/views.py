"""The notification centre (filled by issue 16)."""

from backoffice.notifications import bp  # noqa: F401
