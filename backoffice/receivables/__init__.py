"""Receivables: what patients and payers owe and since when, what was paid, payment reminders, revenue by VAT
category (finance's reports, each with its CSV)."""
