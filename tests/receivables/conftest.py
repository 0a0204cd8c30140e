"""The case most receivables tests start from (ready to invoice, committed), and a real SMTP server for the
reminder mails."""

from __future__ import annotations

import pytest

from backoffice.extensions import db
from tests.invoicing.factories import make_invoicing_case
from tests.messages.conftest import _empty_queue, smtp  # noqa: F401  (fixtures)


@pytest.fixture
def case(app):
    case = make_invoicing_case()
    db.session.commit()
    return case
