"""Who may do what: the named questions views and templates ask, and templates asking nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import url_for

from backoffice.auth import permissions
from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, PATIENT, ROLES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# `current_user.role ==`, `!=`, `in (...)`, `not in (...)`, `role in ('admin', ...)`: any comparison of a role.
ROLE_COMPARISON = re.compile(
    r"\brole\s*(==|!=|\bin\b|\bnot\s+in\b)|['\"](admin|coordinator|finance)['\"]\s*(==|!=|in\b)"
)


def who_may(question) -> set[str]:
    return {role for role in ROLES if question(role)}


def test_no_template_compares_roles():
    comparisons = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "current_user.role" in line and ROLE_COMPARISON.search(line)
    ]
    assert comparisons == []


def test_every_question_is_a_template_global(app):
    for question in permissions.TEMPLATE_QUESTIONS:
        assert app.jinja_env.globals[question.__name__] is question


def test_only_admins_and_coordinators_may_see_health_data():
    assert who_may(permissions.may_see_health_data) == {ADMIN, COORDINATOR}


def test_only_admins_and_coordinators_coordinate_care():
    assert who_may(permissions.may_coordinate_care) == {ADMIN, COORDINATOR}


def test_only_admins_and_finance_audit_bills():
    assert who_may(permissions.may_audit_bills) == {ADMIN, FINANCE}


def test_only_admins_and_finance_invoice_patients():
    assert who_may(permissions.may_invoice_patients) == {ADMIN, FINANCE}


def test_only_coordinators_take_cases():
    assert who_may(permissions.may_take_cases) == {COORDINATOR}


@pytest.mark.parametrize(
    "question",
    [
        permissions.may_manage_users,
        permissions.may_read_audit_log,
        permissions.may_see_access_history,
        permissions.may_manage_jobs,
        permissions.may_waive_clearance,
        permissions.may_oversee_all_follow_ups,
    ],
    ids=lambda question: question.__name__,
)
def test_only_admins_run_the_office(question):
    assert who_may(question) == {ADMIN}


def test_patients_may_do_none_of_the_staff_work():
    assert not any(question(PATIENT) for question in permissions.TEMPLATE_QUESTIONS)


def test_the_menu_asks_about_the_signed_in_user(app, as_role):
    with app.test_request_context():
        assert permissions.may_see_health_data() is False  # nobody signed in
        bills, invoices, users, follow_ups = (
            url_for(endpoint)
            for endpoint in (
                "billing.list_bills",
                "invoicing.list_invoices",
                "users.list_users",
                "logistics.due_follow_ups",
            )
        )
    page = as_role("finance").get("/dashboard").get_data(as_text=True)
    assert f'href="{bills}"' in page and f'href="{invoices}"' in page
    assert f'href="{users}"' not in page and f'href="{follow_ups}"' not in page
