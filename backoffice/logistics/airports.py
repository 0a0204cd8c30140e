"""Airports by IATA code, with their city, country and time zone (data of the `airportsdata` package)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _

from backoffice.errors import DomainError


class UnknownAirport(DomainError):
    pass


@dataclass(frozen=True)
class Airport:
    code: str
    name: str
    city: str
    country: str
    timezone: str

    @property
    def label(self) -> str:
        return f"{self.city} ({self.code})" if self.city else self.code


@lru_cache(maxsize=1)
def _airports() -> dict:
    import airportsdata

    return airportsdata.load("IATA")


def airport(code: str) -> Airport:
    """The airport with this IATA code; an unknown code is refused with a message."""
    code = (code or "").strip().upper()
    data = _airports().get(code) if len(code) == 3 and code.isalpha() else None
    if data is None or not data.get("tz"):
        typed = code or _("An empty code")
        raise UnknownAirport(
            _("%(code)r is not a known airport (use the three-letter IATA code, e.g. FRA)", code=typed)
        )
    return Airport(code=code, name=data["name"], city=data["city"], country=data["country"], timezone=data["tz"])
