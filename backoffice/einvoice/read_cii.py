"""Reading a UN/CEFACT Cross Industry Invoice (CII D16B: ZUGFeRD / Factur-X / XRechnung in CII syntax) into the
neutral `Document`. The root has been checked by `safe_xml.check_invoice_root`; every value is read by its path in
EN 16931's CII binding, lines element by element (no XPath per line: a 10,000-line bill reads in a blink)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from lxml import etree

from backoffice.einvoice.document import Document, EInvoiceError, Line, Party, VatBreakdown
from backoffice.einvoice.xml_values import (
    MAX_TEXT,
    NUMBER,
    ZERO,
    allowances_and_charges,
    amount,
    check_type_code,
    child,
    children,
    iso_date,
    optional_amount,
    path,
    text,
)

RSM = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
UDT = "{urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100}"


def _date(element: etree._Element | None, term: str, *, line: str | None = None, required: bool = False):
    return iso_date(text(child(element, UDT + "DateTimeString")), term, line=line, required=required)


def _party(element: etree._Element | None) -> Party:
    if element is None:
        return Party(name="")
    address = child(element, RAM + "PostalTradeAddress")
    vat_id = ""
    for registration in element.iterchildren(RAM + "SpecifiedTaxRegistration"):
        identifier = child(registration, RAM + "ID")
        if identifier is not None and identifier.get("schemeID") == "VA":
            vat_id = text(identifier)
            break
    return Party(
        name=text(child(element, RAM + "Name")),
        vat_id=vat_id,
        street=text(child(address, RAM + "LineOne")),
        postcode=text(child(address, RAM + "PostcodeCode")),
        city=text(child(address, RAM + "CityName")),
        country=text(child(address, RAM + "CountryID")),
        email=text(path(element, RAM + "URIUniversalCommunication", RAM + "URIID")),
        legal_name=text(path(element, RAM + "SpecifiedLegalOrganization", RAM + "TradingBusinessName")),
    )


# The tags of a line, named once: a 10,000-line bill reads each of them 10,000 times.
DOCUMENT_LINE, LINE_ID, NOTE, CONTENT = (
    RAM + t for t in ("AssociatedDocumentLineDocument", "LineID", "IncludedNote", "Content")
)
PRODUCT, ITEM_ID, NAME = (RAM + t for t in ("SpecifiedTradeProduct", "SellerAssignedID", "Name"))
AGREEMENT, NET_PRICE, CHARGE_AMOUNT, BASIS = (
    RAM + t for t in ("SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount", "BasisQuantity")
)
DELIVERY, BILLED = RAM + "SpecifiedLineTradeDelivery", RAM + "BilledQuantity"
SETTLEMENT, TAX, PERIOD, ALLOWANCE_CHARGE = (
    RAM + t
    for t in (
        "SpecifiedLineTradeSettlement",
        "ApplicableTradeTax",
        "BillingSpecifiedPeriod",
        "SpecifiedTradeAllowanceCharge",
    )
)
SUMMATION, LINE_TOTAL = RAM + "SpecifiedTradeSettlementLineMonetarySummation", RAM + "LineTotalAmount"
DATE_TIME = UDT + "DateTimeString"
CATEGORY, RATE, START, END = (
    RAM + t for t in ("CategoryCode", "RateApplicablePercent", "StartDateTime", "EndDateTime")
)


def _value(element: etree._Element | None) -> str:
    """`xml_values.text`, inlined where a line reads a dozen values."""
    value = element.text if element is not None else None
    return value.strip()[:MAX_TEXT] if value is not None else ""


def _number(element: etree._Element | None, term: str, line_id: str, *, required: bool = False) -> Decimal:
    """`xml_values.amount` of a line's value, its common case (digits, a dot) read here and the rest there."""
    value = element.text if element is not None else None
    if value is not None and NUMBER.fullmatch(value):  # no white space, nothing to cut: the text is the number
        return Decimal(value)
    return amount(element, term, line=line_id, required=required)


def _first(element: etree._Element | None, tag: str) -> etree._Element | None:
    """`xml_values.child` of an element with one child or two: a loop costs less than an iterator."""
    for kid in element if element is not None else ():
        if kid.tag == tag:
            return kid
    return None


def _pair(element: etree._Element | None, first_tag: str, second_tag: str) -> tuple[etree._Element | None, ...]:
    """The first child of each of two tags, in one pass over the element's children."""
    first = second = None
    for kid in element if element is not None else ():
        tag = kid.tag
        if tag == first_tag:
            first = kid if first is None else first
        elif tag == second_tag and second is None:
            second = kid
    return first, second


def _line(item: etree._Element, position: int) -> Line:
    parts = children(item)
    line_number, note = _pair(parts.get(DOCUMENT_LINE), LINE_ID, NOTE)
    line_id = _value(line_number) or str(position)
    item_id, name = _pair(parts.get(PRODUCT), ITEM_ID, NAME)
    price, basis = _pair(_first(parts.get(AGREEMENT), NET_PRICE), CHARGE_AMOUNT, BASIS)
    quantity = _first(parts.get(DELIVERY), BILLED)
    settlement = parts.get(SETTLEMENT)
    tax = period = summation = None
    allowances = charges = ZERO
    adjusted = False
    for kid in settlement if settlement is not None else ():
        tag = kid.tag
        if tag == TAX and tax is None:
            tax = kid
        elif tag == PERIOD and period is None:
            period = kid
        elif tag == SUMMATION and summation is None:
            summation = kid
        elif tag == ALLOWANCE_CHARGE and not adjusted:
            adjusted = True
            allowances, charges = allowances_and_charges(
                (
                    (path(entry, RAM + "ChargeIndicator", UDT + "Indicator"), child(entry, RAM + "ActualAmount"))
                    for entry in settlement.iterchildren(ALLOWANCE_CHARGE)
                ),
                line_id,
            )
    category, rate = _pair(tax, CATEGORY, RATE)
    start, end = _pair(period, START, END)
    return Line(
        line_id,
        _value(name),
        _number(quantity, "BT-129", line_id, required=True),
        quantity.get("unitCode", "") if quantity is not None else "",
        _number(price, "BT-146", line_id, required=True),
        _number(_first(summation, LINE_TOTAL), "BT-131", line_id, required=True),
        _value(category),
        _number(rate, "BT-152", line_id),
        _value(item_id),
        optional_amount(basis, "BT-149", line=line_id) if basis is not None else None,
        iso_date(_value(_first(start, DATE_TIME)), "BT-134", line=line_id) if start is not None else None,
        iso_date(_value(_first(end, DATE_TIME)), "BT-135", line=line_id) if end is not None else None,
        allowances,
        charges,
        _value(child(note, CONTENT)) if note is not None else "",
    )


def _breakdown(settlement: etree._Element | None) -> tuple[VatBreakdown, ...]:
    if settlement is None:
        return ()
    return tuple(
        VatBreakdown(
            category=text(child(tax, RAM + "CategoryCode")),
            rate=amount(child(tax, RAM + "RateApplicablePercent"), "BT-119"),
            taxable=amount(child(tax, RAM + "BasisAmount"), "BT-116"),
            tax=amount(child(tax, RAM + "CalculatedAmount"), "BT-117"),
            exemption_reason=text(child(tax, RAM + "ExemptionReason")),
            exemption_reason_code=text(child(tax, RAM + "ExemptionReasonCode")),
        )
        for tax in settlement.iterchildren(RAM + "ApplicableTradeTax")
    )


def read_cii(root: etree._Element) -> Document:
    """The invoice or credit note of a CII `CrossIndustryInvoice`, or `EInvoiceError` naming what is missing."""
    exchanged = child(root, RSM + "ExchangedDocument")
    transaction = child(root, RSM + "SupplyChainTradeTransaction")
    if exchanged is None or transaction is None:
        raise EInvoiceError(_("The CII invoice has no ExchangedDocument or SupplyChainTradeTransaction."))
    type_code = check_type_code(text(child(exchanged, RAM + "TypeCode")))
    agreement = child(transaction, RAM + "ApplicableHeaderTradeAgreement")
    settlement = child(transaction, RAM + "ApplicableHeaderTradeSettlement")
    totals = child(settlement, RAM + "SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = text(child(settlement, RAM + "InvoiceCurrencyCode"))
    tax_total = Decimal(0)
    for tax_amount in totals.iterchildren(RAM + "TaxTotalAmount") if totals is not None else ():
        if tax_amount.get("currencyID", currency) == currency:
            tax_total = amount(tax_amount, "BT-110")
    period = child(settlement, RAM + "BillingSpecifiedPeriod")
    terms = child(settlement, RAM + "SpecifiedTradePaymentTerms")
    means = child(settlement, RAM + "SpecifiedTradeSettlementPaymentMeans")
    lines = tuple(
        _line(item, position)
        for position, item in enumerate(transaction.iterchildren(RAM + "IncludedSupplyChainTradeLineItem"), start=1)
    )
    return Document(
        syntax="cii",
        type_code=type_code,
        number=text(child(exchanged, RAM + "ID")),
        issue_date=_date(child(exchanged, RAM + "IssueDateTime"), "BT-2", required=True),
        currency=currency,
        seller=_party(child(agreement, RAM + "SellerTradeParty")),
        buyer=_party(child(agreement, RAM + "BuyerTradeParty")),
        lines=lines,
        vat_breakdown=_breakdown(settlement),
        line_total=amount(child(totals, RAM + "LineTotalAmount"), "BT-106"),
        tax_exclusive_total=amount(child(totals, RAM + "TaxBasisTotalAmount"), "BT-109"),
        tax_total=tax_total,
        grand_total=amount(child(totals, RAM + "GrandTotalAmount"), "BT-112"),
        prepaid=amount(child(totals, RAM + "TotalPrepaidAmount"), "BT-113"),
        payable=amount(child(totals, RAM + "DuePayableAmount"), "BT-115"),
        due_date=_date(child(terms, RAM + "DueDateDateTime"), "BT-9"),
        buyer_reference=text(child(agreement, RAM + "BuyerReference")),
        delivery_date=_date(
            path(
                transaction,
                RAM + "ApplicableHeaderTradeDelivery",
                RAM + "ActualDeliverySupplyChainEvent",
                RAM + "OccurrenceDateTime",
            ),
            "BT-72",
        ),
        period_start=_date(child(period, RAM + "StartDateTime"), "BT-73"),
        period_end=_date(child(period, RAM + "EndDateTime"), "BT-74"),
        preceding_invoice=text(path(settlement, RAM + "InvoiceReferencedDocument", RAM + "IssuerAssignedID")),
        payment_terms=text(child(terms, RAM + "Description")),
        payment_means_code=text(child(means, RAM + "TypeCode")),
        iban=text(path(means, RAM + "PayeePartyCreditorFinancialAccount", RAM + "IBANID")),
        bic=text(path(means, RAM + "PayeeSpecifiedCreditorFinancialInstitution", RAM + "BICID")),
        notes=tuple(text(child(note, RAM + "Content")) for note in exchanged.iterchildren(RAM + "IncludedNote")),
        specification_id=text(
            path(
                root,
                RSM + "ExchangedDocumentContext",
                RAM + "GuidelineSpecifiedDocumentContextParameter",
                RAM + "ID",
            )
        ),
    )
