"""What billing's tests share: a finance clerk."""

from __future__ import annotations

import pytest

from backoffice.extensions import db
from tests.factories import make_user


@pytest.fixture
def finance():
    user = make_user("finance")
    db.session.commit()
    return user
