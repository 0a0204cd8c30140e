"""Pages of the messages feature (filled by issue 16)."""

from backoffice.messages import bp  # noqa: F401
