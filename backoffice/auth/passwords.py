"""What a new password must be: long, not a common one, not a sequence, not built from the person's own details.

One check for every place a password is chosen (an administrator opening an account, a person changing their own,
a patient accepting a portal invitation), so the rule and its messages are the same everywhere (in the page's
language: patients choose passwords too). Pure functions; the only data is `common_passwords.txt`, the 10,000 most
common passwords (see its header for where it comes from).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from pathlib import Path

from flask_babel import gettext as _

from backoffice.errors import DomainError
from backoffice.languages import N_

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# Rows of characters people walk along: alphabet, digits, keyboard rows (either direction counts).
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "1": "i", "!": "i", "$": "s", "5": "s", "7": "t"})
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NOT_LETTERS_OR_DIGITS = re.compile(r"[\W_]+")
# Words every account here has in common: a password made of them is the first thing an attacker tries.
PRODUCT_WORDS = ("backoffice", "back office", "medtravel", "password", "passwort")
# What the rule is, said next to every new-password field (with count=MIN_PASSWORD_LENGTH).
RULE = N_(
    "At least %(count)s characters, not a common password, not a sequence, and not made of your name or email "
    "address. A few unrelated words are strong and easy to remember."
)


class WeakPassword(DomainError):
    status_code = 422


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def context_words(*, name: str = "", email: str = "", operator_name: str = "") -> list[str]:
    """The person's name parts, their email's local part and domain labels, the operator's name, the product's
    name: each lowercased, at least 3 characters long."""
    words = set(PRODUCT_WORDS)
    local, _at, domain = (email or "").lower().partition("@")
    words.add(local)
    words.update(_NOT_LETTERS_OR_DIGITS.split(local))
    words.update(domain.split(".")[:-1])
    words.update(_NOT_LETTERS_OR_DIGITS.split((name or "").lower()))
    words.update(_NOT_LETTERS_OR_DIGITS.split((operator_name or "").lower()))
    return sorted((word for word in words if len(word) >= 3), key=len, reverse=True)


def check_new_password(password: str, *, name: str = "", email: str = "", operator_name: str = "") -> None:
    """Raise WeakPassword, with a message saying what to do, unless `password` may be chosen by this person.

    Refused: fewer than 12 or more than 256 characters; a repetition or a walk along the alphabet, the digits or a
    keyboard row (`aaaaaaaaaaaa`, `abcabcabcabc`, `123456789012`, `qwertyuiop12`); one of the 10,000 most common
    passwords, also with digits or symbols around it or letters written as digits (`password1234`, `P@ssw0rd2024!`);
    one built from the person's name, email address, the operator's or the product's name with little else
    (`AliceAdmin2024`, `backoffice2026`).
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(_("The password needs at least %(count)s characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(_("The password can have at most %(count)s characters.", count=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    if _is_pattern(lowered):
        raise WeakPassword(
            _(
                "This password is a repetition or a sequence (like aaaa, abcabc, 1234 or qwerty) and is guessed at "
                "once. A few unrelated words are stronger and easy to remember."
            )
        )
    if _is_common(lowered):
        raise WeakPassword(
            _(
                "This password is one of the most common passwords (or one with digits or symbols added), which "
                "attackers try first. Choose another; a few unrelated words are strong and easy to remember."
            )
        )
    rest, found = lowered, False
    for word in context_words(name=name, email=email, operator_name=operator_name):
        if word in rest:
            rest, found = rest.replace(word, " "), True
    if found:
        remainder = _NOT_LETTERS_OR_DIGITS.sub("", rest)
        if len(remainder) < 8 or _is_pattern(remainder) or _is_common(remainder):
            raise WeakPassword(
                _(
                    "This password is built from your name, your email address or the operator's name, which "
                    "anyone who knows you can guess. Choose one without them."
                )
            )


def _is_pattern(text: str) -> bool:
    """Few different characters, one chunk repeated, or mostly steps along a row of characters."""
    if len(set(text)) < 5:
        return True
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text == text[:size] * (len(text) // size):
            return True
    breaks = sum(1 for a, b in pairwise(text) if not _next_to(a, b))
    return breaks <= len(text) // 4


def _next_to(a: str, b: str) -> bool:
    if a == b:
        return True
    pair, back = a + b, b + a
    return any(pair in run or back in run for run in _RUNS)


def _is_common(text: str) -> bool:
    common = common_passwords()
    squeezed = text.replace(" ", "")
    candidates = {text, squeezed, squeezed.translate(_LEET)}
    for candidate in list(candidates):
        core = _EDGES.sub("", candidate)
        candidates.update({core, core.translate(_LEET)})
    return any(candidate in common for candidate in candidates if candidate) or any(
        len(candidate) >= 4 and _is_doubled_common(candidate, common) for candidate in candidates
    )


def _is_doubled_common(text: str, common: frozenset[str]) -> bool:
    """`monkeymonkey`, `dragondragon1`: a common password twice is as weak as once."""
    half, odd = divmod(len(text), 2)
    return not odd and text[:half] == text[half:] and text[:half] in common
