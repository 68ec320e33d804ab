"""From a draft to publication: drafting, submitting, sponsors, moderation.

A draft is checked against the rules in force; at submission the petition records the
rule-set version and the threshold computed from it, and from then on reads only that
version. A moderator publishes it (the collection opens) or rejects it with a reason.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions as community_permissions
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import Authority, Community
from app.exceptions import Conflict, InvalidInput, NotFound
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import service as rules_service
from app.rules.schema import DayUnit, Period
from app.web.i18n import N_, gettext
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import (
    SUBJECT_TYPE,
    Category,
    Petition,
    PetitionCreate,
    PetitionStatus,
    RejectionReason,
)
from petitions.rules import PetitionRules
from petitions.service.common import (
    clean_text,
    clean_title,
    last_day,
    link_of,
    load,
    rules_of,
    utc,
)

# Lower bounds of a meaningful text. The upper bounds are the community's rules.
TITLE_MIN = 10
TEXT_MIN = 50
EXPLANATION_MIN = 10
EXPLANATION_MAX = 2000


# -- drafting -------------------------------------------------------------------------------

def _validated(session: Session, rules: PetitionRules, community_id: int, *, title: str,
               text: str, category: str, authority_id: int | None) -> tuple[str, str]:
    """Normalised title and text, or InvalidInput naming every field that is wrong."""
    errors: dict[str, tuple[str, dict]] = {}
    title, text = clean_title(title), clean_text(text)
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
    return communities_repo.authorities(session, community_id)


def drafting_communities(session: Session, user: User) -> list[Community]:
    """The communities where this person may start a petition."""
    verified = community_permissions.memberships(session, user).verified_in
    return [c for c in communities_repo.communities(session) if c.id in verified]


def create(session: Session, user: User | None, data: PetitionCreate) -> Petition:
    """A new draft (submitted at once when data.submit)."""
    community = communities.get(session, data.community_id)
    version = rules_service.current(session, community.id)
    rules = version.rules.petitions
    perm.check_create(session, user, community.id, rules)
    title, text = _validated(session, rules, community.id, title=data.title, text=data.text,
                             category=data.category, authority_id=data.authority_id)
    now = clock.now()
    petition = repo.add(session, Petition(
        community_id=community.id, authority_id=data.authority_id, author_id=user.id,
        title=title, text=text, category=str(data.category), status=PetitionStatus.draft,
        ruleset_id=version.id, created_at=now, updated_at=now))
    notifications.follow(session, user, SUBJECT_TYPE, petition.id)
    if data.submit:
        submit(session, user, petition.id)
    return petition


def edit(session: Session, user: User | None, petition_id: int, *, title: str, text: str,
         category: str, authority_id: int) -> Petition:
    petition = load(session, petition_id)
    perm.check_edit(session, user, petition, clock.now())
    rules = rules_service.current(session, petition.community_id).rules.petitions
    title, text = _validated(session, rules, petition.community_id, title=title, text=text,
                             category=category, authority_id=authority_id)
    petition.title, petition.text, petition.category = title, text, category
    petition.authority_id, petition.updated_at = authority_id, clock.now()
    session.add(petition)
    session.flush()
    return petition


def submit(session: Session, user: User | None, petition_id: int) -> Petition:
    """Leave draft: to sponsoring when the rules ask for sponsors, else to moderation.

    The petition now keeps this rule-set version and the threshold computed from it.
    """
    petition = load(session, petition_id)
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
        values["moderation_due_at"] = utc(rules_service.deadline(
            session, petition.community_id, now, rules.moderation_deadline))
    if not repo.transition(session, petition, (PetitionStatus.draft,), **values):
        raise Conflict(N_("Only a draft can be changed or submitted."))
    audit.append(session, "petition.submitted", SUBJECT_TYPE, petition.id, user.id,
                 ruleset_id=version.id, threshold=values["threshold"],
                 sponsors_required=rules.sponsors_required)
    return petition


# -- sponsors -------------------------------------------------------------------------------

class _NotSponsoring(Exception):
    """Raised inside a savepoint to undo its writes when the guarded UPDATE found nothing."""


def sponsor(session: Session, user: User | None, petition_id: int) -> Petition:
    petition = load(session, petition_id)
    now = clock.now()
    rules = rules_of(session, petition)
    perm.check_sponsor(session, user, petition, now, rules)
    try:
        with session.begin_nested():
            repo.insert_sponsor(session, petition.id, user.id, now)
            count = repo.bump_sponsors(session, petition)
            if count is None:
                raise _NotSponsoring()
    except IntegrityError:
        raise Conflict(N_("You already sponsor this petition.")) from None
    except _NotSponsoring:
        raise Conflict(N_("This petition is not looking for sponsors.")) from None
    audit.append(session, "petition.sponsored", SUBJECT_TYPE, petition.id, user.id, count=count)
    notifications.follow(session, user, SUBJECT_TYPE, petition.id)
    if count >= petition.sponsors_required:
        due = utc(rules_service.deadline(session, petition.community_id, now,
                                         rules.moderation_deadline))
        if repo.transition(session, petition, (PetitionStatus.sponsoring,),
                           status=PetitionStatus.moderation, moderation_due_at=due,
                           updated_at=now):
            audit.append(session, "petition.sponsors_gathered", SUBJECT_TYPE, petition.id,
                         None, count=count)
    return petition


# -- moderation -----------------------------------------------------------------------------

def moderation_queue(session: Session, user: User | None) -> list[Petition]:
    """The petitions this moderator (or an admin: every community's) has to decide on."""
    return repo.in_moderation(session, perm.check_see_moderation_queue(session, user))


def _tell_author(session: Session, petition: Petition, key: str, render) -> None:
    if petition.author_id is None:
        return
    author = session.get(User, petition.author_id)
    if author is not None:
        notifications.send_to(session, author, f"petition:{petition.id}:{key}", render)


def publish(session: Session, moderator: User | None, petition_id: int) -> Petition:
    """Open the collection: it ends after the rules' collection days, at local midnight."""
    petition = load(session, petition_id)
    now = clock.now()
    perm.check_moderate(session, moderator, petition, now)
    rules = rules_of(session, petition)
    ends = utc(rules_service.deadline(session, petition.community_id, now,
                                      Period(days=rules.collection_days,
                                             unit=DayUnit.calendar)))
    if not repo.transition(session, petition, (PetitionStatus.moderation,),
                           status=PetitionStatus.open, published_at=now,
                           collection_ends_at=ends, moderator_id=moderator.id, updated_at=now):
        raise Conflict(N_("This petition is not waiting for moderation."))
    audit.append(session, "petition.published", SUBJECT_TYPE, petition.id, moderator.id,
                 collection_ends_at=ends.isoformat(), threshold=petition.threshold)
    link = link_of(petition.id)
    _tell_author(session, petition, "published", lambda: (
        gettext("Your petition is published"),
        gettext("Your petition \u201c{title}\u201d is published and collects signatures "
                "until {date}. Share it: {link}").format(
            title=petition.title, date=last_day(ends).strftime("%d.%m.%Y"), link=link)))
    return petition


def _validated_rejection(reason: RejectionReason | str, explanation: str) -> str:
    """The normalised explanation, or InvalidInput naming every field that is wrong."""
    explanation = clean_text(explanation)
    errors: dict[str, tuple[str, dict]] = {}
    if reason not in RejectionReason.__members__:
        errors["reason"] = (N_("Choose one of the offered options."), {})
    if not EXPLANATION_MIN <= len(explanation) <= EXPLANATION_MAX:
        errors["explanation"] = (N_("Explain the decision ({min} to {max} characters)."),
                                 {"min": EXPLANATION_MIN, "max": EXPLANATION_MAX})
    if errors:
        raise InvalidInput(fields=errors)
    return explanation


def reject(session: Session, moderator: User | None, petition_id: int,
           reason: RejectionReason | str, explanation: str) -> Petition:
    petition = load(session, petition_id)
    now = clock.now()
    perm.check_moderate(session, moderator, petition, now)
    explanation = _validated_rejection(reason, explanation)
    if not repo.transition(session, petition, (PetitionStatus.moderation,),
                           status=PetitionStatus.rejected, rejected_at=now,
                           rejection_reason=str(reason), rejection_text=explanation,
                           moderator_id=moderator.id, updated_at=now):
        raise Conflict(N_("This petition is not waiting for moderation."))
    audit.append(session, "petition.rejected", SUBJECT_TYPE, petition.id, moderator.id,
                 reason=str(reason))
    link = link_of(petition.id)
    _tell_author(session, petition, "rejected", lambda: (
        gettext("Your petition was not published"),
        gettext("The moderator did not publish your petition \u201c{title}\u201d. "
                "The reasons: {link}").format(title=petition.title, link=link)))
    return petition
