"""Who may comment, report, moderate, appeal and block: named permissions of the kernel's
predicates (app.communities.permissions), in the project's one idiom. Each check raises the
error a person should see; `allowed(check, ...)` makes one a yes/no for a page.

A blocked account keeps what it did before (its signatures, votes and comments stay) but may
not act in the community until the block ends: every act of every module calls
`check_not_blocked` with the community it acts in.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app import clock
from app.communities import permissions as p
from app.deliberation import repository as repo
from app.deliberation.models import Case, CaseState, Comment, Decision
from app.deliberation.rules import DeliberationRules
from app.exceptions import Conflict, Forbidden
from app.identity.models import User
from app.modules import CommentTarget
from app.web.i18n import N_

BLOCKED = N_("Your account is blocked in this community until {until}: {reason}")
BLOCKED_FOR_GOOD = N_("Your account is blocked in this community: {reason}")


# -- predicates ---------------------------------------------------------------------------

def is_moderator(session: Session, user: User | None, community_id: int) -> bool:
    return p.is_moderator_in(session, user, community_id) or p.is_admin(user)


def speaks_for_authority(session: Session, user: User | None, community_id: int) -> bool:
    """An official of the community: comments as their authority."""
    return p.is_official_in(session, user, community_id)


def check_not_blocked(session: Session, user: User | None, community_id: int) -> None:
    """Forbidden, with the reason and the end, while a block of the person in the community
    runs. The running blocks come with the person's memberships (one query per request)."""
    if user is None:
        return
    block_id = p.memberships(session, user).blocked_in.get(community_id)
    if block_id is None:
        return
    found = repo.block(session, block_id)
    if found is None or found.lifted_at is not None or (  # lifted or ended since they were read
            found.ends_at is not None and clock.aware(found.ends_at) <= clock.now()):
        return
    if found.ends_at is None:
        raise Forbidden(BLOCKED_FOR_GOOD, reason=found.reason)
    raise Forbidden(BLOCKED, reason=found.reason,
                    until=clock.aware(found.ends_at).strftime("%d.%m.%Y %H:%M UTC"))


# -- acts ---------------------------------------------------------------------------------

def check_comment(session: Session, user: User | None, target: CommentTarget,
                  rules: DeliberationRules) -> None:
    """Comment while the item's phase takes comments: whoever the item's module admits when it
    says who takes part; otherwise whoever the rules name (their level of assurance) and the
    community's officials, who answer for their authority."""
    user = p.logged_in(user)
    check_not_blocked(session, user, target.community_id)
    if target.closed is not None:
        raise Conflict(target.closed)
    if target.takes_part is not None:  # the item's module says who takes part
        if not target.takes_part:
            raise Forbidden(target.refused or N_("You cannot comment here."))
        return
    if speaks_for_authority(session, user, target.community_id):
        return
    p.check_level(session, user, target.community_id, rules.comment_level)


def check_support(session: Session, user: User | None, target: CommentTarget,
                  rules: DeliberationRules, comment: Comment) -> None:
    check_comment(session, user, target, rules)
    if comment.user_id == user.id:
        raise Conflict(N_("You cannot support your own comment."))


def check_voice(session: Session, user: User | None, voices: dict[int, str],
                voice_id: int | None) -> None:
    """Write for a party only among those the item's space lets the person use."""
    if voice_id is not None and voice_id not in voices:
        raise Forbidden(N_("You can write only for an organisation you act for."))


def sees_unpublished(session: Session, user: User | None, target: CommentTarget) -> bool:
    """Comments their authors did not publish: the item's privileged readers and the
    moderators (each author reads their own)."""
    return user is not None and (target.sees_unpublished
                                 or is_moderator(session, user, target.community_id))


def check_report(session: Session, user: User | None, community_id: int,
                 author_id: int | None) -> None:
    """Any logged-in person may report, once, anything but their own."""
    user = p.logged_in(user)
    check_not_blocked(session, user, community_id)
    if author_id is not None and author_id == user.id:
        raise Conflict(N_("You cannot report what you wrote yourself."))


def check_moderate(session: Session, user: User | None, community_id: int) -> None:
    p.logged_in(user)
    if not is_moderator(session, user, community_id):
        raise Forbidden(N_("Only a moderator of the community can do this."))


def check_decide(session: Session, user: User | None, case: Case) -> None:
    check_moderate(session, user, case.community_id)
    if case.state not in (CaseState.open, CaseState.pending, CaseState.appealed):
        raise Conflict(N_("This has already been decided."))
    if case.state == CaseState.appealed and case.decided_by_id == user.id:
        raise Conflict(N_("Another moderator decides the appeal against your decision."))


def check_appeal(session: Session, user: User | None, case: Case,
                 rules: DeliberationRules) -> None:
    """The author appeals once against a decision that hid or redacted their text, within the
    rules' days."""
    user = p.logged_in(user)
    if case.author_id != user.id:
        raise Forbidden(N_("Only the author can appeal."))
    if case.appealed_at is not None:
        raise Conflict(N_("You have already appealed; an author may appeal once."))
    if case.state != CaseState.decided or case.decision == Decision.keep:
        raise Conflict(N_("There is no decision against your text to appeal."))
    decided = clock.aware(case.decided_at)
    if decided is not None and clock.now() > decided + timedelta(days=rules.appeal_days):
        raise Conflict(N_("The time to appeal has passed."))


def check_block(session: Session, user: User | None, community_id: int,
                target: User | None) -> None:
    check_moderate(session, user, community_id)
    if target is not None and target.id == user.id:
        raise Conflict(N_("You cannot block yourself."))


def check_see_blocks(session: Session, user: User | None, community_id: int) -> None:
    """The community's moderators and the administrators see its blocks."""
    check_moderate(session, user, community_id)
