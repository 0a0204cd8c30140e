"""Demo data: accounts, a directory of German hospitals, cases in every state of the pipeline, their trips, bills,
invoices and offers.

`flask demo seed` builds a small, realistic data set to try the app with; `flask demo seed --cases 100000` adds a
large one for benchmarks (bulk INSERTs; case numbers reserved with one statement per year).
"""

import click

from backoffice.billing.models import HospitalBill
from backoffice.demo import billing
from backoffice.demo.billing import seed_tariffs
from backoffice.demo.data import DEMO_CASES, DEMO_PASSWORD, DEMO_USERS
from backoffice.demo.invoices import seed_invoices
from backoffice.demo.notifications import seed_notifications
from backoffice.demo.offers import seed_offers
from backoffice.demo.rights import seed_erasable
from backoffice.demo.seeding import has_cases, refresh_statistics, seed_accounts, seed_cases, seed_directory
from backoffice.demo.trips import seed_interpreters, seed_trips

__all__ = [
    "DEMO_CASES",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "has_cases",
    "refresh_statistics",
    "seed_accounts",
    "seed_bills",
    "seed_cases",
    "seed_directory",
    "seed_interpreters",
    "seed_invoices",
    "seed_notifications",
    "seed_offers",
    "seed_tariffs",
    "seed_trips",
]


def seed_bills(actor_id: int | None) -> HospitalBill | None:
    """The hospital bill to audit, then the invoices (`flask demo seed` calls this last, for the small demo only);
    prints which cases have invoices and which bill and case wait for finance."""
    bill = billing.seed_bills(actor_id)
    invoiced = seed_invoices(actor_id)  # nothing on a database that has invoices: nor a patient to erase then
    for line in (*invoiced, *seed_offers(actor_id), *(seed_erasable(actor_id) if invoiced else [])):
        click.echo(line)
    if bill is not None:
        click.echo(f"To audit: hospital bill {bill.reference} (received, with findings).")
    return bill
