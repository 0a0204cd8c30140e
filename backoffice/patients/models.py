from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.folding import fold


class Patient(db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    # The phone's digits only, set with the phone: "+49 (69) 123-45" and "0049 69 12345" are one number to look up.
    phone_digits: Mapped[str] = mapped_column(String(40), default="", server_default="", index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # country of residence, ISO 3166-1 alpha-2
    preferred_language: Mapped[str] = mapped_column(String(2), default="en")  # ISO 639-1
    languages: Mapped[str] = mapped_column(String(100), default="")  # further languages spoken, comma-separated
    date_of_birth: Mapped[date | None]
    address: Mapped[str] = mapped_column(Text, default="")
    # The patient's debtor account in the accountant's books (DATEV), given at the first export that books them.
    debtor_account: Mapped[int | None] = mapped_column(unique=True)
    # The portal account, once the patient is invited (invoicing issue).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Erasure (GDPR Art. 17, `rights.erasing`): the name the patient's records carry from then on ("Erased P-3F9A2C"),
    # and when. An erased patient's invoices, payments, offers and bills are restricted: finance only, in no list.
    pseudonym: Mapped[str | None] = mapped_column(String(20), unique=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @validates("phone")
    def _set_phone_digits(self, _key: str, phone: str) -> str:
        self.phone_digits = phone_digits(phone)
        return phone

    @property
    def spoken_languages(self) -> list[str]:
        extra = [code.strip() for code in self.languages.split(",") if code.strip()]
        return [self.preferred_language, *[code for code in extra if code != self.preferred_language]]


def phone_digits(phone: str | None) -> str:
    """The digits of a phone number, without a leading international prefix "00" (so +49 and 0049 agree)."""
    digits = "".join(char for char in fold(phone) if char.isdigit())
    return digits[2:] if digits.startswith("00") else digits
