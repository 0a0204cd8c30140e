"""Who should get what from every route: the expected answer per endpoint, method and visitor.

This table is the product's access policy written down, decided from what each kind of user should be able to do,
not read off the decorators. `tests/auth/test_access.py` requests every route of `app.url_map` as each visitor with
the records of *another* patient (patient B) in the URL and compares. A route missing here fails that test: a new
page stays refused until someone decides who may use it and writes it down here.

Visitors, in column order: anonymous, patient (patient A, signed in to the portal), coordinator, finance, admin.

Outcomes:
    LOGIN   302 to /login: sign in first (every non-public page, for the anonymous)
    DENY    403: the role may not use the page at all (decided before any record is looked up, so it says nothing
            about whether the record exists)
    HIDDEN  404, the same as for a record that does not exist (a patient asking for another patient's record)
    OUT     302 to /login after signing the visitor out (logging out)
    OK      the role may use the page: any answer below 500 except 403/404 (a form refused for missing fields
            is fine; the record exists, so a 404 would be a broken lookup)

The rules behind the decisions:
    - Patients see only the portal, and in it only their own issued documents, the trip of their own cases, the
      case documents shared with them and the requests made of them.
    - Finance reads cases, bookings and orders for their costs, but not health data (the pages hide it; the test
      checks finance's pages carry none of the world's health-data text), and changes nothing medical or logistic.
    - Coordinators work the cases, bookings, interpreters, follow-ups, medicine orders and the directory; they may
      read bills, tariffs and invoices of their cases (they answer patients' questions) but change no money record.
    - Administrators can do everything staff can, plus users, the audit log, jobs, pharmacies and paused
      destinations; a coordinator-only shortcut ("take this case") is the coordinator's.
    - A patient's portal account: the case's own coordinator or an administrator invites the patient (another
      coordinator gets 403 from the rule, not from this table: the world's cases are this coordinator's); no staff
      member ever sets the password of an account in use: an administrator makes a one-time reset link instead.
    - A case is reassigned by its own coordinator or an administrator (a queued case by any coordinator).
"""

from __future__ import annotations

LOGIN = "login"
DENY = "deny"
HIDDEN = "hidden"
OK = "ok"
OUT = "out"

VISITORS = ("anonymous", "patient", "coordinator", "finance", "admin")

# Shorthands for the usual rows; spelled out where a row is unusual.
PUBLIC = (OK, OK, OK, OK, OK)
STAFF = (LOGIN, DENY, OK, OK, OK)  # every staff role
CASEWORK = (LOGIN, DENY, OK, DENY, OK)  # coordinators and administrators
MONEY = (LOGIN, DENY, DENY, OK, OK)  # finance and administrators
MONEY_READ = (LOGIN, DENY, OK, OK, OK)  # money records coordinators may read
ADMIN = (LOGIN, DENY, DENY, DENY, OK)
PORTAL = (LOGIN, OK, DENY, DENY, DENY)
PORTAL_OTHERS = (LOGIN, HIDDEN, DENY, DENY, DENY)  # a portal page given another patient's record
SIGNED_IN = (LOGIN, OK, OK, OK, OK)
DEV_ONLY_ADMIN = (LOGIN, DENY, DENY, DENY, HIDDEN)  # administrators' pages that exist only in development

# fmt: off
EXPECTED: dict[str, dict[str, tuple[str, str, str, str, str]]] = {
    #                                           anonymous patient coordinator finance admin
    # ---- signing in and out, public pages
    "auth.login":                          {"GET": PUBLIC, "POST": PUBLIC},
    "auth.logout":                         {"POST": (LOGIN, OUT, OUT, OUT, OUT)},
    "auth.home":                           {"GET": SIGNED_IN},
    "health.healthz":                      {"GET": PUBLIC},
    "intake.request_treatment":            {"GET": PUBLIC, "POST": PUBLIC},
    "intake.thanks":                       {"GET": PUBLIC},
    "logistics.calendar_feed_ics":         {"GET": PUBLIC},  # the secret token is the key
    "portal_invites.accept_invite":        {"GET": PUBLIC, "POST": PUBLIC},  # the secret token is the key

    # ---- the portal: a patient's own pages; another patient's invoice is not found
    "portal.index":                        {"GET": PORTAL},
    "portal.list_invoices":                {"GET": PORTAL},
    "portal.download_invoice":             {"GET": PORTAL_OTHERS},

    # ---- dashboard, cases
    "dashboard.index":                     {"GET": STAFF},
    "cases.list_cases":                    {"GET": STAFF},
    "cases.show_case":                     {"GET": STAFF},  # finance: without health data
    "cases.create_case":                   {"GET": CASEWORK, "POST": CASEWORK},
    "cases.transition_case":               {"POST": CASEWORK},
    "cases.take_case":                     {"POST": (LOGIN, DENY, OK, DENY, DENY)},
    "cases.assign_case":                   {"POST": CASEWORK},
    "cases.set_programme":                 {"POST": CASEWORK},
    "cases.answer_screening":              {"POST": CASEWORK},
    "cases.resolve_contraindication":      {"POST": CASEWORK},
    "cases.add_note":                      {"POST": CASEWORK},
    "cases.upload_document":               {"POST": CASEWORK},
    "cases.download_document":             {"GET": CASEWORK},  # medical records: health data

    # ---- logistics: bookings, itinerary, interpreters, follow-ups, calendar feed
    "logistics.list_bookings":             {"GET": STAFF},  # finance: the logistics costs
    "logistics.create_booking":            {"GET": CASEWORK, "POST": CASEWORK},
    "logistics.edit_booking":              {"GET": CASEWORK, "POST": CASEWORK},
    "logistics.confirm_booking":           {"POST": CASEWORK},
    "logistics.cancel_booking":            {"POST": CASEWORK},
    "logistics.show_itinerary":            {"GET": STAFF},
    "logistics.itinerary_pdf":             {"GET": CASEWORK},  # handed to the patient by the coordinator
    "logistics.itinerary_ics":             {"GET": CASEWORK},
    "logistics.list_interpreters":         {"GET": STAFF},
    "logistics.show_interpreter":          {"GET": STAFF},
    "logistics.create_interpreter":        {"GET": CASEWORK, "POST": CASEWORK},
    "logistics.edit_interpreter":          {"GET": CASEWORK, "POST": CASEWORK},
    "logistics.deactivate_interpreter":    {"POST": CASEWORK},
    "logistics.reactivate_interpreter":    {"POST": CASEWORK},
    "logistics.case_interpreter_bookings": {"GET": STAFF},  # finance: interpreter costs
    "logistics.book_interpreter":          {"GET": CASEWORK, "POST": CASEWORK},
    "logistics.edit_interpreter_booking":  {"GET": CASEWORK, "POST": CASEWORK},
    "logistics.confirm_interpreter_booking": {"POST": CASEWORK},
    "logistics.cancel_interpreter_booking": {"POST": CASEWORK},
    "logistics.due_follow_ups":            {"GET": CASEWORK},  # follow-ups are health data
    "logistics.show_follow_up":            {"GET": CASEWORK},
    "logistics.mark_follow_up_done":       {"POST": CASEWORK},
    "logistics.reschedule_follow_up":      {"POST": CASEWORK},
    "logistics.cancel_follow_up":          {"POST": CASEWORK},
    "logistics.calendar_feed":             {"GET": CASEWORK},
    "logistics.create_calendar_feed":      {"POST": CASEWORK},
    "logistics.revoke_calendar_feed":      {"POST": CASEWORK},

    # ---- hospital bills and tariffs
    "billing.list_bills":                  {"GET": MONEY},
    "billing.show_bill":                   {"GET": MONEY_READ},
    "billing.receive_bill":                {"GET": MONEY, "POST": MONEY},
    "billing.add_bill_line":               {"POST": MONEY},
    "billing.start_bill_review":           {"POST": MONEY},
    "billing.decide_bill_line":            {"POST": MONEY},
    "billing.receive_correction":          {"POST": MONEY},
    "billing.approve_bill":                {"POST": MONEY},
    "billing.dispute_bill":                {"POST": MONEY},
    "billing.mark_bill_paid":              {"POST": MONEY},
    "billing.dispute_letter_pdf":          {"GET": MONEY},
    "billing.list_tariffs":                {"GET": MONEY_READ},  # coordinators quote from resident prices
    "billing.show_tariff":                 {"GET": MONEY_READ},
    "billing.import_tariff":               {"POST": MONEY},
    "billing.savings_report":              {"GET": MONEY},
    "billing.savings_csv":                 {"GET": MONEY},

    # ---- invoices to patients
    "invoicing.list_invoices":             {"GET": MONEY},
    "invoicing.case_invoices":             {"GET": MONEY_READ},
    "invoicing.show_invoice":              {"GET": MONEY_READ},
    "invoicing.download_invoice_pdf":      {"GET": MONEY_READ},
    "invoicing.create_deposit_invoice":    {"POST": MONEY},
    "invoicing.create_final_invoice":      {"POST": MONEY},
    "invoicing.set_invoicing_currency":    {"POST": MONEY},
    "invoicing.edit_invoice":              {"POST": MONEY},
    "invoicing.add_invoice_line":          {"POST": MONEY},
    "invoicing.remove_invoice_line":       {"POST": MONEY},
    "invoicing.issue_invoice":             {"POST": MONEY},
    "invoicing.delete_invoice":            {"POST": MONEY},
    "invoicing.new_credit_note":           {"GET": MONEY, "POST": MONEY},
    "invoicing.record_payment":            {"POST": MONEY},
    "invoicing.record_refund":             {"POST": MONEY},

    # ---- medicine orders and pharmacies
    "shipments.create_order":              {"GET": CASEWORK, "POST": CASEWORK},
    "shipments.show_order":                {"GET": STAFF},  # finance: the cost, not which medicines
    "shipments.order_progress":            {"GET": STAFF},
    "shipments.edit_order":                {"GET": CASEWORK, "POST": CASEWORK},
    "shipments.submit_order":              {"POST": CASEWORK},
    "shipments.cancel_order":              {"POST": CASEWORK},
    "shipments.list_pharmacies":           {"GET": CASEWORK},
    "shipments.create_pharmacy":           {"GET": ADMIN, "POST": ADMIN},
    "shipments.edit_pharmacy":             {"GET": ADMIN, "POST": ADMIN},

    # ---- the directory of hospitals, physicians, programmes
    "directory.list_hospitals":            {"GET": STAFF},
    "directory.show_hospital":             {"GET": STAFF},
    "directory.show_programme":            {"GET": STAFF},
    "directory.create_hospital":           {"GET": CASEWORK, "POST": CASEWORK},
    "directory.edit_hospital":             {"GET": CASEWORK, "POST": CASEWORK},
    "directory.deactivate_hospital":       {"POST": CASEWORK},
    "directory.reactivate_hospital":       {"POST": CASEWORK},
    "directory.create_physician":          {"GET": CASEWORK, "POST": CASEWORK},
    "directory.edit_physician":            {"GET": CASEWORK, "POST": CASEWORK},
    "directory.create_programme":          {"GET": CASEWORK, "POST": CASEWORK},
    "directory.edit_programme":            {"GET": CASEWORK, "POST": CASEWORK},
    "directory.paused_destinations":       {"GET": CASEWORK},
    "directory.pause_destination":         {"POST": ADMIN},
    "directory.resume_destination":        {"POST": ADMIN},

    # ---- administration
    "users.list_users":                    {"GET": ADMIN},
    "users.show_user":                     {"GET": ADMIN},
    "users.create_user":                   {"GET": ADMIN, "POST": ADMIN},
    "users.change_role":                   {"POST": ADMIN},
    "users.deactivate_user":               {"POST": ADMIN},
    "users.reactivate_user":               {"POST": ADMIN},
    "audit.list_events":                   {"GET": ADMIN},
    "jobs.overview":                       {"GET": ADMIN},
    "jobs.requeue_failed_job":             {"POST": ADMIN},
    "jobs.requeue_outbox_entry":           {"POST": ADMIN},

    # ---- issue 14: invoicing (a case's credit from overpayments)
    "invoicing.apply_case_credit":         {"POST": MONEY},
    "invoicing.refund_case_credit":        {"POST": MONEY},
    # ---- issue 14: audit of health-data reads, portal invitations and resets
    "audit.case_access_history":           {"GET": ADMIN},  # who read a case, who was refused
    # inviting a patient: the case's own coordinator (the world's cases are Carl's) or an admin; never finance
    "portal_invites.invite_patient":       {"POST": CASEWORK},
    # a new password for an account in use: never set by staff; an admin hands the patient a one-time link
    "portal_invites.create_reset_link":    {"POST": ADMIN},
    # ---- issue 14: auth (every account changes its own password)
    "auth.change_password":                {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.change_page_language":           {"POST": STAFF},
    # ---- issue 14: case page, documents and contraindications
    "cases.preview_document":              {"GET": CASEWORK},  # medical records: health data
    "cases.inline_document":               {"GET": CASEWORK},
    "cases.change_document_type":          {"POST": CASEWORK},
    "cases.remove_document":               {"POST": CASEWORK},
    # ---- issue 14: reminders, follow-ups, itinerary
    "cases.add_reminder":                  {"POST": CASEWORK},
    "cases.complete_reminder":             {"POST": CASEWORK},
    "logistics.add_follow_up":             {"POST": CASEWORK},
    "logistics.itinerary_pdf_anyway":      {"POST": CASEWORK},
    # ---- issue 16: development mail (what `make run`'s catcher caught): administrators, and only in development,
    # so the suite's admin (the test profile) gets 404; tests/devmail proves the pages in development.
    "devmail.list_mail":                   {"GET": DEV_ONLY_ADMIN},
    "devmail.show_mail":                   {"GET": DEV_ONLY_ADMIN},
    "devmail.mail_html":                   {"GET": DEV_ONLY_ADMIN},
    "devmail.mail_attachment":             {"GET": DEV_ONLY_ADMIN},
    # ---- issue 16: the notification centre (telling staff). Every staff member has their own; the world's
    # notification is the administrator's, so the others find it as one that does not exist.
    "notifications.list_notifications":    {"GET": STAFF},
    "notifications.open_notification":     {"GET": (LOGIN, DENY, HIDDEN, HIDDEN, OK)},
    "notifications.mark_notification_read": {"POST": (LOGIN, DENY, HIDDEN, HIDDEN, OK)},
    "notifications.mark_all_notifications_read": {"POST": STAFF},
    "notifications.change_digest":         {"POST": STAFF},  # one's own choice, on the account page
    "devmail.reply_to_mail":               {"POST": DEV_ONLY_ADMIN},  # issue 16, inbound mail: reply as the recipient
    # ---- issue 16: inbound mail. The unmatched list holds mail from patients, hospitals and physicians (health
    # data): those who read health data, coordinators and administrators; never finance or patients.
    "messages.list_unmatched_mail":        {"GET": CASEWORK},
    "messages.show_unmatched_mail":        {"GET": CASEWORK},
    "messages.unmatched_mail_html":        {"GET": CASEWORK},
    "messages.unmatched_mail_file":        {"GET": CASEWORK},
    "messages.assign_unmatched_mail":      {"POST": CASEWORK},  # refused without a case number: still the same mail
    "messages.discard_unmatched_mail":     {"POST": CASEWORK},  # refused without a reason: still on the list
    # ---- issue 16: writing from the case, its thread, asking the physician in advance. The thread is health data
    # (read by coordinators and administrators, each read recorded); writing is care coordination; finance never.
    "messages.show_message":               {"GET": CASEWORK},
    "messages.message_html":               {"GET": CASEWORK},
    "messages.download_message_file":      {"GET": CASEWORK},
    "messages.compose_message":            {"GET": CASEWORK, "POST": CASEWORK},
    "messages.ask_physician":              {"GET": CASEWORK, "POST": CASEWORK},
    "messages.record_sharing_consent":     {"POST": CASEWORK},
    # ---- issue 16 (automatic messages): administrators switch each kind on or off; a patient asks for a new
    # portal password by email (public: the same answer whether or not the address is known); a coordinator sends
    # the itinerary to the patient
    "messages.list_automatic_kinds":       {"GET": ADMIN},
    "messages.switch_automatic_kind":      {"POST": ADMIN},
    "portal_invites.forgot_password":      {"GET": PUBLIC, "POST": PUBLIC},
    "logistics.send_itinerary":            {"POST": CASEWORK},
    # ---- issue 16 rest: a discarded mail put back on the unmatched list (those who read health data; the world's
    # mail is on the list, so the answer is a refusal, not a 404); all of a case's messages, page by page
    "messages.restore_unmatched_mail":     {"POST": CASEWORK},
    "messages.list_case_messages":         {"GET": CASEWORK},
    # ---- issue 17 trip+documents: a patient's trip and documents, of their own cases only (another patient's case,
    # a document of another case or not shared, another case's request: the portal's one 404); coordinators and
    # administrators share a case's documents with the patient and ask the patient for documents
    "portal.show_trip":                    {"GET": PORTAL},
    "portal.show_case_trip":               {"GET": PORTAL_OTHERS},
    "portal.download_itinerary":           {"GET": PORTAL},
    "portal.download_case_itinerary":      {"GET": PORTAL_OTHERS},
    "portal.list_documents":               {"GET": PORTAL},
    "portal.list_case_documents":          {"GET": PORTAL_OTHERS},
    "portal.download_document":            {"GET": PORTAL_OTHERS},
    "portal.send_document":                {"POST": PORTAL_OTHERS},
    "portal.send_requested_document":      {"POST": PORTAL_OTHERS},
    "cases.share_document":                {"POST": CASEWORK},
    "cases.stop_sharing_document":         {"POST": CASEWORK},
    "cases.ask_for_document":              {"POST": CASEWORK},
    "cases.withdraw_document_request":     {"POST": CASEWORK},
    # ---- issue 17 messages+account: the patient's secure thread with the coordinator (their own cases only: another
    # patient's case is the one 404), the coordinator's answer in the portal from the case page (care coordination,
    # a health-data read), the patient's account page (language, password)
    "portal.messages":                     {"GET": PORTAL},
    "portal.case_messages":                {"GET": PORTAL_OTHERS, "POST": PORTAL_OTHERS},
    "messages.answer_in_portal":           {"POST": CASEWORK},
    "portal.show_account":                 {"GET": PORTAL},
    "portal.change_language":              {"POST": PORTAL},
    "portal.change_password":              {"POST": PORTAL},
    # ---- issue 17 cases: the coordinator (or an administrator) changes the language of the patient's mails and
    # documents on the case page (care coordination; finance never)
    "cases.change_patient_language":       {"POST": CASEWORK},
    # ---- issue 17 invoicing+users+dashboard in German: an administrator sets a staff member's page language
    "users.change_language":               {"POST": ADMIN},
    # ---- issue 18 billing+invoicing: finance enters on a final draft why it differs from the accepted offer
    "invoicing.explain_offer_difference":  {"POST": MONEY},
    # ---- issue 18, offers staff pages: coordinators and administrators build, send and record the patient's answer
    # received otherwise; finance reads the offer and its archived PDF (costs, no health data); patients never (they
    # have the portal)
    "offers.start_offer":                  {"POST": CASEWORK},
    "offers.show_offer":                   {"GET": STAFF},
    "offers.download_offer_pdf":           {"GET": STAFF},  # the world's offer is a draft: refused with a 422
    "offers.change_offer_terms":           {"POST": CASEWORK},
    "offers.save_offer_item":              {"POST": CASEWORK},
    "offers.remove_offer_item":            {"POST": CASEWORK},
    "offers.add_booked_services":          {"POST": CASEWORK},
    "offers.set_offer_schedule":           {"POST": CASEWORK},
    "offers.send_offer":                   {"POST": CASEWORK},
    "offers.record_offer_acceptance":      {"POST": CASEWORK},
    "offers.decline_offer":                {"POST": CASEWORK},
    # ---- offers portal (issue 18): a patient's treatment offers, of their own cases only and never a draft (another
    # patient's offer: the portal's one 404); the archived PDF; accepting and declining
    "portal.list_offers":                  {"GET": PORTAL},
    "portal.show_offer":                   {"GET": PORTAL_OTHERS},
    "portal.download_offer":               {"GET": PORTAL_OTHERS},
    "portal.accept_offer":                 {"POST": PORTAL_OTHERS},
    "portal.decline_offer":                {"POST": PORTAL_OTHERS},
    # ---- issue 19 suppliers: finance and administrators receive and decide a supplier's e-invoice; coordinators
    # read it and its original with the case's bookings
    "suppliers.receive":                   {"GET": MONEY, "POST": MONEY},
    "suppliers.show":                      {"GET": MONEY_READ},
    "suppliers.original":                  {"GET": MONEY_READ},
    "suppliers.decide":                    {"POST": MONEY},
    # ---- issue 19 e-invoices in: a hospital bill's original file (CSV, e-invoice XML or ZUGFeRD PDF), archived
    # unchanged, for the staff who may see the bill
    "billing.download_bill_original":      {"GET": MONEY_READ},
    # ---- issue 19 receivables: finance's reports over every patient's invoices (the ageing report and its buckets,
    # the payments journal, revenue by VAT category, each with its CSV; the invoice list's CSV) and payment reminders
    # (sending one, its archived PDF): finance and administrators, as the invoice list
    "invoicing.export_invoices":           {"GET": MONEY},
    "receivables.ageing":                  {"GET": MONEY},
    "receivables.ageing_bucket":           {"GET": MONEY},
    "receivables.ageing_csv":              {"GET": MONEY},
    "receivables.payments":                {"GET": MONEY},
    "receivables.payments_csv":            {"GET": MONEY},
    "receivables.revenue":                 {"GET": MONEY},
    "receivables.revenue_csv":             {"GET": MONEY},
    "receivables.send_payment_reminder":   {"POST": MONEY},
    "receivables.download_reminder":       {"GET": MONEY},
    # ---- issue 19 accounting: finance (and administrators) export a period for the tax adviser as a DATEV booking
    # batch, read past exports and download their archived file (audit-logged), and keep the VAT table
    "accounting.list_datev_exports":       {"GET": MONEY},
    "accounting.export_datev":             {"POST": MONEY},
    "accounting.show_datev_export":        {"GET": MONEY},
    "accounting.download_datev_export":    {"GET": MONEY},
    "accounting.list_vat_rules":           {"GET": MONEY},
    "accounting.change_vat_rule":          {"POST": MONEY},
    # ---- issue 19 e-invoices out: staff who read invoices download an issued invoice's XRechnung (the world's
    # invoice is a draft, or has no buyer reference: refused with a 409)
    "invoicing.download_xrechnung":        {"GET": MONEY_READ},
    # ---- issue 20 data rights: administrators find a patient, ask for a copy of their data, confirm a colleague's
    # request (the second person), withdraw one, download the prepared copy once
    "rights.list_requests":                {"GET": ADMIN},
    "rights.patient_data":                 {"GET": ADMIN},
    "rights.request_export":               {"POST": ADMIN},
    "rights.confirm_request":              {"POST": ADMIN},
    "rights.withdraw_request":             {"POST": ADMIN},
    "rights.download_export":              {"POST": ADMIN},
    "rights.request_erasure":              {"POST": ADMIN},
    "rights.resume_erasure":               {"POST": ADMIN},
    "rights.erasure_certificate":          {"GET": ADMIN},
    "rights.erasure_certificate_pdf":      {"GET": ADMIN},
    # issue 20: legal retention (read only): finance and administrators
    "retention.show_report":               {"GET": MONEY},
    "retention.list_restricted_records":   {"GET": MONEY},
    # the patient asks for a copy of their own data on their account page
    "portal.request_data_copy":            {"POST": PORTAL},
}
# fmt: on
