"""The reply address of a case: `<local>+c<case id>-<token>@<domain of MAIL_FROM>`, on every message of the case.

A reply whose headers lost the thread (a mail program that drops In-Reply-To and References, a patient who writes a
new mail to the address they replied to before) still finds its case by the address it was sent to. The token is an
HMAC of the case id with SECRET_KEY, so nobody can make up the address of another case; the id is in the address so
that reading it back is one check, not a search.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import formataddr, parseaddr

from backoffice.config import settings

TOKEN_LENGTH = 16  # hex characters of the HMAC: 64 bits, beyond guessing
_TAG = re.compile(rf"\Ac([0-9]{{1,12}})-([0-9a-f]{{{TOKEN_LENGTH}}})\Z")


def _token(case_id: int) -> str:
    key = settings().secret_key.encode()
    return hmac.new(key, f"case-reply:{case_id}".encode(), hashlib.sha256).hexdigest()[:TOKEN_LENGTH]


def reply_address(case_id: int) -> str:
    """The Reply-To header of the case's messages: the sender's name, the case's own address."""
    name, address = parseaddr(settings().mail_from)
    local, _, domain = address.rpartition("@")
    return formataddr((name, f"{local}+c{case_id}-{_token(case_id)}@{domain}"))


def case_of_address(address: str) -> int | None:
    """The case whose reply address `address` is (any case of letters), or None: not ours, or a forged token."""
    local, _, domain = (address or "").strip().lower().rpartition("@")
    own_local, _, own_domain = parseaddr(settings().mail_from)[1].lower().rpartition("@")
    base, plus, tag = local.partition("+")
    if domain != own_domain or base != own_local or not plus:
        return None
    found = _TAG.match(tag)
    if found is None:
        return None
    case_id = int(found.group(1))
    return case_id if hmac.compare_digest(found.group(2), _token(case_id)) else None


def is_own_address(address: str) -> bool:
    """Whether `address` is in the operator's domain (MAIL_FROM's): where replies to us are addressed."""
    domain = parseaddr(settings().mail_from)[1].lower().rpartition("@")[2]
    return bool(domain) and (address or "").strip().lower().endswith("@" + domain)
