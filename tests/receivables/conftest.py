"""The case most invoicing tests start from: ready to invoice, committed."""

from __future__ import annotations

import pytest

from backoffice.extensions import db
from tests.invoicing.factories import make_invoicing_case


@pytest.fixture
def case(app):
    case = make_invoicing_case()
    db.session.commit()
    return case
