"""A `Document` written as UBL 2.1 (an Invoice, or a CreditNote for type 381): the XRechnung 3.0 a German business
or public payer receives, EN 16931 with the German CIUS named in its CustomizationID.

Elements come in the order the UBL 2.1 schema wants; amounts with two decimals, prices, quantities and rates as they
are. The buyer's electronic address (BT-49, which XRechnung asks for) is its e-mail when known, else its buyer
reference under scheme 0204 (the Leitweg-ID).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from backoffice.einvoice.document import Document, Line, Party, VatBreakdown
from backoffice.einvoice.write_cii import NOT_SUBJECT_TO_VAT, amount, plain

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
LEITWEG_SCHEME = "0204"


class _Writer:
    def __init__(self, document: Document):
        self.document = document
        self.credit_note = document.type_code == "381"

    def sub(self, parent, name: str, text: str | None = None, **attributes):
        prefix, local = name.split(":")
        namespace = CAC if prefix == "cac" else CBC
        element = etree.SubElement(parent, f"{{{namespace}}}{local}", {k: v for k, v in attributes.items() if v})
        if text is not None:
            element.text = text
        return element

    def money(self, parent, name: str, value: Decimal, currency: str | None = None):
        return self.sub(parent, name, amount(value), currencyID=currency or self.document.currency)

    def write(self) -> bytes:
        document = self.document
        root_ns, root_name = (CREDIT_NOTE_NS, "CreditNote") if self.credit_note else (INVOICE_NS, "Invoice")
        root = etree.Element(f"{{{root_ns}}}{root_name}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
        self.sub(root, "cbc:CustomizationID", document.specification_id or XRECHNUNG)
        self.sub(root, "cbc:ProfileID", PEPPOL_BILLING)
        self.sub(root, "cbc:ID", document.number)
        self.sub(root, "cbc:IssueDate", document.issue_date.isoformat())
        if document.due_date and not self.credit_note:
            self.sub(root, "cbc:DueDate", document.due_date.isoformat())
        self.sub(root, "cbc:CreditNoteTypeCode" if self.credit_note else "cbc:InvoiceTypeCode", document.type_code)
        for note in document.notes:
            self.sub(root, "cbc:Note", note)
        self.sub(root, "cbc:DocumentCurrencyCode", document.currency)
        if document.tax_currency:
            self.sub(root, "cbc:TaxCurrencyCode", document.tax_currency)
        if document.buyer_reference:
            self.sub(root, "cbc:BuyerReference", document.buyer_reference)
        self.period(root, document.period_start, document.period_end)
        if document.preceding_invoice:
            reference = self.sub(root, "cac:BillingReference")
            self.sub(self.sub(reference, "cac:InvoiceDocumentReference"), "cbc:ID", document.preceding_invoice)
        self.party(self.sub(root, "cac:AccountingSupplierParty"), document.seller, seller=True)
        self.party(self.sub(root, "cac:AccountingCustomerParty"), document.buyer, seller=False)
        if document.delivery_date:
            self.sub(self.sub(root, "cac:Delivery"), "cbc:ActualDeliveryDate", document.delivery_date.isoformat())
        self.payment(root)
        self.taxes(root)
        self.totals(root)
        for line in document.lines:
            self.line(root, line)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def period(self, parent, start: date | None, end: date | None) -> None:
        if not (start or end):
            return
        period = self.sub(parent, "cac:InvoicePeriod")
        if start:
            self.sub(period, "cbc:StartDate", start.isoformat())
        if end:
            self.sub(period, "cbc:EndDate", end.isoformat())

    def party(self, holder, party: Party, *, seller: bool) -> None:
        element = self.sub(holder, "cac:Party")
        if party.email:
            self.sub(element, "cbc:EndpointID", party.email, schemeID="EM")
        elif not seller and self.document.buyer_reference:
            self.sub(element, "cbc:EndpointID", self.document.buyer_reference, schemeID=LEITWEG_SCHEME)
        if party.legal_name:
            self.sub(self.sub(element, "cac:PartyName"), "cbc:Name", party.legal_name)
        address = self.sub(element, "cac:PostalAddress")
        if party.street:
            self.sub(address, "cbc:StreetName", party.street)
        if party.city:
            self.sub(address, "cbc:CityName", party.city)
        if party.postcode:
            self.sub(address, "cbc:PostalZone", party.postcode)
        self.sub(self.sub(address, "cac:Country"), "cbc:IdentificationCode", party.country)
        if party.vat_id:
            scheme = self.sub(element, "cac:PartyTaxScheme")
            self.sub(scheme, "cbc:CompanyID", party.vat_id)
            self.sub(self.sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
        self.sub(self.sub(element, "cac:PartyLegalEntity"), "cbc:RegistrationName", party.name)
        if seller and (party.phone or party.email):
            contact = self.sub(element, "cac:Contact")
            self.sub(contact, "cbc:Name", party.name)
            if party.phone:
                self.sub(contact, "cbc:Telephone", party.phone)
            if party.email:
                self.sub(contact, "cbc:ElectronicMail", party.email)

    def payment(self, root) -> None:
        document = self.document
        if document.payment_means_code:
            means = self.sub(root, "cac:PaymentMeans")
            self.sub(means, "cbc:PaymentMeansCode", document.payment_means_code)
            if self.credit_note and document.due_date:
                self.sub(means, "cbc:PaymentDueDate", document.due_date.isoformat())
            if not self.credit_note:
                self.sub(means, "cbc:PaymentID", document.number)
            if document.iban:
                account = self.sub(means, "cac:PayeeFinancialAccount")
                self.sub(account, "cbc:ID", document.iban)
                if document.bic:
                    self.sub(self.sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", document.bic)
        if document.payment_terms:
            self.sub(self.sub(root, "cac:PaymentTerms"), "cbc:Note", document.payment_terms)

    def taxes(self, root) -> None:
        document = self.document
        total = self.sub(root, "cac:TaxTotal")
        self.money(total, "cbc:TaxAmount", document.tax_total)
        for breakdown in document.vat_breakdown:
            self.subtotal(total, breakdown)
        if document.tax_currency and document.tax_total_in_tax_currency is not None:
            in_tax_currency = self.sub(root, "cac:TaxTotal")
            self.money(in_tax_currency, "cbc:TaxAmount", document.tax_total_in_tax_currency, document.tax_currency)

    def subtotal(self, total, breakdown: VatBreakdown) -> None:
        subtotal = self.sub(total, "cac:TaxSubtotal")
        self.money(subtotal, "cbc:TaxableAmount", breakdown.taxable)
        self.money(subtotal, "cbc:TaxAmount", breakdown.tax)
        category = self.sub(subtotal, "cac:TaxCategory")
        self.sub(category, "cbc:ID", breakdown.category)
        if breakdown.category != NOT_SUBJECT_TO_VAT:
            self.sub(category, "cbc:Percent", plain(breakdown.rate))
        if breakdown.exemption_reason_code:
            self.sub(category, "cbc:TaxExemptionReasonCode", breakdown.exemption_reason_code)
        if breakdown.exemption_reason:
            self.sub(category, "cbc:TaxExemptionReason", breakdown.exemption_reason)
        self.sub(self.sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")

    def totals(self, root) -> None:
        document = self.document
        totals = self.sub(root, "cac:LegalMonetaryTotal")
        self.money(totals, "cbc:LineExtensionAmount", document.line_total)
        self.money(totals, "cbc:TaxExclusiveAmount", document.tax_exclusive_total)
        self.money(totals, "cbc:TaxInclusiveAmount", document.grand_total)
        if document.prepaid:
            self.money(totals, "cbc:PrepaidAmount", document.prepaid)
        self.money(totals, "cbc:PayableAmount", document.payable)

    def line(self, root, line: Line) -> None:
        element = self.sub(root, "cac:CreditNoteLine" if self.credit_note else "cac:InvoiceLine")
        self.sub(element, "cbc:ID", line.line_id)
        if line.note:
            self.sub(element, "cbc:Note", line.note)
        quantity = "cbc:CreditedQuantity" if self.credit_note else "cbc:InvoicedQuantity"
        self.sub(element, quantity, plain(line.quantity), unitCode=line.unit_code)
        self.money(element, "cbc:LineExtensionAmount", line.net_amount)
        self.period(element, line.period_start, line.period_end)
        item = self.sub(element, "cac:Item")
        self.sub(item, "cbc:Name", line.name)
        if line.seller_item_id:
            self.sub(self.sub(item, "cac:SellersItemIdentification"), "cbc:ID", line.seller_item_id)
        category = self.sub(item, "cac:ClassifiedTaxCategory")
        self.sub(category, "cbc:ID", line.vat_category)
        if line.vat_category != NOT_SUBJECT_TO_VAT:
            self.sub(category, "cbc:Percent", plain(line.vat_rate))
        self.sub(self.sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")
        price = self.sub(element, "cac:Price")
        self.money(price, "cbc:PriceAmount", line.net_price).text = plain(line.net_price)
        if line.base_quantity is not None:
            self.sub(price, "cbc:BaseQuantity", plain(line.base_quantity), unitCode=line.unit_code)


def write_ubl(document: Document) -> bytes:
    """The document as UBL 2.1 XML (UTF-8 bytes with its declaration), an XRechnung 3.0 Invoice or CreditNote."""
    return _Writer(document).write()
