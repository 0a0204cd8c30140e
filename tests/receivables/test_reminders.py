"""Payment reminders: finance sends the first, then the second, reminder of an issued invoice past its due date with
something left; each is a PDF in the patient's language (Arabic right to left) naming the invoice, what is left, a new
due date and the bank account frozen on the invoice, archived once with its SHA-256, mailed to the patient in their
language and written to the audit trail. The second needs the first and REMINDER_INTERVAL_DAYS since; a level is
never sent twice; a refusal stores nothing."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date
from sqlalchemy import func, select, update

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.messages.models import Message
from backoffice.receivables import reminders
from backoffice.receivables.models import PaymentReminder
from backoffice.storage import archive
from backoffice.trail import AuditEvent
from tests.helpers import change_settings
from tests.invoicing.factories import pay, text
from tests.receivables.factories import owed_deposit
from tests.shipments.factories import run_jobs
from tests.test_pdf_scripts import assert_text_comes_back, pdf_text

FROZEN_IBAN = "DE89 3704 0044 0532 0130 00"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reminder_mails(smtp) -> list:
    """The reminder mails the SMTP server received (the invoice's own mails, issued and paid, left aside)."""
    return [mail for mail in smtp.inbox.messages() if mail["Message-ID"] in reminder_message_ids()]


def reminder_message_ids() -> set[str]:
    return set(db.session.scalars(select(Message.message_id).where(Message.kind == "payment_reminder")))


def stored_pdf(reminder: PaymentReminder) -> bytes:
    pdf = archive.read_pdf(reminder.pdf_filename, reminder.pdf_sha256)
    assert hashlib.sha256(pdf).hexdigest() == reminder.pdf_sha256 and len(pdf) == reminder.pdf_size
    return pdf


def test_a_first_reminder_in_russian_is_archived_mailed_and_audited(app, as_role, users, smtp, monkeypatch):
    invoice = owed_deposit("900.00", days_overdue=12, name="Фатима Алиева", language="ru", email="fatima@mail.example")
    pay(invoice, "400.00")
    # the operator's bank changed after the invoice was issued: the reminder names the account on the invoice
    change_settings(monkeypatch, app, operator_iban="DE02 1203 0000 0000 2020 51")

    finance_id, number = users["finance"].id, invoice.number
    response = as_role("finance").post(f"/invoices/{invoice.id}/reminders", data={"level": "1"})
    assert response.status_code == 302
    run_jobs(app)

    (reminder,) = db.session.scalars(select(PaymentReminder)).all()
    due_on = operator_today() + timedelta(days=app.extensions["settings"].reminder_payment_days)
    assert (reminder.level, reminder.open_amount, reminder.currency) == (1, Decimal("500.00"), "EUR")
    assert (reminder.language, reminder.due_on, reminder.sent_by_id) == ("ru", due_on, finance_id)
    printed = pdf_text(stored_pdf(reminder))
    assert "Напоминание об оплате" in printed and number in printed  # noqa: RUF001
    assert "По нашим данным, счёт" in printed and "Осталось оплатить" in printed and "500,00" in printed
    assert FROZEN_IBAN in printed and "DE02" not in printed
    assert unicodedata.normalize("NFKC", format_date(due_on, "medium", locale="ru")) in printed

    (mail,) = reminder_mails(smtp)
    assert mail["To"] == "fatima@mail.example" and mail["Content-Language"] == "ru"
    assert mail["Subject"] == f"Напоминание об оплате счёта {number}"  # noqa: RUF001
    body = mail.get_content()
    assert body.startswith("Здравствуйте, Фатима Алиева!") and "500,00" in body and "/portal" in body

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.reminder_sent"))
    assert event.actor_id == finance_id and event.object_type == "invoice"
    assert event.details["level"] == 1 and event.details["pdf_sha256"] == reminder.pdf_sha256


def test_an_arabic_reminder_reads_right_to_left_and_is_mailed_in_arabic(app, smtp):
    invoice = owed_deposit("750.00", days_overdue=40, name="ليلى حداد", language="ar", email="layla@mail.example")

    number = invoice.number
    reminders.send_reminder(invoice.id, 1, actor_id=None)
    db.session.commit()
    run_jobs(app)

    pdf = stored_pdf(db.session.scalar(select(PaymentReminder)))
    printed = pdf_text(pdf)
    assert number in printed and "750" in printed and FROZEN_IBAN in printed
    assert_text_comes_back(printed, "تذكير بالدفع", shaped=True)
    assert_text_comes_back(printed, "المتبقي للدفع", shaped=True)
    (mail,) = reminder_mails(smtp)
    assert mail["Content-Language"] == "ar" and mail["Subject"] == f"تذكير بدفع الفاتورة {number}"
    assert "يرجى تحويل المبلغ المتبقي" in mail.get_content()


def test_the_second_reminder_before_the_first_is_refused_and_nothing_is_stored(app, as_role):
    invoice = owed_deposit(days_overdue=40)
    files = sorted(archive.archive_root().rglob("*-R*.pdf"))

    response = as_role("finance").post(f"/invoices/{invoice.id}/reminders", data={"level": "2"})

    assert response.status_code == 409
    assert "Send the first reminder of" in text(response)
    assert (count(PaymentReminder), len(reminder_message_ids())) == (0, 0)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.reminder_sent")) is None
    assert sorted(archive.archive_root().rglob("*-R*.pdf")) == files


def test_a_reminder_is_never_sent_twice_at_the_same_level(app, as_role):
    invoice = owed_deposit(days_overdue=40)
    client = as_role("finance")
    assert client.post(f"/invoices/{invoice.id}/reminders", data={"level": "1"}).status_code == 302

    again = client.post(f"/invoices/{invoice.id}/reminders", data={"level": "1"})

    assert again.status_code == 409 and "was already sent on" in text(again) and "not sent twice" in text(again)
    assert (count(PaymentReminder), len(reminder_message_ids())) == (1, 1)


def test_the_database_refuses_a_second_row_at_the_same_level(app):
    invoice = owed_deposit(days_overdue=40)
    first = reminders.send_reminder(invoice.id, 1, actor_id=None).reminder
    db.session.commit()
    values = {c.name: getattr(first, c.name) for c in PaymentReminder.__table__.columns if c.name != "id"}
    db.session.add(PaymentReminder(**values))
    with pytest.raises(Exception, match=r"(?i)unique"):
        db.session.commit()
    db.session.rollback()
    assert count(PaymentReminder) == 1


def test_the_second_reminder_waits_the_interval_after_the_first(app, monkeypatch):
    invoice = owed_deposit(days_overdue=40)
    reminders.send_reminder(invoice.id, 1, actor_id=None)
    db.session.commit()

    with pytest.raises(reminders.ReminderRefused, match="can be sent from"):
        reminders.send_reminder(invoice.id, 2, actor_id=None)
    db.session.rollback()
    assert count(PaymentReminder) == 1

    interval = app.extensions["settings"].reminder_interval_days
    db.session.execute(update(PaymentReminder).values(sent_on=operator_today() - timedelta(days=interval)))
    db.session.commit()
    second = reminders.send_reminder(invoice.id, 2, actor_id=None)
    db.session.commit()
    assert second.reminder.level == 2
    assert "Second payment reminder" in pdf_text(stored_pdf(second.reminder))
    assert "We already reminded you" in pdf_text(stored_pdf(second.reminder))


@pytest.mark.parametrize(
    ("days_overdue", "paid", "message"), [(0, "", "not overdue yet"), (5, "500.00", "Nothing is left")]
)
def test_an_invoice_not_overdue_or_paid_gets_no_reminder(app, days_overdue, paid, message):
    invoice = owed_deposit("500.00", days_overdue=days_overdue)
    if paid:
        pay(invoice, paid)
    with pytest.raises(reminders.ReminderRefused, match=message):
        reminders.send_reminder(invoice.id, 1, actor_id=None)
    db.session.rollback()
    assert count(PaymentReminder) == 0


def test_the_invoice_page_shows_the_reminders_sent_and_offers_the_next(app, as_role):
    invoice = owed_deposit(days_overdue=40)
    client = as_role("finance")
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Payment reminders" in page and "No reminder sent." in page and "Send first reminder" in page

    client.post(f"/invoices/{invoice.id}/reminders", data={"level": "1"})
    page = text(client.get(f"/invoices/{invoice.id}"))
    reminder = db.session.scalar(select(PaymentReminder))
    assert "First reminder" in page and f"/reminders/{reminder.id}.pdf" in page
    assert "Send second reminder" not in page, "the interval has not passed"
    download = client.get(f"/reminders/{reminder.id}.pdf")
    assert download.status_code == 200 and download.data == stored_pdf(reminder)
    assert "Send first reminder" not in text(as_role("coordinator").get(f"/invoices/{invoice.id}"))


def test_two_people_sending_the_same_reminder_at_once_store_one(app, monkeypatch):
    invoice = owed_deposit(days_overdue=40)
    reminders.send_reminder(invoice.id, 1, actor_id=None)
    db.session.commit()
    # the second person's page was read before the first reminder was stored: their check finds none
    monkeypatch.setattr(reminders, "reminders_of", lambda invoice_id: [])

    with pytest.raises(reminders.ReminderRefused, match="was just sent by someone else"):
        reminders.send_reminder(invoice.id, 1, actor_id=None)
    db.session.rollback()
    assert (count(PaymentReminder), len(reminder_message_ids())) == (1, 1)


@pytest.mark.parametrize("level", ["", "3", "abc", "1e3", "-1"])
def test_a_level_that_is_neither_first_nor_second_is_refused(app, as_role, level):
    invoice = owed_deposit(days_overdue=40)
    response = as_role("finance").post(f"/invoices/{invoice.id}/reminders", data={"level": level})
    assert response.status_code == 409 and "send the first or the second" in text(response)
    assert count(PaymentReminder) == 0
