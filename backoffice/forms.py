"""Forms shared by several features."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that changes state: nothing but the CSRF token."""
