"""The petition loop: draft, sponsors, moderation, collection, threshold, answer, rating,
implementation updates. Flushes, never commits; every write happens in the caller's
transaction together with its audit entry and its notifications.

Every limit, period and deadline comes from the rules engine: a draft is checked against the
rules in force, and at submission the petition records the rule-set version and the threshold
computed from it; from then on it reads only that version.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation
from app.audit import service as audit
from app.batch import GroupCommit
from app.communities import permissions as community_permissions
from app.communities import service as communities
from app.communities.models import Authority, Community
from app.exceptions import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from app.identity.models import User
from app.identity.service import canonical_email
from app.notifications import service as notifications
from app.rules import service as rules_service
from app.rules.calendar import LOCAL_TZ
from app.rules.schema import DayUnit, Period
from app.settings import get_settings
from app.web.i18n import N_, gettext
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import (
    DECISION_LABELS,
    IMPLEMENTED_DECISIONS,
    LISTED_STATUSES,
    UPDATE_LABELS,
    AnswerCreate,
    AnswerPublic,
    Category,
    Decision,
    ExportRow,
    Petition,
    PetitionAnswer,
    PetitionCreate,
    PetitionPublic,
    PetitionStatus,
    PetitionSummary,
    PetitionUpdate,
    PublicStatus,
    Rating,
    RatingsPublic,
    RejectionPublic,
    RejectionReason,
    SignatureSource,
    UpdateCreate,
    UpdatePublic,
    UpdateStatus,
)
from petitions.rules import PetitionRules

KIND = repo.OBLIGATION_KIND
SUBJECT = repo.SUBJECT_TYPE
# Lower bounds of a meaningful text. The upper bounds are the community's rules.
TITLE_MIN = 10
TEXT_MIN = 50
EXPLANATION_MIN = 10
EXPLANATION_MAX = 2000
ANSWER_MIN = 20
UPDATE_MIN = 10
UPDATE_MAX = 5000
SIGNER_SAMPLE = 20

public_status = perm.public_status


def path_of(petition_id: int) -> str:
    return f"/petitions/{petition_id}"


def link_of(petition_id: int) -> str:
    return get_settings().base_url.rstrip("/") + path_of(petition_id)


def _utc(moment: datetime) -> datetime:
    """Deadlines come back in local time; we store UTC (SQLite keeps no offset)."""
    return moment.astimezone(UTC)


def rules_of(session: Session, petition: Petition) -> PetitionRules:
    """The rules the petition opened under (the frozen version, never the current one)."""
    return rules_service.version(session, petition.ruleset_id).rules.petitions


def _get(session: Session, petition_id: int) -> Petition:
    petition = repo.get(session, petition_id)
    if petition is None:
        raise NotFound(N_("No such petition."))
    return petition


def get_visible(session: Session, petition_id: int, user: User | None) -> Petition:
    petition = _get(session, petition_id)
    perm.check_view(session, user, petition, clock.now())
    return petition


# -- drafting -------------------------------------------------------------------------------

def _clean_title(value: str) -> str:
    return " ".join((value or "").split())


def _clean_text(value: str) -> str:
    lines = (value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _validated(session: Session, rules: PetitionRules, community_id: int, *, title: str,
               text: str, category: str, authority_id: int | None) -> tuple[str, str]:
    """Normalised title and text, or InvalidInput naming every field that is wrong."""
    errors: dict[str, tuple[str, dict]] = {}
    title, text = _clean_title(title), _clean_text(text)
    if not title:
        errors["title"] = (N_("This field is required."), {})
    elif not TITLE_MIN <= len(title) <= rules.title_max:
        errors["title"] = (N_("The title must be {min} to {max} characters long."),
                           {"min": TITLE_MIN, "max": rules.title_max})
    if not text:
        errors["text"] = (N_("This field is required."), {})
    elif not TEXT_MIN <= len(text) <= rules.text_max:
        errors["text"] = (N_("The text must be {min} to {max} characters long."),
                          {"min": TEXT_MIN, "max": rules.text_max})
    if category not in Category.__members__:
        errors["category"] = (N_("Choose one of the offered options."), {})
    authority = None
    if authority_id is not None:
        try:
            authority = communities.get_authority(session, authority_id)
        except NotFound:
            authority = None
    if authority is None or authority.community_id != community_id:
        errors["authority_id"] = (N_("Choose an authority of this community."), {})
    if errors:
        raise InvalidInput(fields=errors)
    return title, text


def authorities_of(session: Session, community_id: int) -> list[Authority]:
    from app.communities import repository as communities_repo

    return communities_repo.authorities(session, community_id)


def drafting_communities(session: Session, user: User) -> list[Community]:
    """The communities where this person may start a petition."""
    from app.communities import repository as communities_repo

    verified = community_permissions.memberships(session, user).verified_in
    return [c for c in communities_repo.communities(session) if c.id in verified]


def create(session: Session, user: User | None, data: PetitionCreate) -> Petition:
    """A new draft (submitted at once when data.submit)."""
    if user is None:
        raise NotAuthenticated()
    community = communities.get(session, data.community_id)
    if not community_permissions.is_verified_resident(session, user, community.id):
        raise Forbidden(N_("Only verified residents of this community can start a petition."))
    version = rules_service.current(session, community.id)
    rules = version.rules.petitions
    if not community_permissions.meets_minimum_age(user, rules.minimum_age):
        raise Forbidden(N_("You must be at least {age} years old to do this."),
                        age=rules.minimum_age)
    title, text = _validated(session, rules, community.id, title=data.title, text=data.text,
                             category=data.category, authority_id=data.authority_id)
    now = clock.now()
    petition = repo.add(session, Petition(
        community_id=community.id, authority_id=data.authority_id, author_id=user.id,
        title=title, text=text, category=str(data.category), status=PetitionStatus.draft,
        ruleset_id=version.id, created_at=now, updated_at=now))
    notifications.follow(session, user, SUBJECT, petition.id)
    if data.submit:
        submit(session, petition.id, user)
    return petition


def edit(session: Session, petition_id: int, user: User | None, *, title: str, text: str,
         category: str, authority_id: int) -> Petition:
    petition = _get(session, petition_id)
    perm.check_edit(session, user, petition, clock.now())
    rules = rules_service.current(session, petition.community_id).rules.petitions
    title, text = _validated(session, rules, petition.community_id, title=title, text=text,
                             category=category, authority_id=authority_id)
    petition.title, petition.text, petition.category = title, text, category
    petition.authority_id, petition.updated_at = authority_id, clock.now()
    session.add(petition)
    session.flush()
    return petition


def submit(session: Session, petition_id: int, user: User | None) -> Petition:
    """Leave draft: to sponsoring when the rules ask for sponsors, else to moderation.

    The petition now keeps this rule-set version and the threshold computed from it.
    """
    petition = _get(session, petition_id)
    now = clock.now()
    perm.check_submit(session, user, petition, now)
    version = rules_service.current(session, petition.community_id)
    rules = version.rules.petitions
    _validated(session, rules, petition.community_id, title=petition.title, text=petition.text,
               category=petition.category, authority_id=petition.authority_id)
    community = communities.get(session, petition.community_id)
    values = {"ruleset_id": version.id, "threshold": rules.threshold_for(community.population),
              "sponsors_required": rules.sponsors_required, "submitted_at": now,
              "updated_at": now}
    if rules.sponsors_required > 0:
        values["status"] = PetitionStatus.sponsoring
    else:
        values["status"] = PetitionStatus.moderation
        values["moderation_due_at"] = _utc(rules_service.deadline(
            session, petition.community_id, now, rules.moderation_deadline))
    if not repo.transition(session, petition, (PetitionStatus.draft,), **values):
        raise Conflict(N_("Only a draft can be changed or submitted."))
    audit.append(session, "petition.submitted", SUBJECT, petition.id, user.id,
                 ruleset_id=version.id, threshold=values["threshold"],
                 sponsors_required=rules.sponsors_required)
    return petition


# -- sponsors -------------------------------------------------------------------------------

def sponsor(session: Session, petition_id: int, user: User | None) -> Petition:
    petition = _get(session, petition_id)
    now = clock.now()
    rules = rules_of(session, petition)
    perm.check_sponsor(session, user, petition, now, rules)
    try:
        with session.begin_nested():
            repo.insert_sponsor(session, petition.id, user.id, now)
            count = repo.bump_sponsors(session, petition)
            if count is None:
                raise _NotCollecting()
    except IntegrityError:
        raise Conflict(N_("You already sponsor this petition.")) from None
    except _NotCollecting:
        raise Conflict(N_("This petition is not looking for sponsors.")) from None
    audit.append(session, "petition.sponsored", SUBJECT, petition.id, user.id, count=count)
    notifications.follow(session, user, SUBJECT, petition.id)
    if count >= petition.sponsors_required:
        due = _utc(rules_service.deadline(session, petition.community_id, now,
                                          rules.moderation_deadline))
        if repo.transition(session, petition, (PetitionStatus.sponsoring,),
                           status=PetitionStatus.moderation, moderation_due_at=due,
                           updated_at=now):
            audit.append(session, "petition.sponsors_gathered", SUBJECT, petition.id, None,
                         count=count)
    return petition


# -- moderation -----------------------------------------------------------------------------

def _tell_author(session: Session, petition: Petition, key: str, render) -> None:
    if petition.author_id is None:
        return
    author = session.get(User, petition.author_id)
    if author is not None:
        notifications.send_to(session, author, f"petition:{petition.id}:{key}", render)


def publish(session: Session, petition_id: int, moderator: User | None) -> Petition:
    """Open the collection: it ends after the rules' collection days, at local midnight."""
    petition = _get(session, petition_id)
    now = clock.now()
    perm.check_moderate(session, moderator, petition, now)
    rules = rules_of(session, petition)
    ends = _utc(rules_service.deadline(session, petition.community_id, now,
                                       Period(days=rules.collection_days,
                                              unit=DayUnit.calendar)))
    if not repo.transition(session, petition, (PetitionStatus.moderation,),
                           status=PetitionStatus.open, published_at=now,
                           collection_ends_at=ends, moderator_id=moderator.id, updated_at=now):
        raise Conflict(N_("This petition is not waiting for moderation."))
    audit.append(session, "petition.published", SUBJECT, petition.id, moderator.id,
                 collection_ends_at=ends.isoformat(), threshold=petition.threshold)
    link = link_of(petition.id)
    _tell_author(session, petition, "published", lambda: (
        gettext("Your petition is published"),
        gettext("Your petition \u201c{title}\u201d is published and collects signatures "
                "until {date}. Share it: {link}").format(
            title=petition.title, date=last_day(ends).strftime("%d.%m.%Y"), link=link)))
    return petition


def reject(session: Session, petition_id: int, moderator: User | None,
           reason: RejectionReason | str, explanation: str) -> Petition:
    petition = _get(session, petition_id)
    now = clock.now()
    perm.check_moderate(session, moderator, petition, now)
    explanation = _clean_text(explanation)
    errors: dict[str, tuple[str, dict]] = {}
    if reason not in RejectionReason.__members__:
        errors["reason"] = (N_("Choose one of the offered options."), {})
    if not EXPLANATION_MIN <= len(explanation) <= EXPLANATION_MAX:
        errors["explanation"] = (N_("Explain the decision ({min} to {max} characters)."),
                                 {"min": EXPLANATION_MIN, "max": EXPLANATION_MAX})
    if errors:
        raise InvalidInput(fields=errors)
    if not repo.transition(session, petition, (PetitionStatus.moderation,),
                           status=PetitionStatus.rejected, rejected_at=now,
                           rejection_reason=str(reason), rejection_text=explanation,
                           moderator_id=moderator.id, updated_at=now):
        raise Conflict(N_("This petition is not waiting for moderation."))
    audit.append(session, "petition.rejected", SUBJECT, petition.id, moderator.id,
                 reason=str(reason))
    link = link_of(petition.id)
    _tell_author(session, petition, "rejected", lambda: (
        gettext("Your petition was not published"),
        gettext("The moderator did not publish your petition \u201c{title}\u201d. "
                "The reasons: {link}").format(title=petition.title, link=link)))
    return petition


# -- signatures -----------------------------------------------------------------------------

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
class _Signing:
    """One online signature, checked by its request and waiting for the group commit."""

    petition_id: int
    user_id: int
    public_name: bool
    at: datetime


def sign(session: Session, petition_id: int, user: User | None, public_name: bool = False
         ) -> int:
    """Sign once; returns the new signature count. The signer follows the petition.

    Everything that only reads (the petition's visibility and state, the signer's residency
    and age, the rules) is checked here; the write joins the group commit of signatures."""
    petition = get_visible(session, petition_id, user)
    now = clock.now()
    perm.check_sign(session, user, petition, now, rules_of(session, petition))
    count, public = SIGNATURES.submit(session, _Signing(petition.id, user.id, bool(public_name),
                                                        now))
    repo.sync_counts(petition, count, public)
    return count


def _write_signatures(session: Session, batch: Sequence[_Signing]) -> list:
    """Write a batch of online signatures: per petition one multi-row INSERT (the unique
    constraint decides a second signature), one counter UPDATE, the follows and the audit
    entries, in a savepoint of their own. Outcome per item: (count, public count) or the
    DomainError it is refused with."""
    outcomes: list = [None] * len(batch)
    by_petition: dict[int, list[int]] = {}
    for index, item in enumerate(batch):
        by_petition.setdefault(item.petition_id, []).append(index)
    for petition_id in sorted(by_petition):  # one lock order for every batch: no deadlock
        indexes = by_petition[petition_id]
        try:
            with session.begin_nested():
                results = _sign_petition(session, petition_id, [batch[i] for i in indexes])
        except _NotCollecting:
            results = [Conflict(N_("This petition is not collecting signatures."))] * len(
                indexes)
        for index, result in zip(indexes, results, strict=True):
            outcomes[index] = result
    return outcomes


def _sign_petition(session: Session, petition_id: int, items: list[_Signing]) -> list:
    now = max(item.at for item in items)
    petition = repo.lock_collecting(session, petition_id, now)
    if petition is None:
        raise _NotCollecting()
    inserted = repo.insert_signatures(session, [
        {"petition_id": petition_id, "user_id": item.user_id, "source": SignatureSource.online,
         "public_name": item.public_name, "created_at": item.at} for item in items])
    accepted: dict[int, _Signing] = {}  # the first request of each new signer, in order
    for item in items:
        if item.user_id in inserted and item.user_id not in accepted:
            accepted[item.user_id] = item
    threshold, before = petition.threshold, petition.signature_count
    late: list[int] = []
    if threshold is not None and before + len(accepted) > threshold:
        # Collection ends the moment the threshold is reached: later signers are refused.
        late = list(accepted)[max(0, threshold - before):]
        repo.delete_signatures(session, petition_id, late)
        for user_id in late:
            del accepted[user_id]
    if accepted:
        public = sum(item.public_name for item in accepted.values())
        if repo.bump_signatures(session, petition, len(accepted), public, now) is None:
            raise _NotCollecting()  # pragma: no cover - the row is locked and was collecting
        notifications.follow_many(session, list(accepted), SUBJECT, petition_id)
        written = clock.now()  # the log records when the act was written, as for ballots
        audit.append_many(session, [audit.event(
            "petition.signed", SUBJECT, petition_id, item.user_id, at=written,
            source=SignatureSource.online.value) for item in accepted.values()])
        if threshold is not None and petition.signature_count >= threshold:
            _reach_threshold(session, petition, now)
    counts = (petition.signature_count, petition.public_signer_count)
    duplicate = Conflict(N_("You have already signed this petition."))
    refused = Conflict(N_("This petition is not collecting signatures."))
    results: list = []
    for item in items:
        if item.user_id in accepted and accepted.pop(item.user_id) is item:
            results.append(counts)
        else:
            results.append(refused if item.user_id in late else duplicate)
    return results


SIGNATURES = GroupCommit("petition-signatures", _write_signatures)


def withdraw(session: Session, petition_id: int, user: User | None) -> int:
    """Take a signature back while the petition is open; returns the new count."""
    petition = get_visible(session, petition_id, user)
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
    audit.append(session, "petition.signature_withdrawn", SUBJECT, petition.id, user.id)
    return bumped[0]


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


def record_paper(session: Session, petition_id: int, official: User | None,
                 signer: PaperSigner) -> int:
    """Count a signature collected on paper. Deduplicated against online signatures through
    the signer's account (found by e-mail) and against other paper entries by identity."""
    petition = get_visible(session, petition_id, official)
    now = clock.now()
    perm.check_record_paper(session, official, petition, now)
    rules = rules_of(session, petition)
    name, address = _clean_title(signer.full_name), _clean_title(signer.address)
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
    count, reached = _add_signature(
        session, petition, now, duplicate=N_("This person has already signed this petition."),
        user_id=account.id if account else None, source=SignatureSource.paper,
        public_name=False, identity_hash=identity_hash(name, signer.birth_date, address),
        recorded_by_id=official.id)
    audit.append(session, "petition.paper_signature_recorded", SUBJECT, petition.id,
                 official.id, with_account=account is not None)
    if account is not None:
        notifications.follow(session, account, SUBJECT, petition.id)
    if reached:
        _reach_threshold(session, petition, now)
    return count


def _reach_threshold(session: Session, petition: Petition, now: datetime) -> None:
    """Collection succeeded: the addressed authority now owes an answer by the rules' date."""
    rules = rules_of(session, petition)
    obligation = accountability.open_obligation(
        session, kind=KIND, community_id=petition.community_id,
        authority_id=petition.authority_id, subject_type=SUBJECT, subject_id=petition.id,
        subject_title=petition.title, subject_path=path_of(petition.id),
        period=rules.answer_deadline, ruleset_id=petition.ruleset_id, opened_at=now)
    due = _utc(clock.aware(obligation.due_at))
    if not repo.transition(session, petition, (PetitionStatus.open,),
                           status=PetitionStatus.awaiting_answer, threshold_reached_at=now,
                           answer_due_at=due, updated_at=now):
        raise Conflict(N_("This petition is not collecting signatures."))
    audit.append(session, "petition.threshold_reached", SUBJECT, petition.id, None,
                 signatures=petition.signature_count, answer_due_at=due.isoformat())
    link, title = link_of(petition.id), petition.title
    notifications.notify_followers(session, SUBJECT, petition.id, f"petition:{petition.id}:"
                                   "threshold", lambda: (
        gettext("The petition reached its threshold"),
        gettext("The petition \u201c{title}\u201d has collected the signatures it needed. "
                "The authority must answer by {date}. Follow it here: {link}").format(
            title=title, date=last_day(due).strftime("%d.%m.%Y"), link=link)))


def last_day(moment: datetime | None) -> date | None:
    """The local day a deadline instant closes (deadlines end at local midnight)."""
    if moment is None:
        return None
    return (clock.aware(moment).astimezone(LOCAL_TZ) - timedelta(microseconds=1)).date()


def close_expired(session: Session) -> int:
    """Make closing durable: petitions whose period ended below the threshold become
    closed (pages already show them closed). For the worker and `hromada petitions close`."""
    now = clock.now()
    closed = repo.close_expired(session, now)
    for petition_id, title in closed:
        audit.append(session, "petition.closed", SUBJECT, petition_id, None)
        link = link_of(petition_id)
        notifications.notify_followers(
            session, SUBJECT, petition_id, f"petition:{petition_id}:closed",
            lambda title=title, link=link: (
                gettext("The petition closed without enough signatures"),
                gettext("The collection period of \u201c{title}\u201d has ended below the "
                        "threshold, so the authority owes no answer. {link}").format(
                    title=title, link=link)))
    return len(closed)


# -- answer, rating, updates ----------------------------------------------------------------

def answer(session: Session, petition_id: int, official: User | None, data: AnswerCreate
           ) -> PetitionAnswer:
    """The addressed authority's answer: public, closes the obligation on time or late."""
    petition = get_visible(session, petition_id, official)
    now = clock.now()
    perm.check_answer(session, official, petition, now)
    rules = rules_of(session, petition)
    text = _clean_text(data.text)
    steps = _clean_text(data.planned_steps or "") or None
    forwarded_to = _clean_title(data.forwarded_to or "") or None
    errors: dict[str, tuple[str, dict]] = {}
    if not ANSWER_MIN <= len(text) <= rules.text_max:
        errors["text"] = (N_("Give the reasons for the decision ({min} to {max} characters)."),
                          {"min": ANSWER_MIN, "max": rules.text_max})
    if steps is not None and len(steps) > rules.text_max:
        errors["planned_steps"] = (N_("This is too long (at most {max_length} characters)."),
                                   {"max_length": rules.text_max})
    if data.planned_by is not None and data.planned_by < clock.today():
        errors["planned_by"] = (N_("A planned date cannot be in the past."), {})
    if data.decision == Decision.forwarded and not forwarded_to:
        errors["forwarded_to"] = (N_("Name the body the petition was forwarded to."), {})
    if errors:
        raise InvalidInput(fields=errors)
    if not repo.transition(session, petition, (PetitionStatus.awaiting_answer,),
                           status=PetitionStatus.answered, answered_at=now, updated_at=now):
        raise Conflict(N_("This petition is not awaiting an answer."))
    result = repo.add_answer(session, PetitionAnswer(
        petition_id=petition.id, authority_id=petition.authority_id, official_id=official.id,
        decision=str(data.decision), text=text, planned_steps=steps,
        planned_by=data.planned_by,
        forwarded_to=forwarded_to if data.decision == Decision.forwarded else None,
        created_at=now))
    obligation = accountability.answer(session, KIND, SUBJECT, petition.id,
                                       summary=text[:500], answered_at=now)
    on_time = now <= clock.aware(obligation.due_at)
    audit.append(session, "petition.answered", SUBJECT, petition.id, official.id,
                 decision=str(data.decision), on_time=on_time)
    link, title, decision = link_of(petition.id), petition.title, DECISION_LABELS[data.decision]
    notifications.notify_followers(
        session, SUBJECT, petition.id, f"petition:{petition.id}:answered", lambda: (
            gettext("The authority answered the petition"),
            gettext("The petition \u201c{title}\u201d has an answer: {decision}. Read it and "
                    "rate whether it addressed the substance: {link}").format(
                title=title, decision=gettext(decision), link=link)))
    return result


def rate(session: Session, petition_id: int, user: User | None, value: Rating | str
         ) -> Obligation:
    """A signer's one rating of whether the answer addressed the substance."""
    petition = get_visible(session, petition_id, user)
    perm.check_rate(session, user, petition, clock.now())
    if value not in Rating.__members__:
        raise InvalidInput(N_("Choose yes, partly or no."),
                           fields={"value": N_("Choose yes, partly or no.")})
    if not repo.set_rating(session, petition.id, user.id, str(value)):
        if repo.signature_of(session, petition.id, user.id) is None:
            raise Forbidden(N_("Only signers of this petition can rate the answer."))
        raise Conflict(N_("You have already rated this answer."))
    obligation = accountability.record_rating(session, KIND, SUBJECT, petition.id, str(value))
    audit.append(session, "petition.rated", SUBJECT, petition.id, user.id, value=str(value))
    return obligation


def post_update(session: Session, petition_id: int, official: User | None, data: UpdateCreate
                ) -> PetitionUpdate:
    """An implementation update of a (partly) supported petition; followers hear of it."""
    petition = get_visible(session, petition_id, official)
    now = clock.now()
    perm.check_post_update(session, official, petition, now)
    _, result, _ = repo.outcome(session, petition.id)
    if result is None or result.decision not in IMPLEMENTED_DECISIONS:
        raise Conflict(N_("Implementation updates are posted for supported petitions."))
    text = _clean_text(data.text)
    happened_on = data.happened_on or clock.today()
    errors: dict[str, tuple[str, dict]] = {}
    if not UPDATE_MIN <= len(text) <= UPDATE_MAX:
        errors["text"] = (N_("Describe the progress ({min} to {max} characters)."),
                          {"min": UPDATE_MIN, "max": UPDATE_MAX})
    if happened_on > clock.today():
        errors["happened_on"] = (N_("An update reports what has happened: the date cannot be "
                                    "in the future."), {})
    if errors:
        raise InvalidInput(fields=errors)
    item = repo.add_update(session, PetitionUpdate(
        petition_id=petition.id, author_id=official.id, status=str(data.status), text=text,
        happened_on=happened_on, created_at=now))
    audit.append(session, "petition.update_posted", SUBJECT, petition.id, official.id,
                 status=str(data.status))
    link, title, label = link_of(petition.id), petition.title, UPDATE_LABELS[data.status]
    notifications.notify_followers(
        session, SUBJECT, petition.id, f"petition:{petition.id}:update:{item.id}", lambda: (
            gettext("Implementation update on a petition you follow"),
            gettext("\u201c{title}\u201d: {status}.\n\n{text}\n\n{link}").format(
                title=title, status=gettext(label), text=text, link=link)),
        exclude_user_id=official.id)
    return item


def follow(session: Session, petition_id: int, user: User | None) -> None:
    petition = get_visible(session, petition_id, user)
    perm.check_follow(session, user, petition, clock.now())
    notifications.follow(session, user, SUBJECT, petition.id)


def unfollow(session: Session, petition_id: int, user: User | None) -> None:
    petition = get_visible(session, petition_id, user)
    if user is None:
        raise NotAuthenticated()
    notifications.unfollow(session, user, SUBJECT, petition.id)


# -- reading --------------------------------------------------------------------------------

@dataclass
class PetitionView:
    """Everything a petition page shows, loaded in a fixed, small number of queries."""

    petition: Petition
    community: Community
    authority: Authority
    status: PublicStatus
    now: datetime
    obligation: Obligation | None = None
    answer: PetitionAnswer | None = None
    updates: list[PetitionUpdate] = field(default_factory=list)
    signers: list[tuple[str, datetime]] = field(default_factory=list)
    privileged: bool = False
    signature: object | None = None
    following: bool = False
    can: dict[str, bool] = field(default_factory=dict)
    sign_denied: str | None = None  # why this viewer cannot sign an open petition
    rules: PetitionRules | None = None

    @property
    def show_title(self) -> bool:
        return self.privileged or not perm.withheld_title(self.petition)

    @property
    def show_text(self) -> bool:
        return self.privileged or not perm.withheld_text(self.petition)

    @property
    def show_reason(self) -> bool:
        return self.privileged or self.petition.rejection_reason != RejectionReason.offensive

    @property
    def progress(self) -> int:
        threshold = self.petition.threshold
        if not threshold:
            return 0
        return min(100, self.petition.signature_count * 100 // threshold)

    @property
    def days_left(self) -> int | None:
        return days_left(self.petition, self.now)

    @property
    def obligation_status(self) -> str | None:
        if self.obligation is None:
            return None
        return accountability.status_of(self.obligation, self.now).value

    @property
    def ratings(self) -> RatingsPublic | None:
        o = self.obligation
        if o is None or o.answered_at is None:
            return None
        return RatingsPublic(yes=o.rating_yes, partly=o.rating_partly, no=o.rating_no,
                             total=o.rating_yes + o.rating_partly + o.rating_no)

    @property
    def on_time(self) -> bool | None:
        o = self.obligation
        if o is None or o.answered_at is None:
            return None
        return clock.aware(o.answered_at) <= clock.aware(o.due_at)


def days_left(petition: Petition, now: datetime) -> int | None:
    if petition.status != PetitionStatus.open or petition.collection_ends_at is None:
        return None
    seconds = (clock.aware(petition.collection_ends_at) - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def detail(session: Session, petition_id: int, user: User | None, *,
           actions: bool = True) -> PetitionView:
    """The petition page: one query for the petition (with community and authority), one
    for its obligation, answer and updates (only once it has them), and one for up to 20
    consenting signers' names (only when there are any). The viewer's own state (signed?
    following? what may they do?) costs a few more only when someone is logged in."""
    row = repo.page_row(session, petition_id)
    if row is None:
        raise NotFound(N_("No such petition."))
    petition, community, authority = row
    now = clock.now()
    perm.check_view(session, user, petition, now)
    view = PetitionView(petition=petition, community=community, authority=authority,
                        status=public_status(petition, now), now=now)
    if petition.status in (PetitionStatus.awaiting_answer, PetitionStatus.answered):
        view.obligation, view.answer, view.updates = repo.outcome(session, petition.id)
    if petition.public_signer_count > 0:
        view.signers = repo.public_signers(session, petition.id, limit=SIGNER_SAMPLE)
    if user is not None:
        view.privileged = perm.sees_withheld(session, user, petition)
        if actions:
            _viewer_state(session, view, user)
    return view


def _viewer_state(session: Session, view: PetitionView, user: User) -> None:
    petition, now = view.petition, view.now
    view.rules = rules_of(session, petition)
    if petition.status not in (PetitionStatus.draft, PetitionStatus.moderation):
        view.signature = repo.signature_of(session, petition.id, user.id)
        view.following = notifications.is_following(session, user, SUBJECT, petition.id)
    a = perm.allowed
    view.can = {
        "edit": a(perm.check_edit, session, user, petition, now),
        "submit": a(perm.check_submit, session, user, petition, now),
        "sponsor": a(perm.check_sponsor, session, user, petition, now, view.rules)
        and not repo.is_sponsor(session, petition.id, user.id),
        "moderate": a(perm.check_moderate, session, user, petition, now),
        "sign": view.signature is None
        and a(perm.check_sign, session, user, petition, now, view.rules),
        "withdraw": view.signature is not None
        and a(perm.check_withdraw, session, user, petition, now),
        "paper": a(perm.check_record_paper, session, user, petition, now),
        "answer": a(perm.check_answer, session, user, petition, now),
        "rate": view.signature is not None and view.signature.rating is None
        and a(perm.check_rate, session, user, petition, now),
        "update": view.answer is not None and view.answer.decision in IMPLEMENTED_DECISIONS
        and a(perm.check_post_update, session, user, petition, now),
        "follow": a(perm.check_follow, session, user, petition, now),
    }
    if view.status == PublicStatus.open and view.signature is None and not view.can["sign"]:
        try:
            perm.check_sign(session, user, petition, now, view.rules)
        except DomainError as exc:
            view.sign_denied = gettext(exc.message).format(**exc.params)


def signers_page(session: Session, petition_id: int, user: User | None, page: int
                 ) -> tuple[Petition, list[tuple[str, datetime]], int]:
    petition = get_visible(session, petition_id, user)
    size = get_settings().page_size
    pages = max(1, math.ceil(petition.public_signer_count / size))
    page = min(max(1, page), pages)
    return petition, repo.public_signers(session, petition.id, offset=(page - 1) * size,
                                         limit=size), pages


def to_summary(petition: Petition, now: datetime) -> PetitionSummary:
    return PetitionSummary(
        id=petition.id, community_id=petition.community_id, authority_id=petition.authority_id,
        title=None if perm.withheld_title(petition) else petition.title,
        category=Category(petition.category), status=public_status(petition, now),
        signature_count=petition.signature_count, threshold=petition.threshold,
        published_at=petition.published_at, collection_ends_at=petition.collection_ends_at,
        answer_due_at=petition.answer_due_at, answered_at=petition.answered_at)


def to_public(view: PetitionView) -> PetitionPublic:
    p = view.petition
    summary = to_summary(p, view.now).model_dump()
    if view.privileged:
        summary["title"] = p.title
    answer = None
    if view.answer is not None:
        answer = AnswerPublic(decision=Decision(view.answer.decision), text=view.answer.text,
                              planned_steps=view.answer.planned_steps,
                              planned_by=view.answer.planned_by,
                              forwarded_to=view.answer.forwarded_to,
                              answered_at=view.answer.created_at,
                              on_time=bool(view.on_time))
    rejection = None
    if p.status == PetitionStatus.rejected:
        rejection = RejectionPublic(
            reason=RejectionReason(p.rejection_reason) if view.show_reason else None,
            explanation=p.rejection_text if view.show_reason else None,
            rejected_at=p.rejected_at)
    return PetitionPublic(
        **summary, text=p.text if view.show_text else None, sponsor_count=p.sponsor_count,
        sponsors_required=p.sponsors_required, ruleset_id=p.ruleset_id,
        created_at=p.created_at, submitted_at=p.submitted_at,
        moderation_due_at=p.moderation_due_at, threshold_reached_at=p.threshold_reached_at,
        closed_at=p.closed_at, days_left=view.days_left,
        obligation_status=view.obligation_status, answer=answer, ratings=view.ratings,
        rejection=rejection,
        updates=[UpdatePublic(status=UpdateStatus(u.status), text=u.text,
                              happened_on=u.happened_on, created_at=u.created_at)
                 for u in view.updates])


@dataclass
class Listing:
    rows: list[tuple[Petition, str, PublicStatus]]  # petition, community name, status
    total: int
    page: int
    pages: int
    now: datetime


def listing(session: Session, *, community: str | None = None,
            status: PublicStatus | None = None, category: str | None = None,
            q: str | None = None, sort: str = "newest", page: int = 1,
            size: int | None = None) -> Listing:
    community_id = communities.get_by_slug(session, community).id if community else None
    if status is not None and status not in LISTED_STATUSES:
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"status": N_("Choose one of the offered options.")})
    size = size or get_settings().page_size
    page = max(1, page)
    now = clock.now()
    rows, total = repo.search(session, now=now, community_id=community_id, status=status,
                              category=category, q=q, sort=sort, offset=(page - 1) * size,
                              limit=size)
    return Listing(rows=[(p, name, public_status(p, now)) for p, name in rows], total=total,
                   page=page, pages=max(1, math.ceil(total / size)), now=now)


def similar(session: Session, q: str, community_id: int | None = None,
            exclude_id: int | None = None) -> list[Petition]:
    return repo.similar(session, q, community_id, exclude_id=exclude_id)


def moderation_queue(session: Session, user: User | None) -> list[Petition]:
    if user is None:
        raise NotAuthenticated()
    if community_permissions.is_admin(user):
        return repo.in_moderation(session, None)
    communities_ids = sorted(community_permissions.memberships(session, user).moderator_in)
    if not communities_ids:
        raise Forbidden(N_("Only moderators can see the moderation queue."))
    return repo.in_moderation(session, communities_ids)


def authored(session: Session, user: User) -> list[Petition]:
    return repo.authored(session, user.id)


def export(session: Session) -> Iterator[ExportRow]:
    """The open-data export: listed petitions, their outcome and ratings; no personal data."""
    now = clock.now()
    for petition, slug, authority, decision, obligation in repo.export_rows(session):
        answered = obligation is not None and obligation.answered_at is not None
        yield ExportRow(
            id=petition.id, community=slug, authority=authority,
            title=None if perm.withheld_title(petition) else petition.title,
            category=Category(petition.category), status=public_status(petition, now),
            signature_count=petition.signature_count, threshold=petition.threshold,
            published_at=petition.published_at, collection_ends_at=petition.collection_ends_at,
            threshold_reached_at=petition.threshold_reached_at,
            answer_due_at=petition.answer_due_at, answered_at=petition.answered_at,
            decision=Decision(decision) if decision else None,
            answered_on_time=(clock.aware(obligation.answered_at)
                              <= clock.aware(obligation.due_at)) if answered else None,
            rating_yes=obligation.rating_yes if answered else None,
            rating_partly=obligation.rating_partly if answered else None,
            rating_no=obligation.rating_no if answered else None,
            rejection_reason=(RejectionReason(petition.rejection_reason)
                              if petition.rejection_reason
                              and petition.rejection_reason != RejectionReason.offensive
                              else None))


# -- personal data (the kernel's privacy hooks) ---------------------------------------------

def personal_data(session: Session, user: User) -> dict:
    """Everything this module holds about a person (for the personal data download)."""
    return {
        "petitions_authored": [
            {"id": p.id, "title": p.title, "status": p.status, "created_at": p.created_at}
            for p in repo.authored(session, user.id)],
        "signatures": [
            {"petition_id": p.id, "petition_title": p.title, "source": s.source,
             "public_name": s.public_name, "rating": s.rating, "signed_at": s.created_at}
            for s, p in repo.signatures_of_user(session, user.id)],
        "sponsorships": [{"petition_id": p.id, "petition_title": p.title,
                          "sponsored_at": s.created_at}
                         for s, p in repo.sponsorships_of_user(session, user.id)],
        "answers_given": [{"petition_id": a.petition_id, "decision": a.decision,
                           "answered_at": a.created_at}
                          for a in repo.answers_by(session, user.id)],
        "updates_posted": [{"petition_id": u.petition_id, "status": u.status,
                            "happened_on": u.happened_on}
                           for u in repo.updates_by(session, user.id)],
    }


def erase_user(session: Session, user: User) -> None:
    """On account erasure: the name leaves every signer list, unpublished drafts go; every
    signature, sponsorship and rating stays counted."""
    repo.unname_signer(session, user.id)
    repo.delete_drafts(session, user.id)
    session.flush()


def _months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0)
                           else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return moment.replace(year=year, month=month + 1, day=day)


def purge(session: Session, now: datetime) -> int:
    """Forget signer identities settings.signer_retention_months after a petition ended."""
    cutoff = _months_before(now, get_settings().signer_retention_months)
    return repo.anonymise_signers(session, cutoff)
