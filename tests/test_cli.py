from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.cli import DEMO_USERS
from backoffice.extensions import db
from tests.helpers import change_settings


def test_users_create_reads_the_password_from_stdin(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "Nora@Test.Example",
            "--role",
            "finance",
            "--name",
            "Nora Numbers",
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "nora@test.example"))
    assert user.role == "finance" and user.name == "Nora Numbers"


def test_users_create_prompts_twice_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "olaf@test.example", "--role", "coordinator", "--name", "Olaf"],
        input="a long enough secret\na long enough secret\n",
    )
    assert result.exit_code == 0, result.output


def test_users_create_refuses_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "p@test.example", "--role", "patient", "--name", "P", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 2 and "at least 12" in short.output
    bad_role = runner.invoke(args=["users", "create", "p@test.example", "--role", "root", "--name", "P"])
    assert bad_role.exit_code == 2
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_list_shows_every_account(app, users):
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert all(user.email in result.output for user in users.values())


def test_demo_seed_creates_one_login_per_role_and_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    emails = set(db.session.scalars(select(User.email)))
    assert emails == {email for email, _, _ in DEMO_USERS}
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "already holds accounts" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)


def test_demo_logins_work(app, client):
    app.test_cli_runner().invoke(args=["demo", "seed"])
    for email, _, role in DEMO_USERS:
        response = client.post("/login", data={"email": email, "password": "demo-password"})
        assert response.status_code == 302, email
        assert response.headers["Location"] == ("/portal/" if role == "patient" else "/dashboard")
        client.post("/logout")


def test_demo_seed_refuses_production(app, monkeypatch):
    change_settings(monkeypatch, app, app_env="production")
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 2 and "never seeded in production" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_name_given_on_the_command_line_is_cleaned_like_a_form_field(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "clean@example.org",
            "--role",
            "finance",
            "--name",
            "Ann\r\nLee\u202e",
            "--password-stdin",
        ],
        input="a long enough passphrase for this\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.name).where(User.email == "clean@example.org")) == "Ann Lee"
