"""Demo data: accounts, a directory of German hospitals, cases in every state of the pipeline and their trips.

`flask demo seed` builds a small, realistic data set to try the app with; `flask demo seed --cases 100000` adds a
large one for benchmarks (bulk INSERTs; case numbers reserved with one statement per year).
"""

from backoffice.demo.billing import seed_bills, seed_tariffs
from backoffice.demo.data import DEMO_CASES, DEMO_PASSWORD, DEMO_USERS
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
    "seed_tariffs",
    "seed_trips",
]
