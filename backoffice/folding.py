"""Search keys: text folded so that case, accents, letter variants and punctuation do not matter, in every script.

`fold("Łukasz Al-Mansouri, +49 (69) 123-45")` is `"lukaszalmansouri496912345"`: Unicode compatibility
decomposition (NFKD) and case folding, non-spacing marks dropped (é, ñ, the Arabic short vowels, the Japanese voicing
marks), letters that carry their stroke in the letter itself spelled plainly (ł, ø, đ, ß, æ, ...), every decimal
digit written as 0-9, and only letters, digits and spacing vowel signs kept. Stored keys and the words searched for go
through the same function, so a match never depends on how the text was typed.
"""

from __future__ import annotations

import unicodedata

# Letters NFKD does not decompose: their stroke or ligature is part of the letter.
_PLAIN = str.maketrans(
    {
        "ł": "l",
        "ŀ": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i (Turkish)
        "ŧ": "t",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ĸ": "k",
        "ŋ": "n",
    }
)
# A query's words: more would not narrow a search usefully and each costs a LIKE.
MAX_TERMS = 8


def fold(text: str | None) -> str:
    """`text` as a search key: lower case, without accents, punctuation or spaces (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text or "").casefold())
    kept = []
    for char in decomposed.translate(_PLAIN):
        category = unicodedata.category(char)
        if category == "Nd":
            kept.append(str(unicodedata.decimal(char)))
        elif category[0] in "LN" or category == "Mc":
            kept.append(char)
    return "".join(kept)


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search (each must occur in a key); punctuation-only words are dropped."""
    terms = [term for term in (fold(word) for word in (query or "").split()) if term]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def join_keys(*parts: str | None) -> str:
    """One key of several fields, space-separated so that a searched word never spans two fields."""
    return " ".join(key for key in (fold(part) for part in parts) if key)
