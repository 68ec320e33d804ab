"""Collecting signatures: online (group-committed), withdrawn, recorded from paper, up to the
threshold (the authority then owes an answer) or the end of the period (closed).

Every count moves in the same transaction as the signature it counts; the unique constraints
decide a second signature, so there is no read-then-write race.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.audit import service as audit
from app.batch import GroupCommit
from app.communities import permissions as community_permissions
from app.deliberation.networks import network_hash
from app.exceptions import Conflict, DomainError, InvalidInput, NotAuthenticated, NotFound
from app.identity import service as identity
from app.identity.models import User
from app.identity.service import INVALID_TOKEN, canonical_email
from app.notifications import service as notifications
from app.settings import get_settings
from app.web import ratelimit
from app.web.i18n import N_, gettext
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import (
    OBLIGATION_KIND,
    SUBJECT_TYPE,
    Petition,
    PetitionStatus,
    SignatureSource,
)
from petitions.rules import PetitionRules
from petitions.service.common import (
    clean_title,
    get_visible,
    last_day,
    link_of,
    path_of,
    rules_of,
    utc,
)

# -- online signatures (the group commit) ---------------------------------------------------

class _NotCollecting(Exception):
    """Raised inside a savepoint to undo its writes when the guarded UPDATE found nothing."""


def _add_signature(session: Session, petition: Petition, now: datetime, *,
                   duplicate: str, **values) -> tuple[int, bool]:
    """Insert a signature and count it, atomically: both or neither. Returns the new count
    and whether it reached the threshold.

    The unique constraints decide a second signature (no read-then-write race); the counter
    moves by an atomic UPDATE guarded by status and period, which also serialises concurrent
    signers of the same petition on its row, so exactly one of them sees the threshold.
    """
    try:
        with session.begin_nested():
            repo.insert_signature(session, petition_id=petition.id, created_at=now, **values)
            bumped = repo.bump_signatures(session, petition, 1, int(values["public_name"]), now)
            if bumped is None:
                raise _NotCollecting()
    except IntegrityError:
        raise Conflict(duplicate) from None
    except _NotCollecting:
        raise Conflict(N_("This petition is not collecting signatures.")) from None
    count, threshold = bumped
    return count, threshold is not None and count >= threshold


@dataclass(frozen=True)
class SignRequest:
    """A request to sign, as the route received it: the person (a page's logged-in user) or
    the API token they sent, whose holder the checks find."""

    petition_id: int
    public_name: bool
    at: datetime
    network_hash: str | None = None  # the keyed hash of the client's network (fraud views)
    user: User | None = None
    token: str | None = None


@dataclass(frozen=True)
class _Signing:
    """One online signature, checked and waiting for the group commit."""

    petition_id: int
    user_id: int
    public_name: bool
    at: datetime
    network_hash: str | None = None


@dataclass(frozen=True)
class Signed:
    """A signature as committed: the petition's count with it, the signer's receipt, and
    whether it was the one that reached the threshold (the petition then awaits an answer:
    its page changed more than its counter)."""

    count: int
    receipt: audit.Receipt
    reached_threshold: bool
    petition: Petition


def request(petition_id: int, public_name: bool = False, client_address: str | None = None, *,
            user: User | None = None, token: str | None = None) -> SignRequest:
    return SignRequest(petition_id, bool(public_name), clock.now(), network_hash(client_address),
                       user=user, token=token)


def sign(session: Session, user: User | None, petition_id: int, public_name: bool = False,
         client_address: str | None = None) -> Signed:
    """Sign once. The signer follows the petition and gets the receipt of their entry in the
    audit log.

    Everything that only reads (the petition's visibility and state, the signer's residency
    and age, the rules) is checked first (`_check_signings`); the write joins the group commit
    of signatures."""
    return _signed(SIGNATURES.submit(session, request(petition_id, public_name, client_address,
                                                      user=user)))


async def sign_async(session: Session, signing: SignRequest) -> Signed:
    """`sign` for an async route (the API's, with the token not yet resolved): no thread waits,
    and the token's holder is found with the batch's other checks."""
    return _signed(await SIGNATURES.submit_async(session, signing))


def _check_signings(session: Session, requests: Sequence[SignRequest]) -> list:
    """The read-only checks of a batch of requests: one query for the tokens' holders, one for
    everyone's memberships, the petitions from the session (one query each), then each
    request's own check. Outcome per request: the _Signing to write, or the DomainError it is
    refused with."""
    holders = identity.users_for_tokens(session, [r.token for r in requests if r.token])
    people = [holders.get(r.token) if r.token else r.user for r in requests]
    community_permissions.load_memberships(session, [u for u in people if u is not None])
    outcomes: list = []
    for signing, user in zip(requests, people, strict=True):
        try:
            if signing.token and user is None:
                raise NotAuthenticated(INVALID_TOKEN)
            if signing.token:
                ratelimit.limit_account("sign", user.id)  # known only now, for a token
            petition = get_visible(session, user, signing.petition_id)
            perm.check_sign(session, user, petition, signing.at, rules_of(session, petition))
            outcomes.append(_Signing(petition.id, user.id, signing.public_name, signing.at,
                                     signing.network_hash))
        except DomainError as refused:
            outcomes.append(refused)
    return outcomes


def _signed(written: tuple) -> Signed:
    petition, event = written
    return Signed(petition.signature_count, audit.receipt_for(event),
                  petition.signature_count == petition.threshold, petition)


def _write_signatures(session: Session, batch: Sequence[_Signing]) -> list:
    """Write a batch of online signatures: per petition one multi-row INSERT (the unique
    constraint decides a second signature) and the new signers' follows, then one counter
    UPDATE, which finds whether the petition still collects and locks its row until the
    commit, then the audit entries. The rest goes in before the counter so that the hot row is
    locked for as short a time as possible: the inserts of a concurrent batch only share the
    row's key and do not wait. No savepoint is needed: if the petition no longer collects, or
    some signers came after the threshold, their signatures and the follows they made are
    deleted again; any other failure fails the batch, whose items the group commit then tries
    one by one. Outcome per item: (the petition as committed, with its counts; its audit
    event) or the DomainError it is refused with."""
    outcomes: list = [None] * len(batch)
    by_petition: dict[int, list[int]] = {}
    for index, item in enumerate(batch):
        by_petition.setdefault(item.petition_id, []).append(index)
    for petition_id in sorted(by_petition):  # one lock order for every batch: no deadlock
        indexes = by_petition[petition_id]
        try:
            results = _sign_petition(session, petition_id, [batch[i] for i in indexes])
        except _NotCollecting:
            results = [Conflict(N_("This petition is not collecting signatures."))] * len(
                indexes)
        for index, result in zip(indexes, results, strict=True):
            outcomes[index] = result
    return outcomes


def _sign_petition(session: Session, petition_id: int, items: list[_Signing]) -> list:
    now = max(item.at for item in items)
    inserted = repo.insert_signatures(session, [
        {"petition_id": petition_id, "user_id": item.user_id, "source": SignatureSource.online,
         "public_name": item.public_name, "created_at": item.at,
         "network_hash": item.network_hash} for item in items])
    accepted: dict[int, _Signing] = {}  # the first request of each new signer, in order
    for item in items:
        if item.user_id in inserted and item.user_id not in accepted:
            accepted[item.user_id] = item
    petition, events, late = None, {}, []
    if accepted:
        following = notifications.follow_many(session, list(accepted), SUBJECT_TYPE,
                                              petition_id)
        # The entries are made (hashed, salted) before the counter: from the counter's UPDATE
        # its row stays locked until the commit.
        written = clock.now()  # the log records when the act was written, as for ballots
        events = {user_id: audit.event("petition.signed", SUBJECT_TYPE, petition_id, user_id,
                                       at=written, source=SignatureSource.online.value)
                  for user_id in accepted}
        public = sum(item.public_name for item in accepted.values())
        petition = repo.count_in(session, petition_id, len(accepted), public, now)
        if petition is None:
            repo.delete_signatures(session, petition_id, list(inserted))
            notifications.unfollow_many(session, list(following), SUBJECT_TYPE, petition_id)
            raise _NotCollecting()
        threshold = petition.threshold
        before = petition.signature_count - len(accepted)
        if threshold is not None and petition.signature_count > threshold:
            # Collection ends the moment the threshold is reached: later signers are refused.
            late = list(accepted)[max(0, threshold - before):]
            repo.delete_signatures(session, petition_id, late)
            notifications.unfollow_many(session, [u for u in late if u in following],
                                        SUBJECT_TYPE, petition_id)
            repo.bump_signatures(session, petition, -len(late),
                                 -sum(accepted.pop(user_id).public_name for user_id in late),
                                 now)
        audit.append_many(session, [events[user_id] for user_id in accepted])
        if threshold is not None and petition.signature_count >= threshold:
            _reach_threshold(session, petition, now)
    duplicate = Conflict(N_("You have already signed this petition."))
    refused = Conflict(N_("This petition is not collecting signatures."))
    results: list = []
    for item in items:
        if item.user_id in accepted and accepted.pop(item.user_id) is item:
            results.append((petition, events[item.user_id]))
        else:
            results.append(refused if item.user_id in late else duplicate)
    return results


SIGNATURES = GroupCommit("petition-signatures", _write_signatures, check=_check_signings)


# -- withdrawing ----------------------------------------------------------------------------

def withdraw(session: Session, user: User | None, petition_id: int) -> int:
    """Take a signature back while the petition is open; returns the new count."""
    petition = get_visible(session, user, petition_id)
    now = clock.now()
    perm.check_withdraw(session, user, petition, now)
    try:
        with session.begin_nested():
            public = repo.delete_signature(session, petition.id, user.id)
            if public is None:
                raise NotFound(N_("You have not signed this petition."))
            bumped = repo.bump_signatures(session, petition, -1, -int(public), now)
            if bumped is None:
                raise _NotCollecting()
    except _NotCollecting:
        raise Conflict(N_("This petition is not collecting signatures.")) from None
    audit.append(session, "petition.signature_withdrawn", SUBJECT_TYPE, petition.id, user.id)
    return bumped[0]


# -- paper signatures -----------------------------------------------------------------------

@dataclass
class PaperSigner:
    """A person who signed on paper at a service centre, as the official typed it in."""

    full_name: str
    birth_date: date | None
    address: str
    email: str = ""


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u2018": "'"})


def normalise_identity(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold().translate(_APOSTROPHES)
    return " ".join(re.sub(r"[^\w']+", " ", text).split())


def identity_hash(full_name: str, birth_date: date, address: str) -> str:
    """A keyed hash of who signed on paper: it deduplicates without storing the person."""
    payload = "|".join([normalise_identity(full_name), birth_date.isoformat(),
                        normalise_identity(address)])
    key = (get_settings().secret_key + ":petition-paper").encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _validated_signer(session: Session, rules: PetitionRules, signer: PaperSigner
                      ) -> tuple[str, str, User | None]:
    """The signer's normalised name and address and their account (when an e-mail names
    one), or InvalidInput naming every field that is wrong."""
    name, address = clean_title(signer.full_name), clean_title(signer.address)
    errors: dict[str, tuple[str, dict]] = {}
    if not 3 <= len(name) <= 200:
        errors["full_name"] = (N_("Enter the signer's full name (3 to 200 characters)."), {})
    if not 5 <= len(address) <= 300:
        errors["address"] = (N_("Enter the signer's address (5 to 300 characters)."), {})
    if signer.birth_date is None or not date(1900, 1, 1) <= signer.birth_date <= clock.today():
        errors["birth_date"] = (N_("Enter a real date of birth."), {})
    elif community_permissions.age_on(signer.birth_date, clock.today()) < rules.minimum_age:
        errors["birth_date"] = (N_("The signer must be at least {age} years old."),
                                {"age": rules.minimum_age})
    account = None
    if signer.email.strip():
        account = repo.user_by_email(session, canonical_email(signer.email))
        if account is None:
            errors["email"] = (N_("No account has this e-mail address. Leave it empty for a "
                                  "signer without an account."), {})
    if errors:
        raise InvalidInput(fields=errors)
    return name, address, account


def record_paper(session: Session, official: User | None, petition_id: int,
                 signer: PaperSigner) -> int:
    """Count a signature collected on paper. Deduplicated against online signatures through
    the signer's account (found by e-mail) and against other paper entries by identity."""
    petition = get_visible(session, official, petition_id)
    now = clock.now()
    perm.check_record_paper(session, official, petition, now)
    name, address, account = _validated_signer(session, rules_of(session, petition), signer)
    count, reached = _add_signature(
        session, petition, now, duplicate=N_("This person has already signed this petition."),
        user_id=account.id if account else None, source=SignatureSource.paper,
        public_name=False, identity_hash=identity_hash(name, signer.birth_date, address),
        recorded_by_id=official.id)
    audit.append(session, "petition.paper_signature_recorded", SUBJECT_TYPE, petition.id,
                 official.id, with_account=account is not None)
    if account is not None:
        notifications.follow(session, account, SUBJECT_TYPE, petition.id)
    if reached:
        _reach_threshold(session, petition, now)
    return count


# -- the end of the collection --------------------------------------------------------------

def _reach_threshold(session: Session, petition: Petition, now: datetime) -> None:
    """Collection succeeded: the addressed authority now owes an answer by the rules' date."""
    rules = rules_of(session, petition)
    # Reached again after an invalidation had taken it below: the marked obligation stands
    # again, with its first due date.
    obligation = accountability.restore_threshold(session, OBLIGATION_KIND, SUBJECT_TYPE,
                                                  petition.id) or accountability.open_obligation(
        session, kind=OBLIGATION_KIND, community_id=petition.community_id,
        authority_id=petition.authority_id, subject_type=SUBJECT_TYPE, subject_id=petition.id,
        subject_title=petition.title, subject_path=path_of(petition.id),
        period=rules.answer_deadline, ruleset_id=petition.ruleset_id, opened_at=now)
    due = utc(clock.aware(obligation.due_at))
    if not repo.transition(session, petition, (PetitionStatus.open,),
                           status=PetitionStatus.awaiting_answer, threshold_reached_at=now,
                           answer_due_at=due, updated_at=now):
        raise Conflict(N_("This petition is not collecting signatures."))
    audit.append(session, "petition.threshold_reached", SUBJECT_TYPE, petition.id, None,
                 signatures=petition.signature_count, answer_due_at=due.isoformat())
    link, title = link_of(petition.id), petition.title
    notifications.notify_followers(session, SUBJECT_TYPE, petition.id, f"petition:{petition.id}:"
                                   "threshold", lambda: (
        gettext("The petition reached its threshold"),
        gettext("The petition \u201c{title}\u201d has collected the signatures it needed. "
                "The authority must answer by {date}. Follow it here: {link}").format(
            title=title, date=last_day(due).strftime("%d.%m.%Y"), link=link)))


def close_expired(session: Session) -> int:
    """Make closing durable: petitions whose period ended below the threshold become
    closed (pages already show them closed). For the worker and `hromada petitions close`."""
    now = clock.now()
    closed = repo.close_expired(session, now)
    for petition_id, title in closed:
        audit.append(session, "petition.closed", SUBJECT_TYPE, petition_id, None)
        link = link_of(petition_id)
        notifications.notify_followers(
            session, SUBJECT_TYPE, petition_id, f"petition:{petition_id}:closed",
            lambda title=title, link=link: (
                gettext("The petition closed without enough signatures"),
                gettext("The collection period of \u201c{title}\u201d has ended below the "
                        "threshold, so the authority owes no answer. {link}").format(
                    title=title, link=link)))
    return len(closed)

