"""Discussion: comments on the sections of the text, replies one level deep, and their
moderation (a hidden comment keeps its place and shows why; its author is told). Flushes,
never commits."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput, NotFound
from app.identity.models import User
from app.notifications import service as notifications
from app.settings import get_settings
from app.web.i18n import N_
from app.web.i18n import gettext as _
from consultations import permissions, text
from consultations import repository as repo
from consultations.models import (
    SUBJECT_TYPE,
    CommentIn,
    Consultation,
    ConsultationComment,
    ConsultationSection,
    Publication,
)
from consultations.service import reading


def _parent_id(session: Session, section: ConsultationSection, parent_id: int | None
               ) -> int | None:
    """The thread a reply joins: replies are one level deep, a reply to a reply joins the
    thread of the comment it answers."""
    if parent_id is None:
        return None
    parent = repo.comment(session, parent_id)
    if parent is None or parent.section_id != section.id:
        message = N_("The comment you reply to is not in this section.")
        raise InvalidInput(message, fields={"parent_id": message})
    return parent.parent_id or parent.id


def add_comment(session: Session, user: User | None, c: Consultation, data: CommentIn
                ) -> ConsultationComment:
    org = None
    if data.organisation_id is not None:
        org = repo.organisation(session, data.organisation_id)
        permissions.check_comment_for(session, user, c, reading.phase(c), org)
    else:
        permissions.check_comment(session, user, c, reading.phase(c))
    section = repo.section(session, data.section_id)
    if section is None or section.consultation_id != c.id:
        message = N_("No such section in this consultation.")
        raise InvalidInput(message, fields={"section_id": message})
    parent_id = _parent_id(session, section, data.parent_id)
    body = text.clean_body(data.body)
    if not 2 <= len(body) <= 4000:
        message = N_("Write a comment of 2 to 4,000 characters.")
        raise InvalidInput(message, fields={"body": message})
    comment = ConsultationComment(consultation_id=c.id, section_id=section.id,
                                  parent_id=parent_id, user_id=user.id,
                                  organisation_id=org.id if org else None,
                                  # An organisation's contribution is always public, by name.
                                  publication=Publication.named if org else data.publication,
                                  body=body)
    session.add(comment)
    session.flush()
    repo.bump(session, ConsultationSection, section.id, comment_count=1)
    repo.bump(session, Consultation, c.id, comment_count=1)
    notifications.follow(session, user, SUBJECT_TYPE, c.id)
    return comment


@dataclass
class CommentView:
    comment: ConsultationComment
    author: str | None  # None: anonymous, or not public
    own: bool = False
    replies: list[CommentView] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.comment.hidden_at is not None


def comment_threads(session: Session, user: User | None, c: Consultation,
                    section_id: int | None = None) -> dict[int, list[CommentView]]:
    """Threads per section id: top-level comments with their replies, oldest first.

    Comments their authors chose not to publish are shown only to their authors, the
    authority's officials and moderators."""
    privileged = permissions.sees_unpublished(session, user, c)
    rows = repo.comments(session, c.id, section_id=section_id, include_unpublished=privileged,
                         viewer_id=user.id if user else None)
    tops: dict[int, CommentView] = {}
    threads: dict[int, list[CommentView]] = {}
    for comment, name, erased, org_name in rows:
        if org_name is not None:
            author = org_name
        else:
            author = name if comment.publication == Publication.named and not erased else None
        view = CommentView(comment, author, own=user is not None and comment.user_id == user.id)
        if comment.parent_id is None:
            tops[comment.id] = view
            threads.setdefault(comment.section_id, []).append(view)
        elif comment.parent_id in tops:
            tops[comment.parent_id].replies.append(view)
    return threads


# -- moderation ---------------------------------------------------------------------------

def _tell_author(session: Session, c: Consultation, comment: ConsultationComment) -> None:
    """The author learns that their comment was hidden, and why."""
    author = session.get(User, comment.user_id) if comment.user_id else None
    if author is None:
        return
    link = f"{get_settings().base_url}{reading.path_of(c)}#comment-{comment.id}"
    title, reason = c.title, comment.hidden_reason

    def render_mail() -> tuple[str, str]:
        return (_("Your comment was hidden by a moderator"),
                _("Your comment on the consultation \u201c{title}\u201d was hidden by a "
                  "moderator.\n\nReason: {reason}\n\n{link}").format(
                    title=title, reason=reason, link=link))

    notifications.send_to(session, author, f"consultation-comment-hidden:{comment.id}",
                          render_mail)


def hide_comment(session: Session, user: User | None, c: Consultation, comment_id: int,
                 reason: str) -> ConsultationComment:
    permissions.check_moderate(session, user, c, reading.phase(c))
    comment = repo.comment(session, comment_id)
    if comment is None or comment.consultation_id != c.id:
        raise NotFound(N_("No such comment."))
    if comment.hidden_at is not None:
        raise Conflict(N_("This comment is already hidden."))
    reason = text.clean_line(reason)
    if not 5 <= len(reason) <= 500:
        message = N_("Give the reason for hiding (5 to 500 characters).")
        raise InvalidInput(message, fields={"reason": message})
    comment.hidden_at = clock.now()
    comment.hidden_by_id = user.id
    comment.hidden_reason = reason
    session.add(comment)
    session.flush()
    repo.bump(session, ConsultationSection, comment.section_id, comment_count=-1)
    repo.bump(session, Consultation, c.id, comment_count=-1)
    audit.append(session, "consultation.comment_hidden", SUBJECT_TYPE, c.id, user.id,
                 comment_id=comment.id)
    _tell_author(session, c, comment)
    return comment
