"""The case pages when the database goes away: a 503 to retry, in the app's layout, never a bare 500.

A request made while the database refuses connections must not fail again inside the error page (its layout loads the
signed-in user from the database); a page already made is served even when its connection dies just before the
request ends (the session's final rollback raises in the teardown).
"""

from __future__ import annotations

import html

from backoffice import create_app
from backoffice.extensions import db
from tests.factories import make_case
from tests.helpers import BackofficeClient, login_as
from tests.servers import free_port


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def unreachable_database(url: str) -> str:
    """A database URL of the same kind that refuses every connection."""
    if url.startswith("sqlite"):
        return "sqlite:////nonexistent-folder/backoffice-is-gone/test.db"
    return f"postgresql+psycopg://app@127.0.0.1:{free_port()}/backoffice_test"


def test_a_page_asked_for_while_the_database_refuses_connections_is_a_503_in_the_layout(app, app_config, client, users):
    make_case(state="contacted")
    db.session.commit()
    login_as(client, users["coordinator"])
    broken = create_app({**app_config, "DATABASE_URL": unreachable_database(str(db.engine.url))})
    broken.test_client_class = BackofficeClient
    browser = broken.test_client()
    with client.session_transaction() as signed_in, browser.session_transaction() as session:
        session.update(signed_in)  # the same signed-in browser, now talking to an app whose database is gone

    for path in ("/cases/", "/"):
        response = browser.get(path)
        page = text(response)
        assert response.status_code == 503, page[:2000]
        assert "The database is not available right now. Wait a moment and try again." in page
        assert 'class="brand"' in page and "Traceback" not in page
        assert response.headers["Retry-After"] == "5"
    post = browser.post("/cases/1/transition", data={"to_state": "on_hold", "note": "x", "version": "1"})
    assert post.status_code == 503


def test_a_page_made_before_its_connection_died_is_still_served_and_the_next_request_works(app, as_role, monkeypatch):
    case = make_case(state="contacted")
    db.session.commit()
    client = as_role("coordinator")
    dialect = db.engine.dialect
    really_rollback = dialect.do_rollback
    failures = []

    def rollback_on_a_dead_connection(dbapi_connection):
        if not failures:  # the session's rollback at the end of the request: the server has just gone away
            failures.append(True)
            raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
        really_rollback(dbapi_connection)

    monkeypatch.setattr(dialect, "do_rollback", rollback_on_a_dead_connection)
    response = client.get(f"/cases/{case.id}")
    monkeypatch.undo()
    assert failures, "the request ended without a rollback"
    assert response.status_code == 200 and case.number in text(response)
    again = client.get(f"/cases/{case.id}")
    assert again.status_code == 200 and case.number in text(again)
