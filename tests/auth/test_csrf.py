from sqlalchemy import func, select

from backoffice.auth.models import LoginAttempt, User
from backoffice.extensions import db
from tests.factories import PASSWORD
from tests.helpers import login_as


def test_login_without_csrf_token_is_refused_and_records_nothing(client, users):
    response = client.post("/login", data={"email": users["admin"].email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_a_forged_token_is_refused(client, users):
    response = client.post(
        "/login", data={"email": users["admin"].email, "password": PASSWORD, "csrf_token": "forged"}, csrf=False
    )
    assert response.status_code == 400


def test_state_change_without_csrf_token_changes_nothing(client, users):
    login_as(client, users["admin"])
    target = users["coordinator"]
    for action, data in (("deactivate", {}), ("role", {"role": "finance"})):
        response = client.post(f"/admin/users/{target.id}/{action}", data=data, csrf=False)
        assert response.status_code == 400
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert user.active and user.role == "coordinator"


def test_logout_without_csrf_token_does_not_sign_out(client, users):
    login_as(client, users["coordinator"])
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/dashboard").status_code == 200
