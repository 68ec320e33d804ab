"""Accounts of people who sign in through an OpenID provider. Flushes, never commits.

One person, one account: a provider's subject is linked to one account; a person the provider
identifies (the tax number, or full name and date of birth) who comes back under another
subject, another provider or another e-mail address lands on the account they already have.
A new person gets a new account whose e-mail address they confirm as everyone does; an e-mail
address that already has an account is linked only by its owner, logged in with its password,
so that a provider cannot hand anyone's account to someone else.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput
from app.identity import repository as repo
from app.identity import service
from app.identity.models import ProviderLink, User
from app.identity.oidc import Identity
from app.web.i18n import N_


class Outcome(StrEnum):
    signed_in = "signed_in"  # a linked account
    same_person = "same_person"  # another subject of a person already known: linked to them
    linked = "linked"  # a logged-in person linked the provider
    created = "created"  # a new account


OTHER_ACCOUNT = N_("This identity is already linked to another account. Log out and sign in "
                   "with it, or write to the administrators.")


def sign_in(session: Session, identity: Identity, current: User | None) -> tuple[User, Outcome]:
    """The account of the person the provider identified (linked, found or new)."""
    now = clock.now()
    link = repo.link_by_subject(session, identity.provider, identity.subject_hash)
    if link is not None:
        if current is not None and current.id != link.user_id:
            raise Conflict(OTHER_ACCOUNT)
        user = repo.user_by_id(session, link.user_id)
        if user is None or user.erased_at is not None:
            raise Conflict(N_("The account linked to this identity was erased."))
        _refresh(session, link, identity, user, now)
        return user, Outcome.signed_in
    known = repo.link_by_person(session, identity.person_hash) if identity.person_hash else None
    if known is not None:
        if current is not None and current.id != known.user_id:
            raise Conflict(OTHER_ACCOUNT)
        user = repo.user_by_id(session, known.user_id)
        if user is None or user.erased_at is not None:
            raise Conflict(N_("The account linked to this identity was erased."))
        _link(session, user, identity)
        return user, Outcome.same_person
    if current is not None:
        _link(session, current, identity)
        return current, Outcome.linked
    if not identity.email:
        raise InvalidInput(N_("The identity provider did not tell us an e-mail address. "
                              "Register with your e-mail address first, then link the "
                              "provider from your account page."))
    email = service.normalise_email(identity.email)
    if repo.user_by_canonical_email(session, service.canonical_email(email)) is not None:
        raise Conflict(N_("An account with this e-mail address already exists. Log in with "
                          "its password, then link the provider from your account page."))
    user = service.register(session, service.Registration(
        email=email, password=secrets.token_urlsafe(32),
        display_name=identity.name or email.split("@")[0], birth_date=identity.birth_date))
    _link(session, user, identity)
    audit.append(session, "identity.registered", "user", user.id, user.id,
                 provider=identity.provider)
    return user, Outcome.created


def _link(session: Session, user: User, identity: Identity) -> ProviderLink:
    link = ProviderLink(user_id=user.id, provider=identity.provider,
                        subject_hash=identity.subject_hash, person_hash=identity.person_hash,
                        register_key=identity.register_key, identifies=identity.identifies)
    session.add(link)
    if identity.identifies and identity.birth_date:
        user.birth_date = identity.birth_date
        session.add(user)
    session.flush()
    audit.append(session, "identity.provider_linked", "user", user.id, user.id,
                 provider=identity.provider)
    return link


def _refresh(session: Session, link: ProviderLink, identity: Identity, user: User,
             now) -> None:
    link.last_used_at = now
    if identity.person_hash and not link.person_hash:
        link.person_hash = identity.person_hash
    if identity.register_key:
        link.register_key = identity.register_key
    session.add(link)
    if identity.identifies and identity.birth_date and user.birth_date != identity.birth_date:
        user.birth_date = identity.birth_date
        session.add(user)
    session.flush()


def links(session: Session, user: User) -> list[ProviderLink]:
    return repo.links_of(session, user.id)


def identified(session: Session, user: User | None) -> bool:
    """The person's identity comes from a provider that identifies people."""
    if user is None:
        return False
    cache = session.info.setdefault("identified", {})
    if user.id not in cache:
        cache[user.id] = any(link.identifies for link in repo.links_of(session, user.id))
    return cache[user.id]


def register_keys(session: Session, user: User) -> list[str]:
    """The keyed hashes of name and birth date the person's providers vouched for."""
    return [link.register_key for link in repo.links_of(session, user.id)
            if link.identifies and link.register_key]
