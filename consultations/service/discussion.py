"""Where consultations take comments (the kernel's comment mechanism, app.deliberation): on the
sections of the draft text (the space's anchors) while the consultation is open, by those who
take part and the authority's officials; a comment may be written for an organisation the
author acts for (a voice, signed with its name) and published by name, anonymously or not at
all. The kernel keeps the comments and their moderation; the module keeps the counters of
visible comments per section and per consultation. Flushes, never commits."""

from __future__ import annotations

from sqlmodel import Session

from app.deliberation import service as deliberation
from app.deliberation.models import Comment, Decision, Publication
from app.exceptions import NotFound
from app.identity.models import User
from app.modules import CommentSpace, CommentTarget
from app.rules import service as rules_service
from app.web.i18n import N_
from app.web.i18n import gettext as _
from consultations import permissions
from consultations import repository as repo
from consultations.models import SUBJECT_TYPE, Consultation, ConsultationSection, Phase
from consultations.service import organisations, reading

NOT_YET = N_("This consultation is not open for comments yet.")
CLOSED = N_("This consultation is closed; comments are no longer accepted.")
REFUSED = N_("Only verified residents, registered organisations and the authority's "
             "officials can comment.")


def comment_target(session: Session, user: User | None, consultation_id: int
                   ) -> CommentTarget:
    c = reading.get(session, consultation_id)
    permissions.check_view(session, user, c, reading.phase(c))
    return target_for(session, user, c)


def target_for(session: Session, user: User | None, c: Consultation) -> CommentTarget:
    """The consultation as the kernel's discussion sees it (its page has loaded it already)."""
    phase = reading.phase(c)
    closed = None if phase == Phase.open else (
        NOT_YET if phase in (Phase.draft, Phase.scheduled) else CLOSED)
    ruleset_id = c.ruleset_id or rules_service.current(session, c.community_id).id
    takes_part = user is not None and (permissions.takes_part(session, user, c)
                                       or permissions.is_staff_of(session, user, c))
    return CommentTarget(community_id=c.community_id, ruleset_id=ruleset_id, title=c.title,
                         path=reading.path_of(c), closed=closed, authority_id=c.authority_id,
                         takes_part=takes_part, refused=None if takes_part else REFUSED,
                         sees_unpublished=permissions.sees_unpublished(session, user, c))


def anchors(session: Session, consultation_id: int) -> dict[int, str]:
    """The sections of the text, by id, named as the page names them: "3. Title"."""
    c = reading.get(session, consultation_id)
    return {s.id: f"{s.number}. {s.title or _('Preamble')}"
            for s in reading.sections(session, c)}


def voices(session: Session, user: User, consultation_id: int) -> dict[int, str]:
    """The verified organisations of the community the person acts for."""
    c = reading.get(session, consultation_id)
    return {o.id: o.name for o in organisations.organisations_of(session, user)
            if permissions.owns_verified_organisation(session, user, o, c)}


def voice_names(session: Session, ids: list[int]) -> dict[int, str]:
    return {o.id: o.name for o in repo.organisations_by_ids(session, ids)}


def count(session: Session, comment: Comment, delta: int) -> None:
    """The counters of visible comments of the section and of the consultation."""
    if comment.anchor_id is not None:
        repo.bump(session, ConsultationSection, comment.anchor_id, comment_count=delta)
    repo.bump(session, Consultation, comment.subject_id, comment_count=delta)


def hide_comment(session: Session, user: User | None, c: Consultation, comment_id: int,
                 reason: str):
    """A moderator hides a comment on the consultation at once, with a public reason: the
    kernel's moderation decision (its author is told and may appeal)."""
    permissions.check_moderate(session, user, c, reading.phase(c))
    comment = deliberation.comment_of(session, comment_id)
    if comment is None or (comment.subject_type, comment.subject_id) != (SUBJECT_TYPE, c.id):
        raise NotFound(deliberation.NO_SUCH_COMMENT)
    return deliberation.moderate_comment(session, user, comment.id, Decision.hide, reason)


COMMENTS = CommentSpace(
    SUBJECT_TYPE, comment_target, N_("Consultation"), anchors=anchors,
    publications=(Publication.named, Publication.anonymous, Publication.unpublished),
    voices=voices, voice_names=voice_names, count=count)
