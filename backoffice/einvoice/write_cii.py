"""A `Document` written as UN/CEFACT CII XML (Cross Industry Invoice D16B), profile EN 16931: the XML a Factur-X /
ZUGFeRD PDF carries as `factur-x.xml`.

The elements come in the order the Factur-X EN 16931 schema wants them; amounts are written with two decimals, unit
prices with every decimal they have, rates and quantities without trailing zeros. Nothing here computes: the
`Document` already states every total as the PDF prints it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from backoffice.einvoice.document import Document, Line, Party, VatBreakdown

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
# BT-24 of the Factur-X / ZUGFeRD profile EN 16931 ("Comfort").
EN16931 = "urn:cen.eu:en16931:2017"
NOT_SUBJECT_TO_VAT = "O"  # carries no rate, on its lines or in its breakdown (BR-O-05, BR-O-09)


def amount(value: Decimal) -> str:
    """An amount with its two decimals (EN 16931 allows no more): 1500.00, -10.50."""
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def plain(value: Decimal) -> str:
    """A quantity, rate or price as it is, without trailing zeros: 2.5, 19, 12.3456, 0."""
    normalized = Decimal(value).normalize()
    return f"{normalized:f}" if normalized else "0"


def day(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Writer:
    def __init__(self, document: Document):
        self.document = document

    def sub(self, parent, name: str, text: str | None = None, **attributes):
        prefix, local = name.split(":")
        element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{local}", {k: v for k, v in attributes.items() if v})
        if text is not None:
            element.text = text
        return element

    def date_time(self, parent, name: str, value: date, kind: str = "udt"):
        holder = self.sub(parent, name)
        self.sub(holder, f"{kind}:DateTimeString", day(value), format="102")
        return holder

    def period(self, parent, start: date | None, end: date | None) -> None:
        """A billing period (BG-14, BG-26), when it has a start or an end."""
        if not (start or end):
            return
        period = self.sub(parent, "ram:BillingSpecifiedPeriod")
        if start:
            self.date_time(period, "ram:StartDateTime", start)
        if end:
            self.date_time(period, "ram:EndDateTime", end)

    def write(self) -> bytes:
        document = self.document
        root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
        context = self.sub(root, "rsm:ExchangedDocumentContext")
        guideline = self.sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
        self.sub(guideline, "ram:ID", document.specification_id or EN16931)
        header = self.sub(root, "rsm:ExchangedDocument")
        self.sub(header, "ram:ID", document.number)
        self.sub(header, "ram:TypeCode", document.type_code)
        self.date_time(header, "ram:IssueDateTime", document.issue_date)
        for note in document.notes:
            self.sub(self.sub(header, "ram:IncludedNote"), "ram:Content", note)
        transaction = self.sub(root, "rsm:SupplyChainTradeTransaction")
        for line in document.lines:
            self.line(transaction, line)
        self.agreement(transaction)
        delivery = self.sub(transaction, "ram:ApplicableHeaderTradeDelivery")
        if document.delivery_date:
            event = self.sub(delivery, "ram:ActualDeliverySupplyChainEvent")
            self.date_time(event, "ram:OccurrenceDateTime", document.delivery_date)
        self.settlement(transaction)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def line(self, transaction, line: Line) -> None:
        item = self.sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = self.sub(item, "ram:AssociatedDocumentLineDocument")
        self.sub(line_document, "ram:LineID", line.line_id)
        if line.note:
            self.sub(self.sub(line_document, "ram:IncludedNote"), "ram:Content", line.note)
        product = self.sub(item, "ram:SpecifiedTradeProduct")
        if line.seller_item_id:
            self.sub(product, "ram:SellerAssignedID", line.seller_item_id)
        self.sub(product, "ram:Name", line.name)
        agreement = self.sub(item, "ram:SpecifiedLineTradeAgreement")
        price = self.sub(agreement, "ram:NetPriceProductTradePrice")
        self.sub(price, "ram:ChargeAmount", plain(line.net_price))
        if line.base_quantity is not None:
            self.sub(price, "ram:BasisQuantity", plain(line.base_quantity), unitCode=line.unit_code)
        delivery = self.sub(item, "ram:SpecifiedLineTradeDelivery")
        self.sub(delivery, "ram:BilledQuantity", plain(line.quantity), unitCode=line.unit_code)
        settlement = self.sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = self.sub(settlement, "ram:ApplicableTradeTax")
        self.sub(tax, "ram:TypeCode", "VAT")
        self.sub(tax, "ram:CategoryCode", line.vat_category)
        if line.vat_category != NOT_SUBJECT_TO_VAT:
            self.sub(tax, "ram:RateApplicablePercent", plain(line.vat_rate))
        self.period(settlement, line.period_start, line.period_end)
        summation = self.sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        self.sub(summation, "ram:LineTotalAmount", amount(line.net_amount))

    def agreement(self, transaction) -> None:
        document = self.document
        agreement = self.sub(transaction, "ram:ApplicableHeaderTradeAgreement")
        if document.buyer_reference:
            self.sub(agreement, "ram:BuyerReference", document.buyer_reference)
        self.party(agreement, "ram:SellerTradeParty", document.seller, contact=True)
        self.party(agreement, "ram:BuyerTradeParty", document.buyer)

    def party(self, parent, name: str, party: Party, *, contact: bool = False) -> None:
        element = self.sub(parent, name)
        self.sub(element, "ram:Name", party.name)
        if party.legal_name:
            legal = self.sub(element, "ram:SpecifiedLegalOrganization")
            self.sub(legal, "ram:TradingBusinessName", party.legal_name)
        if contact and (party.phone or party.email):
            person = self.sub(element, "ram:DefinedTradeContact")
            self.sub(person, "ram:PersonName", party.name)
            if party.phone:
                self.sub(self.sub(person, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", party.phone)
            if party.email:
                self.sub(self.sub(person, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.email)
        address = self.sub(element, "ram:PostalTradeAddress")
        if party.postcode:
            self.sub(address, "ram:PostcodeCode", party.postcode)
        if party.street:
            self.sub(address, "ram:LineOne", party.street)
        if party.city:
            self.sub(address, "ram:CityName", party.city)
        self.sub(address, "ram:CountryID", party.country)
        if party.email:
            self.sub(self.sub(element, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
        if party.vat_id:
            self.sub(self.sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")

    def settlement(self, transaction) -> None:
        document = self.document
        settlement = self.sub(transaction, "ram:ApplicableHeaderTradeSettlement")
        if document.type_code != "381":
            self.sub(settlement, "ram:PaymentReference", document.number)  # BT-83: quote the number
        if document.tax_currency:
            self.sub(settlement, "ram:TaxCurrencyCode", document.tax_currency)
        self.sub(settlement, "ram:InvoiceCurrencyCode", document.currency)
        if document.payment_means_code:
            means = self.sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
            self.sub(means, "ram:TypeCode", document.payment_means_code)
            if document.iban:
                self.sub(self.sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", document.iban)
            if document.bic:
                institution = self.sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
                self.sub(institution, "ram:BICID", document.bic)
        for breakdown in document.vat_breakdown:
            self.breakdown(settlement, breakdown)
        self.period(settlement, document.period_start, document.period_end)
        if document.payment_terms or document.due_date:
            terms = self.sub(settlement, "ram:SpecifiedTradePaymentTerms")
            if document.payment_terms:
                self.sub(terms, "ram:Description", document.payment_terms)
            if document.due_date:
                self.date_time(terms, "ram:DueDateDateTime", document.due_date)
        summation = self.sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
        self.sub(summation, "ram:LineTotalAmount", amount(document.line_total))
        self.sub(summation, "ram:TaxBasisTotalAmount", amount(document.tax_exclusive_total))
        self.sub(summation, "ram:TaxTotalAmount", amount(document.tax_total), currencyID=document.currency)
        if document.tax_currency and document.tax_total_in_tax_currency is not None:
            self.sub(
                summation,
                "ram:TaxTotalAmount",
                amount(document.tax_total_in_tax_currency),
                currencyID=document.tax_currency,
            )
        self.sub(summation, "ram:GrandTotalAmount", amount(document.grand_total))
        if document.prepaid:
            self.sub(summation, "ram:TotalPrepaidAmount", amount(document.prepaid))
        self.sub(summation, "ram:DuePayableAmount", amount(document.payable))
        if document.preceding_invoice:
            preceding = self.sub(settlement, "ram:InvoiceReferencedDocument")
            self.sub(preceding, "ram:IssuerAssignedID", document.preceding_invoice)

    def breakdown(self, settlement, breakdown: VatBreakdown) -> None:
        tax = self.sub(settlement, "ram:ApplicableTradeTax")
        self.sub(tax, "ram:CalculatedAmount", amount(breakdown.tax))
        self.sub(tax, "ram:TypeCode", "VAT")
        if breakdown.exemption_reason:
            self.sub(tax, "ram:ExemptionReason", breakdown.exemption_reason)
        self.sub(tax, "ram:BasisAmount", amount(breakdown.taxable))
        self.sub(tax, "ram:CategoryCode", breakdown.category)
        if breakdown.exemption_reason_code:
            self.sub(tax, "ram:ExemptionReasonCode", breakdown.exemption_reason_code)
        if breakdown.category != NOT_SUBJECT_TO_VAT:
            self.sub(tax, "ram:RateApplicablePercent", plain(breakdown.rate))


def write_cii(document: Document) -> bytes:
    """The document as CII XML (UTF-8 bytes with its declaration), profile EN 16931."""
    return _Writer(document).write()
