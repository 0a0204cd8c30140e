"""The upload form of the documents panel on the case page.

The form checks only its shape (CSRF, description length); what a file must be is decided by
`documents.store_document`, so the same rules hold for every caller.
"""

from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length

from backoffice.cases.documents import ACCEPT, MAX_DESCRIPTION_LENGTH
from backoffice.forms import FlaskForm


class DocumentUploadForm(FlaskForm):
    file = FileField(
        "Medical record",
        render_kw={"accept": ACCEPT},
        description="PDF, JPEG or PNG; the type is checked from the file's content.",
    )
    description = StringField(
        "Description",
        validators=[
            Length(
                max=MAX_DESCRIPTION_LENGTH, message=f"Keep the description under {MAX_DESCRIPTION_LENGTH} characters."
            )
        ],
        render_kw={"maxlength": MAX_DESCRIPTION_LENGTH, "placeholder": "e.g. Blood test, March 2026"},
    )
