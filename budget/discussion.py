"""Where budget projects take comments (the kernel's comment mechanism, app.deliberation):
from submission until the vote ends, and again once results are published (implementation);
not while votes are counted."""

from __future__ import annotations

from sqlmodel import Session

from app.exceptions import NotFound
from app.identity.models import User
from app.modules import CommentSpace, CommentTarget
from app.web.i18n import N_
from budget import repository as repo
from budget.cycles import get_cycle
from budget.models import Phase
from budget.phases import phase_of
from budget.projects import project_path

SUBJECT_TYPE = repo.PROJECT_SUBJECT
OPEN_PHASES = (Phase.submission, Phase.review, Phase.voting, Phase.implementation)


def comment_target(session: Session, user: User | None, project_id: int) -> CommentTarget:
    project = repo.project(session, project_id)
    if project is None:
        raise NotFound(N_("There is no such project in this cycle."))
    cycle = get_cycle(session, project.cycle_id)
    closed = None if phase_of(cycle) in OPEN_PHASES else N_(
        "Comments on this project are closed while the votes are counted.")
    return CommentTarget(community_id=cycle.community_id, ruleset_id=cycle.ruleset_id,
                         title=project.title, path=project_path(project), closed=closed,
                         authority_id=cycle.authority_id, author_id=project.author_id)


def hide(session: Session, project_id: int, hidden: bool) -> None:
    """Reports or a moderator hid the project's description from the public, or showed it."""
    repo.set_hidden(session, project_id, hidden)


COMMENTS = CommentSpace(SUBJECT_TYPE, comment_target, N_("Budget project"), hide)
