"""Countries (ISO 3166-1 alpha-2) and languages (ISO 639-1) with their names in English or another language, from
Babel's CLDR data; IANA time zone names."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale
from flask_babel import gettext as _

# Two-letter codes CLDR names that are no country: unions, private-use and test territories.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "XA", "XB", "QO"})


@lru_cache(maxsize=8)
def countries(language: str = "en") -> dict[str, str]:
    """Code -> name (in English, or in `language`), by name, for real two-letter country codes only (no regions
    such as '150', no 'European Union' or 'Unknown Region')."""
    names = Locale.parse(language).territories
    return dict(
        sorted(
            (
                (code, name)
                for code, name in names.items()
                if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
            ),
            key=lambda item: item[1],
        )
    )


@lru_cache(maxsize=8)
def languages(language: str = "en") -> dict[str, str]:
    """Code -> name of the two-letter languages (in English, or in `language`), by name."""
    names = Locale.parse(language).languages
    return dict(
        sorted(
            ((code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()),
            key=lambda item: item[1],
        )
    )


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """IANA time zone names (Europe/Berlin, Asia/Dubai, ...)."""
    return frozenset(available_timezones())


def country_name(code: str | None, language: str = "en") -> str:
    return countries(language).get((code or "").upper(), code or "")


def language_name(code: str | None, language: str = "en") -> str:
    return languages(language).get((code or "").lower(), code or "")


def check_country(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in countries():
        value = repr(code or _("an empty value"))
        raise ValueError(_("%(value)s is not a two-letter country code (such as DE, GB, AE)", value=value))
    return code


def check_languages(codes: list[str] | str) -> list[str]:
    """Language codes from a list or from text such as 'de, en'; unknown codes are refused by name."""
    if isinstance(codes, str):
        codes = [part for part in codes.replace(";", ",").replace(" ", ",").split(",") if part]
    cleaned: list[str] = []
    for code in codes:
        code = code.strip().lower()
        if code not in languages():
            raise ValueError(
                _("%(value)s is not a two-letter language code (such as de, en, ar, ru)", value=repr(code))
            )
        if code not in cleaned:
            cleaned.append(code)
    return cleaned
