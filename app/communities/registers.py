"""A community's register of residents: uploaded by an official, kept only as keyed hashes.
Flushes, never commits.

The file (CSV, UTF-8, comma or semicolon, a header `full_name,birth_date,address`; README
"Importing the register of residents", example in static/examples/register.csv) is read,
checked whole and reduced to two keyed hashes per row (app.identity.hashing): of full name,
date of birth and address (to match a residency claim) and of full name and date of birth (to
match an identity from a provider). The list itself is never stored. A file with a wrong
header, a bad date, an empty cell or a repeated row is refused whole, naming the rows.

Each upload is a new version with its date. A residency claim that matches the newest version
is verified at once, its evidence the version it matched ("register of 01.11.2026"); one that
does not goes to the officials' queue as before. A new version re-checks nothing: residencies
verified by an earlier one stay verified.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions
from app.communities import repository as repo
from app.communities.models import Community, Register, RegisterEntry
from app.db import insert_rows
from app.exceptions import DomainError, Forbidden, InvalidInput
from app.identity import hashing
from app.identity.models import User
from app.settings import get_settings
from app.web.i18n import N_

HEADER = ("full_name", "birth_date", "address")
MAX_ERRORS = 10
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"

    def __init__(self, message: str = N_("The file is too large (at most {mb} MB)."),
                 **kw: Any):
        super().__init__(message, **kw)


@dataclass(frozen=True)
class Parsed:
    claim_keys: list[str]
    person_keys: list[str]


def check_upload(session: Session, user: User | None, community: Community) -> None:
    permissions.logged_in(user)
    if not permissions.can_verify_residency(session, user, community.id):
        raise Forbidden(N_("Only an official of this community can upload its register of "
                           "residents."))


def _date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            born = datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
        return born if date(1900, 1, 1) <= born <= clock.today() else None
    return None


def parse(data: bytes) -> Parsed:
    """The file's rows as keyed hashes, or InvalidInput naming what is wrong and where."""
    if len(data) > get_settings().register_max_bytes:
        raise TooLarge(mb=get_settings().register_max_bytes // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(N_("The file is not UTF-8 text. Save it as CSV UTF-8.")) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise _invalid(N_("The first row must be the header: full_name,birth_date,address."))
    errors: list[str | tuple[str, dict]] = []
    seen: dict[str, int] = {}
    claim_keys, person_keys = [], []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(errors) >= MAX_ERRORS:
            break
        if len(row) != 3:
            errors.append((N_("Row {row}: there must be three cells."), {"row": number}))
            continue
        name, born_text, address = (cell.strip() for cell in row)
        born = _date(born_text)
        if not name or not address or len(name) > 300 or len(address) > 300:
            errors.append((N_("Row {row}: the full name and the address must not be empty."),
                           {"row": number}))
            continue
        if born is None:
            errors.append((N_("Row {row}: the date of birth is not a real date (YYYY-MM-DD "
                              "or DD.MM.YYYY)."), {"row": number}))
            continue
        claim = hashing.claim_key(name, born, address)
        if claim in seen:
            errors.append((N_("Row {row} repeats row {first}."),
                           {"row": number, "first": seen[claim]}))
            continue
        seen[claim] = number
        claim_keys.append(claim)
        person_keys.append(hashing.person_key(name, born))
    if errors:
        raise InvalidInput(N_("The register was not imported: correct the file and upload it "
                              "again."), fields={f"row{i}": e for i, e in enumerate(errors)})
    if not claim_keys:
        raise _invalid(N_("The file has no residents."))
    return Parsed(claim_keys, person_keys)


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": message})


def upload(session: Session, user: User, community: Community, data: bytes,
           register_date: date | None) -> Register:
    """A new version of the community's register, from the file."""
    check_upload(session, user, community)
    if register_date is None or not date(2000, 1, 1) <= register_date <= clock.today():
        message = N_("Enter the date of the register (not in the future).")
        raise InvalidInput(message, fields={"register_date": message})
    parsed = parse(data)
    latest = repo.latest_register(session, community.id)
    register = Register(community_id=community.id, version=(latest.version if latest else 0) + 1,
                        register_date=register_date, entries=len(parsed.claim_keys),
                        uploaded_by_id=user.id)
    session.add(register)
    session.flush()
    rows = [{"register_id": register.id, "claim_key": claim, "person_key": person}
            for claim, person in zip(parsed.claim_keys, parsed.person_keys, strict=True)]
    insert_rows(session, RegisterEntry.__table__, rows)
    audit.append(session, "register.uploaded", "community", community.id, user.id,
                 version=register.version, register_date=register_date.isoformat(),
                 entries=register.entries)
    return register


def latest(session: Session, community_id: int) -> Register | None:
    return repo.latest_register(session, community_id)


def match(session: Session, community_id: int, *, claim: str | None = None,
          persons: list[str] | None = None) -> Register | None:
    """The newest register version of the community if it lists this claim (or one of these
    persons), else None."""
    register = repo.latest_register(session, community_id)
    if register is None:
        return None
    if claim and repo.register_has(session, register.id, claim_key=claim):
        return register
    for person in persons or ():
        if repo.register_has(session, register.id, person_key=person):
            return register
    return None

