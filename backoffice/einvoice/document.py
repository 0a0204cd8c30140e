"""The neutral e-invoice, as EN 16931 names its parts (BT-n: business term n), whichever syntax carried it.

Amounts are Decimals in the document's currency (BT-5), never floats; dates are days. Readers fill it from UBL,
CII or a Factur-X PDF; writers make UBL or CII from it, so one `Document` states exactly one invoice whatever syntax
it travels in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# UNTDID 1001: the invoice type codes (BT-3) read and written here.
INVOICE = "380"
CREDIT_NOTE = "381"
INVOICE_TYPES = ("380", "383", "384", "386", "389", "751", "875", "876", "877")  # invoices of several kinds
CREDIT_NOTE_TYPES = ("381", "396", "532")


class EInvoiceError(ValueError):
    """The file is not an e-invoice this app can read: the message says why, for people (page or command line)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Party:
    """A seller (BG-4) or buyer (BG-7)."""

    name: str  # BT-27 / BT-44
    vat_id: str = ""  # BT-31 / BT-48
    street: str = ""  # BT-35 / BT-50
    postcode: str = ""  # BT-38 / BT-53
    city: str = ""  # BT-37 / BT-52
    country: str = ""  # BT-40 / BT-55, ISO 3166-1 alpha-2
    email: str = ""  # BT-43 / BT-58 (electronic address BT-34 / BT-49 with scheme EM)
    phone: str = ""  # BT-42 / BT-57 (the contact XRechnung asks of a seller)
    legal_name: str = ""  # BT-28 / BT-45 trading name, when it differs


@dataclass(frozen=True, slots=True)
class Line:
    """An invoice line (BG-25)."""

    line_id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130 (UN/ECE rec. 20, C62 = one)
    net_price: Decimal  # BT-146
    net_amount: Decimal  # BT-131
    vat_category: str  # BT-151 (UNTDID 5305: S, Z, E, AE, K, G, O, L, M)
    vat_rate: Decimal  # BT-152, percent
    seller_item_id: str = ""  # BT-155
    base_quantity: Decimal | None = None  # BT-149
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    allowances: Decimal = Decimal(0)  # sum of BT-136
    charges: Decimal = Decimal(0)  # sum of BT-141
    note: str = ""  # BT-127


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """One VAT category and rate of the document (BG-23)."""

    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120
    exemption_reason_code: str = ""  # BT-121


@dataclass(frozen=True, slots=True)
class Document:
    syntax: str  # "ubl" or "cii": what carried it
    type_code: str  # BT-3
    number: str  # BT-1
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    line_total: Decimal = Decimal(0)  # BT-106
    tax_exclusive_total: Decimal = Decimal(0)  # BT-109
    tax_total: Decimal = Decimal(0)  # BT-110
    tax_currency: str = ""  # BT-6, when the VAT is also stated in another currency (the operator's base currency)
    tax_total_in_tax_currency: Decimal | None = None  # BT-111, in BT-6
    grand_total: Decimal = Decimal(0)  # BT-112
    prepaid: Decimal = Decimal(0)  # BT-113
    payable: Decimal = Decimal(0)  # BT-115
    due_date: date | None = None  # BT-9
    buyer_reference: str = ""  # BT-10 (Leitweg-ID for a German public payer)
    delivery_date: date | None = None  # BT-72
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    preceding_invoice: str = ""  # BT-25, of a credit note
    payment_terms: str = ""  # BT-20
    payment_means_code: str = ""  # BT-81 (58: SEPA credit transfer)
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    notes: tuple[str, ...] = field(default_factory=tuple)  # BT-22
    specification_id: str = ""  # BT-24

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_TYPES
