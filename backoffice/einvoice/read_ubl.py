"""Reading an OASIS UBL 2.1 `Invoice` or `CreditNote` (XRechnung / Peppol BIS in UBL syntax) into the neutral
`Document`. The root has been checked by `safe_xml.check_invoice_root`; every value is read by its path in EN 16931's
UBL binding, lines element by element."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from backoffice.einvoice.document import Document, Line, Party, VatBreakdown
from backoffice.einvoice.safe_xml import UBL_CREDIT_NOTE
from backoffice.einvoice.xml_values import (
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

CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


def _date(element: etree._Element | None, term: str, *, line: str | None = None, required: bool = False):
    return iso_date(text(element), term, line=line, required=required)


def _party(element: etree._Element | None) -> Party:
    party = child(element, CAC + "Party")
    if party is None:
        return Party(name="")
    address = child(party, CAC + "PostalAddress")
    vat_id = ""
    for scheme in party.iterchildren(CAC + "PartyTaxScheme"):
        if text(path(scheme, CAC + "TaxScheme", CBC + "ID")) == "VAT":
            vat_id = text(child(scheme, CBC + "CompanyID"))
            break
    endpoint = child(party, CBC + "EndpointID")
    email = text(path(party, CAC + "Contact", CBC + "ElectronicMail"))
    if endpoint is not None and endpoint.get("schemeID") == "EM":
        email = text(endpoint)
    return Party(
        name=text(path(party, CAC + "PartyLegalEntity", CBC + "RegistrationName")),
        vat_id=vat_id,
        street=text(child(address, CBC + "StreetName")),
        postcode=text(child(address, CBC + "PostalZone")),
        city=text(child(address, CBC + "CityName")),
        country=text(path(address, CAC + "Country", CBC + "IdentificationCode")),
        email=email,
        legal_name=text(path(party, CAC + "PartyName", CBC + "Name")),
    )


def _line(element: etree._Element, position: int, quantity_tag: str) -> Line:
    parts = children(element)  # one pass over the line's children, then over each part's
    line_id = text(parts.get(CBC + "ID")) or str(position)
    quantity = parts.get(quantity_tag)
    item = children(parts.get(CAC + "Item"))
    tax = children(item.get(CAC + "ClassifiedTaxCategory"))
    price = children(parts.get(CAC + "Price"))
    period = children(parts.get(CAC + "InvoicePeriod"))
    allowances, charges = Decimal(0), Decimal(0)
    if CAC + "AllowanceCharge" in parts:
        allowances, charges = allowances_and_charges(
            (
                (child(entry, CBC + "ChargeIndicator"), child(entry, CBC + "Amount"))
                for entry in element.iterchildren(CAC + "AllowanceCharge")
            ),
            line_id,
        )
    return Line(
        line_id=line_id,
        name=text(item.get(CBC + "Name")),
        quantity=amount(quantity, "BT-129", line=line_id, required=True),
        unit_code=quantity.get("unitCode", "") if quantity is not None else "",
        net_price=amount(price.get(CBC + "PriceAmount"), "BT-146", line=line_id, required=True),
        net_amount=amount(parts.get(CBC + "LineExtensionAmount"), "BT-131", line=line_id, required=True),
        vat_category=text(tax.get(CBC + "ID")),
        vat_rate=amount(tax.get(CBC + "Percent"), "BT-152", line=line_id),
        seller_item_id=text(child(item.get(CAC + "SellersItemIdentification"), CBC + "ID")),
        base_quantity=optional_amount(price.get(CBC + "BaseQuantity"), "BT-149", line=line_id),
        period_start=_date(period.get(CBC + "StartDate"), "BT-134", line=line_id),
        period_end=_date(period.get(CBC + "EndDate"), "BT-135", line=line_id),
        allowances=allowances,
        charges=charges,
        note=text(parts.get(CBC + "Note")),
    )


def _breakdown(root: etree._Element, currency: str) -> tuple[tuple[VatBreakdown, ...], Decimal]:
    """The VAT breakdown (BG-23) and the VAT total in the document's currency (BT-110)."""
    breakdown: list[VatBreakdown] = []
    tax_total = Decimal(0)
    for total in root.iterchildren(CAC + "TaxTotal"):
        tax_amount = child(total, CBC + "TaxAmount")
        if tax_amount is not None and tax_amount.get("currencyID", currency) == currency:
            tax_total = amount(tax_amount, "BT-110")
        for subtotal in total.iterchildren(CAC + "TaxSubtotal"):
            category = child(subtotal, CAC + "TaxCategory")
            breakdown.append(
                VatBreakdown(
                    category=text(child(category, CBC + "ID")),
                    rate=amount(child(category, CBC + "Percent"), "BT-119"),
                    taxable=amount(child(subtotal, CBC + "TaxableAmount"), "BT-116"),
                    tax=amount(child(subtotal, CBC + "TaxAmount"), "BT-117"),
                    exemption_reason=text(child(category, CBC + "TaxExemptionReason")),
                    exemption_reason_code=text(child(category, CBC + "TaxExemptionReasonCode")),
                )
            )
    return tuple(breakdown), tax_total


def read_ubl(root: etree._Element) -> Document:
    """The invoice or credit note of a UBL `Invoice` or `CreditNote`, or `EInvoiceError` naming what is missing."""
    credit_note = root.tag == UBL_CREDIT_NOTE
    type_code = check_type_code(text(child(root, CBC + ("CreditNoteTypeCode" if credit_note else "InvoiceTypeCode"))))
    currency = text(child(root, CBC + "DocumentCurrencyCode"))
    line_tag, quantity_tag = (
        (CAC + "CreditNoteLine", CBC + "CreditedQuantity")
        if credit_note
        else (CAC + "InvoiceLine", CBC + "InvoicedQuantity")
    )
    lines = tuple(
        _line(element, position, quantity_tag) for position, element in enumerate(root.iterchildren(line_tag), start=1)
    )
    breakdown, tax_total = _breakdown(root, currency)
    totals = child(root, CAC + "LegalMonetaryTotal")
    period = child(root, CAC + "InvoicePeriod")
    means = child(root, CAC + "PaymentMeans")
    account = child(means, CAC + "PayeeFinancialAccount")
    return Document(
        syntax="ubl",
        type_code=type_code,
        number=text(child(root, CBC + "ID")),
        issue_date=_date(child(root, CBC + "IssueDate"), "BT-2", required=True),
        currency=currency,
        seller=_party(child(root, CAC + "AccountingSupplierParty")),
        buyer=_party(child(root, CAC + "AccountingCustomerParty")),
        lines=lines,
        vat_breakdown=breakdown,
        line_total=amount(child(totals, CBC + "LineExtensionAmount"), "BT-106"),
        tax_exclusive_total=amount(child(totals, CBC + "TaxExclusiveAmount"), "BT-109"),
        tax_total=tax_total,
        grand_total=amount(child(totals, CBC + "TaxInclusiveAmount"), "BT-112"),
        prepaid=amount(child(totals, CBC + "PrepaidAmount"), "BT-113"),
        payable=amount(child(totals, CBC + "PayableAmount"), "BT-115"),
        due_date=_date(child(root, CBC + "DueDate"), "BT-9"),
        buyer_reference=text(child(root, CBC + "BuyerReference")),
        delivery_date=_date(path(root, CAC + "Delivery", CBC + "ActualDeliveryDate"), "BT-72"),
        period_start=_date(child(period, CBC + "StartDate"), "BT-73"),
        period_end=_date(child(period, CBC + "EndDate"), "BT-74"),
        preceding_invoice=text(path(root, CAC + "BillingReference", CAC + "InvoiceDocumentReference", CBC + "ID")),
        payment_terms=text(path(root, CAC + "PaymentTerms", CBC + "Note")),
        payment_means_code=text(child(means, CBC + "PaymentMeansCode")),
        iban=text(child(account, CBC + "ID")),
        bic=text(path(account, CAC + "FinancialInstitutionBranch", CBC + "ID")),
        notes=tuple(text(note) for note in root.iterchildren(CBC + "Note")),
        specification_id=text(child(root, CBC + "CustomizationID")),
    )
