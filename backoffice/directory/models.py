"""Hospitals, their physicians and treatment programmes, and the destination countries paused for intake."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.money import Amount, Money, money_composite


class Hospital(db.Model):
    __tablename__ = "hospitals"
    __table_args__ = (
        CheckConstraint("foreign_coefficient IS NULL OR foreign_coefficient >= 10000", name="coefficient_at_least_one"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. FRA-ABM
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")  # IANA, for local appointment times
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO 639-1 codes spoken by staff
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What a foreign patient pays here, as a multiple of the resident price, where the hospital has no international
    # price list (e.g. 1.8000); its source is documented beside it. None: no saving is claimed without a list.
    foreign_coefficient: Mapped[Decimal | None] = mapped_column(Amount(scale=4))
    foreign_coefficient_source: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The hospital's VAT ID: an e-invoice whose seller states another one is refused.
    vat_id: Mapped[str] = mapped_column(String(20), default="", server_default="")

    physicians: Mapped[list[Physician]] = relationship(back_populates="hospital", order_by="Physician.name")
    programmes: Mapped[list[Programme]] = relationship(back_populates="hospital", order_by="Programme.name")

    def __repr__(self) -> str:
        return f"<Hospital {self.code}>"


class Physician(db.Model):
    __tablename__ = "physicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    specialty: Mapped[str] = mapped_column(String(120))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)

    hospital: Mapped[Hospital] = relationship(back_populates="physicians")


class Programme(db.Model):
    """A treatment programme a hospital offers, with its indicative price and what rules a patient out."""

    __tablename__ = "programmes"
    __table_args__ = (
        UniqueConstraint("hospital_id", "name"),
        CheckConstraint("typical_stay_days IS NULL OR typical_stay_days >= 0", name="stay_not_negative"),
        CheckConstraint("price_from_amount IS NULL OR price_from_amount >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_from_amount: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    price_from_currency: Mapped[str | None] = mapped_column(String(3))
    typical_stay_days: Mapped[int | None]
    follow_up_plan: Mapped[str] = mapped_column(Text, default="")
    # One rule a line, "every 1 week x 8: Outpatient examination": the follow-ups generated at discharge.
    follow_up_schedule: Mapped[str] = mapped_column(Text, default="")
    # The resident-tariff codes the programme consists of; a bill line with another code is `not_in_programme`.
    tariff_codes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    price_from: Mapped[Money | None] = money_composite(price_from_amount, price_from_currency)

    hospital: Mapped[Hospital] = relationship(back_populates="programmes")
    phases: Mapped[list[ProgrammePhase]] = relationship(
        back_populates="programme", order_by="ProgrammePhase.position", cascade="all, delete-orphan"
    )
    contraindications: Mapped[list[Contraindication]] = relationship(
        back_populates="programme", order_by="Contraindication.position", cascade="all, delete-orphan"
    )


class ProgrammePhase(db.Model):
    __tablename__ = "programme_phases"
    __table_args__ = (UniqueConstraint("programme_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    duration: Mapped[str] = mapped_column(String(100), default="")  # as the hospital states it: "2-3 weeks"
    duration_days: Mapped[int | None]  # planning length in days, where one can be given

    programme: Mapped[Programme] = relationship(back_populates="phases")


class Contraindication(db.Model):
    """A condition that rules a patient out of a programme until resolved (e.g. pregnancy: after birth)."""

    __tablename__ = "contraindications"
    __table_args__ = (UniqueConstraint("programme_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    question: Mapped[str] = mapped_column(String(300))  # "Acute stage of an infectious or chronic disease"
    resolution_hint: Mapped[str] = mapped_column(String(200), default="")  # "remission reached"

    programme: Mapped[Programme] = relationship(back_populates="contraindications")


class PausedDestination(db.Model):
    """A destination country to which intake is paused: requests for it are not accepted."""

    __tablename__ = "paused_destinations"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
