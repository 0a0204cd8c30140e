from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.extensions import db


def count_users():
    return db.session.scalar(select(func.count()).select_from(User))


def test_admin_lists_and_filters_users(as_role, users):
    client = as_role("admin")
    page = client.get("/admin/users/").get_data(as_text=True)
    assert all(user.email in page for user in users.values())
    patients = client.get("/admin/users/?role=patient").get_data(as_text=True)
    assert users["patient"].email in patients and users["finance"].email not in patients
    found = client.get("/admin/users/?q=frida").get_data(as_text=True)
    assert users["finance"].email in found and users["admin"].email not in found


def test_user_list_runs_a_fixed_number_of_statements(as_role, users, count_queries):
    from tests.factories import make_user

    client = as_role("admin")
    with count_queries() as few:
        client.get("/admin/users/")
    for _ in range(30):
        make_user("patient")
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/users/")
    assert len(few) == len(many)


def test_admin_creates_an_account(as_role, users):
    client = as_role("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Hanna Hospital-Liaison",
            "email": "hanna@test.example",
            "role": "coordinator",
            "password": "a long enough secret",
            "confirm": "a long enough secret",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "hanna@test.example"))
    assert user.role == "coordinator"
    assert "Account created" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_bad_account_forms_are_refused_and_store_nothing(as_role, users):
    client = as_role("admin")
    before = count_users()
    accepted = "tangerine otter violin"  # a password the rule accepts: the email is what is refused
    cases = [
        {"name": "", "email": "a@test.example", "role": "finance", "password": "x" * 12, "confirm": "x" * 12},
        {"name": "N" * 500, "email": "a@test.example", "role": "finance", "password": "x" * 12, "confirm": "x" * 12},
        {"name": "N", "email": "not an email", "role": "finance", "password": "x" * 12, "confirm": "x" * 12},
        {"name": "N", "email": "a@test.example", "role": "root", "password": "x" * 12, "confirm": "x" * 12},
        {"name": "N", "email": "a@test.example", "role": "finance", "password": "x" * 12, "confirm": "y" * 12},
        {"name": "N", "email": "a@test.example", "role": "finance", "password": "short", "confirm": "short"},
        {"name": "N", "email": users["finance"].email, "role": "finance", "password": accepted, "confirm": accepted},
        {},
    ]
    for data in cases:
        response = client.post("/admin/users/new", data=data)
        assert response.status_code == 422, data
    assert count_users() == before
    assert "already an account" in client.post("/admin/users/new", data=cases[6]).get_data(as_text=True)


def test_admin_changes_a_role_and_deactivates_from_the_user_page(as_role, users):
    client = as_role("admin")
    target = users["coordinator"]
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert target.email in page and "Deactivate account" in page
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "finance"}).status_code == 302
    assert client.post(f"/admin/users/{target.id}/deactivate").status_code == 302
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert user.role == "finance" and not user.active
    history = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "role_changed" in history and "user_deactivated" in history
    assert client.post(f"/admin/users/{target.id}/reactivate").status_code == 302


def test_refused_account_changes_show_why_with_a_422(as_role, users):
    client = as_role("admin")
    me = users["admin"]
    response = client.post(f"/admin/users/{me.id}/deactivate")
    assert response.status_code == 422 and "your own account" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{me.id}/role", data={"role": "superuser"})
    assert response.status_code == 422
    response = client.post(f"/admin/users/{me.id}/role", data={"role": "finance"})
    assert response.status_code == 422 and "last active administrator" in response.get_data(as_text=True)


def test_unknown_user_id_is_a_404(as_role, users):
    client = as_role("admin")
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404
    assert client.get("/admin/users/not-a-number").status_code == 404


def test_non_admins_cannot_manage_accounts(as_role, users):
    for role in ("coordinator", "finance"):
        client = as_role(role)
        assert client.get("/admin/users/").status_code == 403
        assert client.post(f"/admin/users/{users['patient'].id}/role", data={"role": "admin"}).status_code == 403
        client.post("/logout")
    db.session.expire_all()
    assert db.session.get(User, users["patient"].id).role == "patient"
