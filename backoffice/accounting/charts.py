"""The accounts of the accountant's export: DATEV's standard charts SKR03 and SKR04 (`DATEV_CHART`).

Revenue goes to the account of the line's VAT category. The standard- and reduced-rate accounts are DATEV's
automatic accounts (8400/4400 at 19 %, 8300/4300 at 7 %): DATEV books the VAT itself, so no BU key is written. The
untaxed categories go to accounts without VAT. These defaults are for the operator's tax adviser to confirm (README,
"The accountant's export"); a different mapping is a change of this table, not of the export.

Patients are debtors (personal accounts 10000 and up, `patients.debtor_account`): with four-digit general ledger
accounts DATEV reads five-digit numbers from 10000 to 69999 as debtors.
"""

from __future__ import annotations

from dataclasses import dataclass

from backoffice.config import settings

ACCOUNT_LENGTH = 4  # the general ledger accounts' digits (Sachkontenlänge) of both charts
FIRST_DEBTOR_ACCOUNT = 10000
LAST_DEBTOR_ACCOUNT = 69999


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # SKR03 / SKR04
    revenue: dict[str, int]  # VAT category -> revenue account
    bank: int
    cash: int

    @property
    def code(self) -> str:
        """The chart as the batch header names it: "03" or "04"."""
        return self.name[-2:]


CHARTS = {
    "SKR03": Chart(
        name="SKR03",
        revenue={
            "standard": 8400,  # Erlöse 19 % USt (automatic account)
            "reduced": 8300,  # Erlöse 7 % USt (automatic account)
            "exempt": 8100,  # Steuerfreie Umsätze § 4 Nr. 8 ff. UStG (medical treatment, § 4 Nr. 14)
            "zero": 8120,  # Steuerfreie Umsätze (cross-border passenger transport)
            "outside_scope": 8339,  # Erlöse aus im Drittland steuerbaren Leistungen, im Inland nicht steuerbar
            "margin_scheme": 8200,  # Erlöse (travel services under § 25 UStG; the adviser splits the margin)
        },
        bank=1200,
        cash=1000,
    ),
    "SKR04": Chart(
        name="SKR04",
        revenue={
            "standard": 4400,
            "reduced": 4300,
            "exempt": 4100,
            "zero": 4120,
            "outside_scope": 4339,
            "margin_scheme": 4200,
        },
        bank=1800,
        cash=1600,
    ),
}


def current_chart() -> Chart:
    return CHARTS[settings().datev_chart]


def money_account(chart: Chart, method: str) -> int:
    """Where a payment arrived or left from: the cash account for cash, the bank for transfers, cards and the rest."""
    return chart.cash if method == "cash" else chart.bank
