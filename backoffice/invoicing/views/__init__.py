"""Invoice pages: finance and administrators draft, issue, correct and collect invoices; coordinators read them and
download their PDFs; patients never reach these pages (they have the portal).

One module per page or kind of change: `lists` (the finance list), `case_invoices` (a case's invoices and the forms
that make drafts), `invoice_page` (an invoice, editing and issuing its draft), `payments` (money in and out, the case's
credit), `credit_notes`, `documents` (the archived PDF); `pages` holds what they share. Every change is one operation
through `commit_change`: refused, it is rolled back and the page shown again with the reason and the error's status.
"""
