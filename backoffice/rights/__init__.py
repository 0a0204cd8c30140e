"""The patient's data rights (GDPR Art. 15, 17, 20): a copy of everything held about a patient, prepared as a job
after a second person confirms, downloadable once by an administrator; the patient may ask for it in the portal."""

from flask import Blueprint

bp = Blueprint("rights", __name__)

from backoffice.rights import views  # noqa: E402,F401  (routes register on import)
