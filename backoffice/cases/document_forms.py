"""The forms of the documents panel on the case page: upload (with the document's type), change of type, removal.

The forms check only their shape (CSRF, lengths, a known type); what a file must be is decided by
`documents.store_document`, so the same rules hold for every caller.
"""

from flask_babel import lazy_gettext
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from backoffice.cases.document_changes import MAX_REMOVAL_REASON_LENGTH
from backoffice.cases.documents import ACCEPT, MAX_DESCRIPTION_LENGTH
from backoffice.cases.models import DOCUMENT_TYPES
from backoffice.forms import FlaskForm, choices

TYPE_MESSAGE = lazy_gettext("Choose what the document is.")


class DocumentUploadForm(FlaskForm):
    file = FileField(
        lazy_gettext("File"),
        render_kw={"accept": ACCEPT},
        description=lazy_gettext("PDF, JPEG or PNG; the type is checked from the file's content."),
    )
    document_type = SelectField(
        lazy_gettext("Document type"),
        choices=choices((value, lazy_gettext(label)) for value, label in DOCUMENT_TYPES.items()),
        default="medical_record",
        validators=[DataRequired(message=TYPE_MESSAGE)],
    )
    description = StringField(
        lazy_gettext("Description"),
        validators=[
            Length(
                max=MAX_DESCRIPTION_LENGTH,
                message=lazy_gettext("Keep the description under %(max)s characters.", max=MAX_DESCRIPTION_LENGTH),
            )
        ],
        render_kw={"maxlength": MAX_DESCRIPTION_LENGTH, "placeholder": lazy_gettext("e.g. Blood test, March 2026")},
    )


class DocumentTypeForm(FlaskForm):
    document_type = SelectField(
        lazy_gettext("Type"),
        choices=choices((value, lazy_gettext(label)) for value, label in DOCUMENT_TYPES.items()),
        validators=[DataRequired(message=TYPE_MESSAGE)],
    )


class DocumentRemoveForm(FlaskForm):
    reason = StringField(
        lazy_gettext("Why remove it"),
        validators=[
            DataRequired(message=lazy_gettext("Say why the document is removed.")),
            Length(
                max=MAX_REMOVAL_REASON_LENGTH,
                message=lazy_gettext("Keep the reason under %(max)s characters.", max=MAX_REMOVAL_REASON_LENGTH),
            ),
        ],
        render_kw={
            "maxlength": MAX_REMOVAL_REASON_LENGTH,
            "placeholder": lazy_gettext("e.g. uploaded to the wrong case"),
        },
    )


class DocumentRequestForm(FlaskForm):
    description = StringField(
        lazy_gettext("Which document"),
        validators=[
            DataRequired(message=lazy_gettext("Say which document the patient should send.")),
            Length(max=MAX_DESCRIPTION_LENGTH, message=lazy_gettext("The description is too long.")),
        ],
        render_kw={
            "maxlength": MAX_DESCRIPTION_LENGTH,
            "placeholder": lazy_gettext("e.g. your latest blood test results"),
        },
    )
