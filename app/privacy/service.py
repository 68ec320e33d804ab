"""Personal data: the download of everything held about a person, erasure, and purging by age.

The kernel knows no module: each registered module may hand in three hooks (app.modules.Module)
- `personal_data(session, user) -> dict`, `erase(session, user)` and `purge(session, now) -> int`
- and this service calls them for every module that has them. Flushes, never commits.

Erasure anonymises rather than deletes: the account row stays (with a placeholder address, the
name "—" and a password that matches nothing) so that the person's signatures and ballots stay
counted and every foreign key stays valid, while nothing left identifies them. The audit chain
holds only keyed pseudonyms of user ids, so erasure changes no entry and the chain still
verifies.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions as community_permissions
from app.deliberation import service as deliberation
from app.exceptions import Conflict, InvalidInput
from app.identity.models import User
from app.identity.passwords import verify_password
from app.modules import Module
from app.privacy import repository as repo
from app.settings import get_settings
from app.web.i18n import N_

log = logging.getLogger("hromada.privacy")

FORMAT = "hromada-personal-data/1"
ERASED_NAME = "—"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never receive mail
UNUSABLE_PASSWORD = "!erased"  # not a hash any scheme accepts: no password matches it


def _iso(value: datetime | None) -> str | None:
    value = clock.aware(value)
    return value.isoformat() if value else None


def export(session: Session, user: User, modules: Iterable[Module] = ()) -> dict[str, Any]:
    """Everything held about `user`, as JSON-ready data (the right of access)."""
    pseudonym = audit.pseudonym(user.id)
    data: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": _iso(clock.now()),
        "account": {
            "id": user.id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "language": user.language,
            "birth_date": user.birth_date.isoformat() if user.birth_date else None,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at), "erased_at": _iso(user.erased_at),
            "failed_logins": user.failed_logins, "locked_until": _iso(user.locked_until),
            "two_factor_since": _iso(user.totp_enabled_at),
        },
        # Only which providers and when: what they said is kept as keyed hashes, which are
        # not the person's data in any readable form.
        "identity_providers": [
            {"provider": link.provider, "identifies": link.identifies,
             "linked_at": _iso(link.created_at), "last_used_at": _iso(link.last_used_at)}
            for link in repo.provider_links(session, user.id)],
        "residencies": [
            {"community": c.slug, "community_name": c.name, "status": r.status,
             "address": r.address, "claimed_at": _iso(r.claimed_at),
             "decided_at": _iso(r.decided_at), "evidence": r.evidence}
            for r, c in repo.residencies(session, user.id)],
        "staff_roles": [
            {"community": c.slug, "role": s.role, "authority_id": s.authority_id}
            for s, c in repo.staff_roles(session, user.id)],
        "sessions": [{"created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at)}
                     for s in repo.sessions(session, user.id)],
        "api_tokens": [
            {"name": t.name, "prefix": t.prefix, "created_at": _iso(t.created_at),
             "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)}
            for t in repo.tokens(session, user.id)],
        "messages": [
            {"to": m.to_email, "subject": m.subject, "body": m.body, "status": m.status,
             "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
            for m in repo.messages(session, user.id)],
        "following": [{"subject_type": f.subject_type, "subject_id": f.subject_id,
                       "since": _iso(f.created_at)} for f in repo.follows(session, user.id)],
        "rule_changes_authored": [
            {"community_id": r.community_id, "version": r.version, "reason": r.reason,
             "created_at": _iso(r.created_at)} for r in repo.rules_authored(session, user.id)],
        "audit_log": {
            "pseudonym": pseudonym,
            "entries": [{"seq": e.seq, "created_at": _iso(e.created_at), "action": e.action,
                         "subject_type": e.subject_type, "subject_id": e.subject_id,
                         "hash": e.hash, "commitment": e.commitment}
                        for e in reversed(audit.entries_of(session, user.id))],
        },
        "deliberation": deliberation.personal_data(session, user),
        "modules": {},
    }
    for module in modules:
        if module.personal_data is not None:
            data["modules"][module.name] = jsonable_encoder(module.personal_data(session, user))
    return data


def check_password(user: User, password: str) -> None:
    if not password or not verify_password(password, user.password_hash):
        message = N_("The password is not right.")
        raise InvalidInput(message, fields={"password": message})


def erase(session: Session, user: User, password: str, modules: Iterable[Module] = ()) -> None:
    """The account holder's own erasure, confirmed with the password."""
    if user.erased_at is not None:
        raise Conflict(N_("This account has already been erased."))
    check_password(user, password)
    erase_account(session, user, modules)


def erase_account(session: Session, user: User, modules: Iterable[Module] = ()) -> None:
    """Anonymise an account; its signatures, ballots and ratings stay counted.

    Modules go first (they may still need the account to find what is theirs), then the
    kernel: access (sessions, tokens, roles, residencies), mail, and the account itself.
    """
    if user.erased_at is not None:
        return
    for module in modules:
        if module.erase is not None:
            module.erase(session, user)
    repo.delete_access(session, user.id)
    repo.delete_notifications(session, user.id)
    deliberation.erase(session, user)
    placeholder = f"erased-{user.id}-{secrets.token_hex(6)}@{ERASED_DOMAIN}"
    now = clock.now()
    repo.anonymise_user(session, user.id, email=placeholder, email_canonical=placeholder,
                        display_name=ERASED_NAME, password_hash=UNUSABLE_PASSWORD,
                        language=None, birth_date=None, email_verified_at=None,
                        failed_logins=0, locked_until=None, erased_at=now,
                        totp_secret=None, totp_enabled_at=None, totp_last_step=None)
    session.flush()
    session.refresh(user)
    community_permissions.forget_memberships(session)
    audit.append(session, "account.erased", "account", None, user.id)


def purge(session: Session, now: datetime | None = None,
          modules: Iterable[Module] = ()) -> dict[str, int]:
    """Anonymise or delete what is past its retention period; returns counts by area.

    Modules do their part through `purge(session, now)` (the petitions module anonymises
    signer identities settings.signer_retention_months after a petition closes); the kernel
    deletes login sessions that can no longer be used.
    """
    settings = get_settings()
    now = now or clock.now()
    counts = {"sessions": repo.delete_expired_sessions(
        session, now - timedelta(minutes=settings.session_idle_minutes),
        now - timedelta(hours=settings.session_absolute_hours))}
    for module in modules:
        if module.purge is not None:
            counts[module.name] = int(module.purge(session, now) or 0)
    session.flush()
    log.info("privacy purge: %s", counts)
    return counts
