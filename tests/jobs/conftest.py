"""The jobs pages' tests share one Redis with the suite."""

from __future__ import annotations

import pytest

from backoffice.jobs import redis_connection


@pytest.fixture
def empty_redis():
    """The suite shares one Redis: a test using this starts with no queued, failed or finished job and no worker."""
    connection = redis_connection()
    connection.flushdb()
    yield
    connection.flushdb()
