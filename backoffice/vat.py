"""VAT categories of what the operator sells, and the table finance keeps of which category each kind of line
carries (`vat_rules`). One list for offers, invoices, e-invoices and the accountant's export.

The categories are those of EN 16931 (UNTDID 5305 codes): standard rate, reduced rate (code S at the reduced
percentage), zero rate, exempt with its reason, outside the scope of VAT, and the margin scheme for travel services
(exempt with the note section 25 UStG requires). The default table (README, "VAT categories") is for the operator's
tax adviser to confirm: medical treatment exempt under section 4 no. 14 UStG, hotel nights at the reduced rate, the
coordination fee and other services at the standard rate, cross-border flights at the zero rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.config import settings
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.trail import record_event

CATEGORIES = ("standard", "reduced", "zero", "exempt", "outside_scope", "margin_scheme")
LABELS = {
    "standard": N_("Standard rate"),
    "reduced": N_("Reduced rate"),
    "zero": N_("Zero rate"),
    "exempt": N_("Exempt (medical treatment)"),
    "outside_scope": N_("Outside the scope of VAT"),
    "margin_scheme": N_("Margin scheme for travel services"),
}
# The categories that carry VAT; every other one is printed at 0 % with its note.
TAXED = ("standard", "reduced")
# The UNTDID 5305 code an e-invoice gives each category (EN 16931 knows no separate code for the reduced rate).
CODES = {"standard": "S", "reduced": "S", "zero": "Z", "exempt": "E", "outside_scope": "O", "margin_scheme": "E"}
# The VATEX exemption reason code (BT-121) of the categories that need a reason (BR-E-10, BR-O-10).
REASON_CODES = {"exempt": "VATEX-EU-132", "outside_scope": "VATEX-EU-O", "margin_scheme": "VATEX-EU-D"}
NEEDS_NOTE = tuple(REASON_CODES)
# Section 14a (6) UStG: an invoice under the margin scheme for travel services must say exactly this.
MARGIN_SCHEME_NOTE = "Sonderregelung für Reisebüros"

# The default reason of exempt treatment: the catalogues translate it, and the German stays printed beside it.
DEFAULT_EXEMPTION_NOTE = N_("Medical treatment: exempt from VAT under section 4 no. 14 UStG.")
# The kinds of invoice line the table has a row for (invoicing.models.LINE_KINDS), and their defaults.
DEFAULT_RULES: dict[str, tuple[str, str]] = {
    "treatment": ("exempt", DEFAULT_EXEMPTION_NOTE),
    "appointment": ("standard", ""),
    "hotel": ("reduced", ""),
    "flight": ("zero", ""),
    "transfer": ("standard", ""),
    "interpreter": ("standard", ""),
    "logistics": ("standard", ""),
    "medicine": ("standard", ""),
    "fee": ("standard", ""),
    "deposit": ("exempt", DEFAULT_EXEMPTION_NOTE),
    "other": ("standard", ""),
}


class VatRuleError(DomainError):
    status_code = 400


class VatRule(db.Model):
    """Which VAT category a kind of invoice line carries, and the note printed with it (the exemption reason)."""

    __tablename__ = "vat_rules"
    __table_args__ = (CheckConstraint(f"category IN ({', '.join(repr(c) for c in CATEGORIES)})", name="category"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@dataclass(frozen=True, slots=True)
class Treatment:
    """What one line gets: its category, its rate in percent and the note printed with its category."""

    category: str
    rate: Decimal
    note: str

    @property
    def code(self) -> str:
        return CODES[self.category]

    @property
    def reason_code(self) -> str:
        return REASON_CODES.get(self.category, "")

    @property
    def taxed(self) -> bool:
        return self.category in TAXED


def rate_of(category: str) -> Decimal:
    """The category's rate in percent, as configured (VAT_RATE, VAT_REDUCED_RATE); 0 for the untaxed ones."""
    if category not in CATEGORIES:
        raise ValueError(f"no VAT category {category!r}")
    if category == "reduced":
        return settings().vat_reduced_rate
    if category == "standard":
        return settings().vat_rate
    return Decimal(0)


def note_for(category: str, note: str) -> str:
    """The note printed with a category: the margin scheme's legal wording always, otherwise what the rule says."""
    if category == "margin_scheme":
        return MARGIN_SCHEME_NOTE
    return note.strip() if category in NEEDS_NOTE or note.strip() else ""


def treatment_of(category: str, note: str = "") -> Treatment:
    return Treatment(category=category, rate=rate_of(category), note=note_for(category, note))


def rules() -> dict[str, VatRule]:
    """The table, one SELECT; a kind without a row falls back to its default."""
    stored = {rule.kind: rule for rule in db.session.scalars(select(VatRule))}
    return {
        kind: stored.get(kind) or VatRule(kind=kind, category=category, note=note)
        for kind, (category, note) in DEFAULT_RULES.items()
    }


def treatment_for(kind: str, table: dict[str, VatRule] | None = None) -> Treatment:
    """The VAT a line of this kind carries, from the table (`rules()` once for many lines)."""
    rule = (table if table is not None else rules()).get(kind)
    if rule is None:
        category, note = DEFAULT_RULES["other"]
        return treatment_of(category, note)
    return treatment_of(rule.category, rule.note)


def change_rule(kind: str, category: str, note: str, actor_id: int | None) -> VatRule:
    """Finance sets the category (and its note) a kind of line carries from now on; drafts made before keep theirs
    until their lines are taken over again, issued invoices never change. Audit-logged."""
    if kind not in DEFAULT_RULES:
        raise VatRuleError(_("There is no kind of invoice line called “%(kind)s”.", kind=kind[:40]))
    if category not in CATEGORIES:
        raise VatRuleError(_("Choose one of the VAT categories."))
    note = (note or "").strip()
    if len(note) > 300:
        raise VatRuleError(_("The note takes at most 300 characters."))
    if category in ("exempt", "outside_scope") and not note:
        raise VatRuleError(_("An exempt or out-of-scope line needs the reason printed on the invoice."))
    rule = db.session.get(VatRule, kind)
    before = (rule.category, rule.note) if rule else DEFAULT_RULES[kind]
    if rule is None:
        rule = VatRule(kind=kind)
        db.session.add(rule)
    rule.category = category
    rule.note = note_for(category, note)
    rule.updated_at = utcnow()
    rule.updated_by_id = actor_id
    db.session.flush()
    record_event(
        "vat_rule_changed",
        actor_id=actor_id,
        object_type="vat_rule",
        object_id=kind,
        details={"kind": kind, "from": list(before), "to": [rule.category, rule.note]},
    )
    return rule
