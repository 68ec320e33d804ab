"""Keyed hashes of what identifies a person: never the identifier itself.

A national identifier (the tax number), a full name with a date of birth, or a register's entry
is kept only as HMAC-SHA256 under a key derived from the deployment's secret, one key per
purpose. The same person gives the same hash whichever provider or e-mail address they come
with, which is what deduplicates people; without the secret the hashes cannot be tested against
guesses. Changing HROMADA_SECRET_KEY changes every hash: links to providers must then be made
again and registers uploaded again (the README says so).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from functools import lru_cache

from app.settings import get_settings

# Apostrophes as people type them in Ukrainian names (Мар'яна, Мар’яна, Марʼяна).
_APOSTROPHES = re.compile(r"[\u0027\u2019\u02bc\u2018\u0060\u00b4]")


@lru_cache(maxsize=16)
def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"hromada-identity/{purpose}".encode(),
                    hashlib.sha256).digest()


def keyed(purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the deployment's key for `purpose` (64 hex digits)."""
    key = _key(get_settings().secret_key, purpose)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def normalise_text(value: str) -> str:
    """Case, spacing, apostrophes and Unicode forms do not tell two people apart."""
    text = unicodedata.normalize("NFKC", value or "").casefold()
    text = _APOSTROPHES.sub("'", text)
    text = re.sub(r"[\s,.;:\-–—]+", " ", text)
    return " ".join(text.split())


def normalise_tax_id(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def subject_hash(issuer: str, subject: str) -> str:
    """An account at a provider."""
    return keyed("subject", f"{issuer}\x1f{subject}")


def person_key(full_name: str, born: date) -> str:
    """A person by full name and date of birth: matches a register's entry."""
    return keyed("person", f"{normalise_text(full_name)}\x1f{born.isoformat()}")


def claim_key(full_name: str, born: date, address: str) -> str:
    """A residency claim (full name, date of birth, address): matches a register's entry."""
    return keyed("claim", f"{normalise_text(full_name)}\x1f{born.isoformat()}\x1f"
                          f"{normalise_text(address)}")


def person_hash(tax_id: str | None, full_name: str | None, born: date | None) -> str | None:
    """One person, whichever provider or e-mail: the tax number when the provider gives it,
    else full name and date of birth; None when neither is known."""
    digits = normalise_tax_id(tax_id or "")
    if digits:
        return keyed("tax-id", digits)
    if full_name and born:
        return keyed("name-born", person_key(full_name, born))
    return None
