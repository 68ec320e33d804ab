"""Who may do what to a petition, in which state: named permissions built from the kernel's
predicates (app.communities.permissions).

Each `check_*` raises the error a person should see (401 not logged in, 403 wrong role,
409 wrong state); the kernel's `allowed(check, ...)` turns one into a yes/no for templates,
and petitions/dependencies.py runs them when a route loads its petition. For what
residents do (sponsor, sign, withdraw, rate) the state is checked first: "this petition is
not collecting signatures" is the useful answer for everyone. For what staff do (moderate,
record paper signatures, answer, post updates) the role is checked first.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.communities import permissions as p
from app.deliberation.permissions import check_not_blocked
from app.deliberation.permissions import is_moderator as moderates
from app.exceptions import Conflict, Forbidden, NotFound
from app.identity.models import User
from app.web.i18n import N_
from petitions import repository as repo
from petitions.models import (
    LISTED,
    Petition,
    PetitionStatus,
    PublicStatus,
    RejectionReason,
    public_status,
)
from petitions.rules import PetitionRules

# Stored statuses anyone may open by link: the listed ones, and sponsoring (not listed, but
# its author shares the link to find sponsors).
PUBLIC = frozenset({PetitionStatus.sponsoring, *LISTED})


def is_author(user: User | None, petition: Petition) -> bool:
    return user is not None and petition.author_id is not None and user.id == petition.author_id


def is_moderator(session: Session, user: User | None, petition: Petition) -> bool:
    return p.is_moderator_in(session, user, petition.community_id)


def sees_withheld(session: Session, user: User | None, petition: Petition) -> bool:
    """Author, the community's moderators and admins see what the public does not."""
    return (is_author(user, petition) or p.is_admin(user)
            or is_moderator(session, user, petition))


def withheld_title(petition: Petition) -> bool:
    return (petition.status == PetitionStatus.rejected
            and petition.rejection_reason == RejectionReason.offensive)


def withheld_text(petition: Petition) -> bool:
    return petition.hidden_by_moderation or (
        petition.status == PetitionStatus.rejected and petition.rejection_reason in (
            RejectionReason.offensive, RejectionReason.personal_data))


def check_view(session: Session, user: User | None, petition: Petition, now: datetime) -> None:
    if petition.status in PUBLIC:
        return
    if is_author(user, petition) or p.is_admin(user):
        return
    if petition.status == PetitionStatus.moderation and (
            is_moderator(session, user, petition)
            or (user is not None and repo.is_sponsor(session, petition.id, user.id))):
        return  # its sponsors follow it into moderation, read-only
    raise NotFound(N_("No such petition."))


def check_create(session: Session, user: User | None, community_id: int, rules: PetitionRules
                 ) -> None:
    user = p.logged_in(user)
    check_not_blocked(session, user, community_id)
    if not p.is_verified_resident(session, user, community_id):
        raise Forbidden(N_("Only verified residents of this community can start a petition."))
    if not p.meets_minimum_age(user, rules.minimum_age):
        raise Forbidden(N_("You must be at least {age} years old to do this."),
                        age=rules.minimum_age)


def check_edit(session: Session, user: User | None, petition: Petition, now: datetime) -> None:
    p.logged_in(user)
    if not is_author(user, petition):
        raise Forbidden(N_("Only the author can change this petition."))
    if petition.status != PetitionStatus.draft:
        raise Conflict(N_("Only a draft can be changed or submitted."))


def check_submit(session: Session, user: User | None, petition: Petition, now: datetime
                 ) -> None:
    check_edit(session, user, petition, now)
    if not p.is_verified_resident(session, user, petition.community_id):
        raise Forbidden(N_("Only verified residents of this community can start a petition."))


def _resident_of_age(session: Session, user: User, petition: Petition, rules: PetitionRules,
                     level: str) -> None:
    """The level of assurance the rules ask for the act (saying what is missing), and age."""
    p.check_level(session, user, petition.community_id, level)
    if not p.meets_minimum_age(user, rules.minimum_age):
        if user.birth_date is None:
            raise Forbidden(N_("Add your date of birth to your account first: the community's "
                               "rules set a minimum age of {age}."), age=rules.minimum_age)
        raise Forbidden(N_("You must be at least {age} years old to do this."),
                        age=rules.minimum_age)


def check_sponsor(session: Session, user: User | None, petition: Petition, now: datetime,
                  rules: PetitionRules) -> None:
    if petition.status != PetitionStatus.sponsoring:
        raise Conflict(N_("This petition is not looking for sponsors."))
    user = p.logged_in(user)
    if is_author(user, petition):
        raise Forbidden(N_("The author cannot sponsor their own petition."))
    check_not_blocked(session, user, petition.community_id)
    _resident_of_age(session, user, petition, rules, rules.sponsor_level)


def check_moderate(session: Session, user: User | None, petition: Petition, now: datetime
                   ) -> None:
    user = p.logged_in(user)
    if not is_moderator(session, user, petition):
        raise Forbidden(N_("Only a moderator of this community can publish or reject "
                           "petitions."))
    if is_author(user, petition):
        raise Forbidden(N_("A moderator cannot moderate their own petition."))
    if petition.status != PetitionStatus.moderation:
        raise Conflict(N_("This petition is not waiting for moderation."))


def check_see_moderation_queue(session: Session, user: User | None) -> list[int] | None:
    """The communities whose queue this person sees: None for an admin (every community)."""
    user = p.logged_in(user)
    if p.is_admin(user):
        return None
    community_ids = sorted(p.memberships(session, user).moderator_in)
    if not community_ids:
        raise Forbidden(N_("Only moderators can see the moderation queue."))
    return community_ids


def _collecting(petition: Petition, now: datetime) -> None:
    if public_status(petition, now) != PublicStatus.open:
        raise Conflict(N_("This petition is not collecting signatures."))


def check_sign(session: Session, user: User | None, petition: Petition, now: datetime,
               rules: PetitionRules) -> None:
    _collecting(petition, now)
    user = p.logged_in(user)
    check_not_blocked(session, user, petition.community_id)
    _resident_of_age(session, user, petition, rules, rules.sign_level)


def check_withdraw(session: Session, user: User | None, petition: Petition, now: datetime
                   ) -> None:
    _collecting(petition, now)
    p.logged_in(user)
    check_not_blocked(session, user, petition.community_id)


def check_record_paper(session: Session, user: User | None, petition: Petition,
                       now: datetime) -> None:
    user = p.logged_in(user)
    if not p.is_official_in(session, user, petition.community_id):
        raise Forbidden(N_("Only an official of this community can record paper signatures."))
    _collecting(petition, now)


def check_answer(session: Session, user: User | None, petition: Petition, now: datetime
                 ) -> None:
    user = p.logged_in(user)
    if not p.is_official_of(session, user, petition.authority_id):
        raise Forbidden(N_("Only an official of the addressed authority can answer this "
                           "petition."))
    if petition.status != PetitionStatus.awaiting_answer:
        raise Conflict(N_("This petition is not awaiting an answer."))


def check_rate(session: Session, user: User | None, petition: Petition, now: datetime
               ) -> None:
    if petition.status != PetitionStatus.answered:
        raise Conflict(N_("There is no answer to rate yet."))
    p.logged_in(user)


def check_rater_signed(signed: bool) -> None:
    """Only signers rate the answer (asked after the rating's own guarded UPDATE found no
    signature to rate: the UPDATE is the check, this names its refusal)."""
    if not signed:
        raise Forbidden(N_("Only signers of this petition can rate the answer."))


def check_post_update(session: Session, user: User | None, petition: Petition,
                      now: datetime) -> None:
    user = p.logged_in(user)
    if not p.is_official_of(session, user, petition.authority_id):
        raise Forbidden(N_("Only an official of the addressed authority can report on "
                           "implementation."))
    if petition.status != PetitionStatus.answered:
        raise Conflict(N_("Implementation updates follow an answer."))


def check_follow(session: Session, user: User | None, petition: Petition, now: datetime
                 ) -> None:
    p.logged_in(user)
    if petition.status not in PUBLIC:
        raise Conflict(N_("Only a public petition can be followed."))


def check_unfollow(session: Session, user: User | None, petition: Petition, now: datetime
                   ) -> None:
    p.logged_in(user)


def check_see_arrivals(session: Session, user: User | None, petition: Petition, now: datetime
                       ) -> None:
    """How signatures arrived (hours, e-mail domains, networks): the community's moderators
    and administrators, once the petition collects."""
    p.logged_in(user)
    if not moderates(session, user, petition.community_id):
        raise Forbidden(N_("Only a moderator of this community can see how signatures "
                           "arrived."))


def check_invalidate(session: Session, user: User | None, petition: Petition, now: datetime
                     ) -> None:
    """Invalidate a set of signatures: a moderator of the community (or an administrator),
    once the petition has collected any (open, awaiting an answer or answered)."""
    check_see_arrivals(session, user, petition, now)
    if petition.status not in (PetitionStatus.open, PetitionStatus.awaiting_answer,
                               PetitionStatus.answered, PetitionStatus.closed):
        raise Conflict(N_("This petition has no signatures to invalidate."))
