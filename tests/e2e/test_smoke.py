"""The live server answers and every demo login reaches its start page."""

import pytest

from tests.e2e.conftest import DEMO_LOGINS


@pytest.mark.parametrize("role", sorted(DEMO_LOGINS))
def test_each_demo_login_reaches_its_start_page(browse, role):
    browse.login(role)
    browse.shot(f"start-{role}")
    assert "Sign in" not in browse.page.title()
