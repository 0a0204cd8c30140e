"""The two kinds of a hospital's price list: its resident tariff (what a resident pays; every bill is audited against
it) and its international price list (what a foreign patient would pay; offers show it beside the resident price).

A tariff file says its kind in an optional `kind` column, the same on every row (no column: resident, or the kind
chosen on the import form or command line; a column disagreeing with that choice is refused). Each kind has its own
latest import (`tariffs.current`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask_babel import gettext as _

from backoffice.billing.models import TARIFF_KINDS
from backoffice.errors import DomainError
from backoffice.languages import N_

RESIDENT, INTERNATIONAL = TARIFF_KINDS
KIND_COLUMN = "kind"
# Marked for the catalogues; translated where shown.
KIND_LABELS = {RESIDENT: N_("Resident tariff"), INTERNATIONAL: N_("International price list")}


class UnknownKind(DomainError):
    """A price list's kind that is neither resident nor international (a page's `kind`, an import's choice)."""

    status_code = 400


def page_kind(text: str | None) -> str:
    """The kind a page or an import asks for: resident when not given, else one of TARIFF_KINDS."""
    kind = (text or "").strip().lower()
    if not kind:
        return RESIDENT
    if kind not in TARIFF_KINDS:
        raise UnknownKind(
            _(
                "%(value)s is not a kind of price list: choose resident or international.",
                value=repr((text or "")[:40]),
            )
        )
    return kind


def read_kind(text: str, problem: Callable[[str], None]) -> str | None:
    """The kind written in a row's `kind` cell (any letter case), or None after telling `problem` what is wrong."""
    kind = text.strip().lower()
    if kind in TARIFF_KINDS:
        return kind
    if not kind:
        problem(_("empty; write resident or international (or leave the kind column out for a resident tariff)."))
    else:
        problem(_("%(value)s is not a kind; write resident or international.", value=repr(text[:40])))
    return None


def check_one_kind(rows: Sequence, add_problem: Callable[[int, str], None]) -> None:
    """Every row of one file is of the same kind: each row that differs from the first row is named."""
    if not rows or rows[0].kind is None:
        return
    first = rows[0]
    for row in rows[1:]:
        if row.kind != first.kind:
            add_problem(
                row.row,
                _(
                    "row %(row)s, kind: %(kind)s, but row %(first)s is %(first_kind)s; every row of one file is of the "
                    "same kind: import the resident and the international prices as two files.",
                    row=row.row,
                    kind=row.kind,
                    first=first.row,
                    first_kind=first.kind,
                ),
            )


def import_kind(file_kind: str | None, chosen: str | None) -> str:
    """The kind an import gets: the file's `kind` column, else the one chosen, else resident. A file whose column
    disagrees with the choice is refused (DomainError with the reason; the caller names the file)."""
    chosen_kind = page_kind(chosen) if chosen else None
    if file_kind and chosen_kind and file_kind != chosen_kind:
        raise UnknownKind(
            _(
                "the file's kind column says %(file_kind)s, but it is imported as %(chosen)s; correct the column or "
                "choose %(file_kind)s.",
                file_kind=file_kind,
                chosen=chosen_kind,
            )
        )
    return file_kind or chosen_kind or RESIDENT
