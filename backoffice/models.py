"""Every table of the app, imported in one place so that Alembic and the app see the same metadata."""

from backoffice.accounting.models import DatevBooking, DatevExport
from backoffice.auth.models import LoginAttempt, User
from backoffice.billing.models import BillFinding, BillLine, HospitalBill, TariffImport, TariffItem
from backoffice.cases.models import Case, CaseDocument, CaseEvent, CaseNote, DocumentRequest, ScreeningAnswer
from backoffice.directory.models import (
    Contraindication,
    Hospital,
    PausedDestination,
    Physician,
    Programme,
    ProgrammePhase,
)
from backoffice.intake.models import IntakeAttempt
from backoffice.invoicing.models import Invoice, InvoiceDeduction, InvoiceLine, InvoicePayment
from backoffice.jobs.models import OutboxEntry
from backoffice.logistics.models import (
    CalendarFeed,
    Flight,
    FollowUp,
    HospitalAppointment,
    HotelStay,
    Interpreter,
    InterpreterBooking,
    Transfer,
)
from backoffice.messages.models import (
    AutomaticMessageSwitch,
    Message,
    MessageAttachment,
    SharingConsent,
    UndeliverableAddress,
)
from backoffice.notifications.models import Notification
from backoffice.numbering import NumberSeries
from backoffice.offers.models import Offer, OfferInstalment, OfferItem
from backoffice.patients.models import Patient
from backoffice.portal.models import PortalInvite
from backoffice.receivables.models import PaymentReminder
from backoffice.rights.models import DataRequest
from backoffice.shipments.models import (
    MedicineOrder,
    OrderItem,
    OrderStep,
    Pharmacy,
    SandboxCall,
)
from backoffice.storage.models import StoredFile
from backoffice.suppliers.models import SupplierFinding, SupplierInvoice, SupplierInvoiceLine
from backoffice.trail import AuditEvent
from backoffice.vat import VatRule

__all__ = [
    "AuditEvent",
    "AutomaticMessageSwitch",
    "BillFinding",
    "BillLine",
    "CalendarFeed",
    "Case",
    "CaseDocument",
    "CaseEvent",
    "CaseNote",
    "Contraindication",
    "DataRequest",
    "DatevBooking",
    "DatevExport",
    "DocumentRequest",
    "Flight",
    "FollowUp",
    "Hospital",
    "HospitalAppointment",
    "HospitalBill",
    "HotelStay",
    "IntakeAttempt",
    "Interpreter",
    "InterpreterBooking",
    "Invoice",
    "InvoiceDeduction",
    "InvoiceLine",
    "InvoicePayment",
    "LoginAttempt",
    "MedicineOrder",
    "Message",
    "MessageAttachment",
    "Notification",
    "NumberSeries",
    "Offer",
    "OfferInstalment",
    "OfferItem",
    "OrderItem",
    "OrderStep",
    "OutboxEntry",
    "Patient",
    "PausedDestination",
    "PaymentReminder",
    "Pharmacy",
    "Physician",
    "PortalInvite",
    "Programme",
    "ProgrammePhase",
    "SandboxCall",
    "ScreeningAnswer",
    "SharingConsent",
    "StoredFile",
    "SupplierFinding",
    "SupplierInvoice",
    "SupplierInvoiceLine",
    "TariffImport",
    "TariffItem",
    "Transfer",
    "UndeliverableAddress",
    "User",
    "VatRule",
]
