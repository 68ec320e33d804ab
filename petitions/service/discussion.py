"""Where petitions take comments (the kernel's comment mechanism, app.deliberation): a
published petition while it collects signatures, awaits its answer and once it is answered;
no longer once it closed below its threshold or was rejected."""

from __future__ import annotations

from sqlmodel import Session

from app import clock
from app.identity.models import User
from app.modules import CommentSpace, CommentTarget
from app.web.i18n import N_
from petitions import repository as repo
from petitions.models import SUBJECT_TYPE, Petition, PublicStatus, public_status
from petitions.service.common import get_visible, path_of

OPEN_FOR_COMMENTS = (PublicStatus.open, PublicStatus.awaiting_answer, PublicStatus.overdue,
                     PublicStatus.answered)


def comment_target(session: Session, user: User | None, petition_id: int) -> CommentTarget:
    return target_for(get_visible(session, user, petition_id))


def target_for(petition: Petition) -> CommentTarget:
    """The petition as the kernel's discussion sees it (its page has loaded it already)."""
    status = public_status(petition, clock.now())
    closed = None if status in OPEN_FOR_COMMENTS else N_(
        "Comments on this petition are closed.")
    return CommentTarget(community_id=petition.community_id, ruleset_id=petition.ruleset_id,
                         title=petition.title, path=path_of(petition.id), closed=closed,
                         authority_id=petition.authority_id, author_id=petition.author_id)


def hide(session: Session, petition_id: int, hidden: bool) -> None:
    """Reports or a moderator hid the petition's text from the public, or showed it again."""
    repo.set_hidden(session, petition_id, hidden)


COMMENTS = CommentSpace(SUBJECT_TYPE, comment_target, N_("Petition"), hide)
