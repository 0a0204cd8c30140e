"""Mail sent to the development catcher the way the product's mailer sends it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from backoffice.mail_catcher import Catcher, list_caught


def send(catcher: Catcher, message: EmailMessage) -> str:
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
        smtp.send_message(message)
    return list_caught(catcher.directory).items[0].name


def confirmation(subject: str = "Ваша заявка MT-2026-0042", body: str = "Здравствуйте!") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "care@medtravel.example", "patient@example.test", subject
    mail.set_content(body)
    return mail
