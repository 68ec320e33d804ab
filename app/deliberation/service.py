"""Comments, reports, moderation decisions, appeals and blocks. Flushes, never commits.

Comments live in the kernel; a module says in its registration (app.modules.CommentSpace)
which items take them and whether the item's phase takes them now. The rules an item keeps
(its rule-set version) say who may comment, how long a comment may be and how many reports
hide one until a moderator decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions as p
from app.communities import repository as communities_repo
from app.deliberation import permissions as perm
from app.deliberation import repository as repo
from app.deliberation.models import (
    COMMENT,
    Block,
    Case,
    CaseState,
    Comment,
    CommentCreate,
    CommentOrder,
    CommentState,
    Decision,
    Publication,
    ReportReason,
)
from app.deliberation.rules import SECTION, DeliberationRules
from app.exceptions import Conflict, DomainError, InvalidInput, NotFound
from app.identity.models import User
from app.modules import CommentSpace, CommentTarget, comment_space
from app.notifications import service as notifications
from app.rules import service as rules_service
from app.settings import get_settings
from app.web.i18n import N_
from app.web.i18n import gettext as _

NO_SUCH_COMMENT = N_("No such comment.")


def clean_body(value: str | None) -> str:
    """Paragraphs of plain text: lines tidied, at most one empty line between paragraphs.
    Shown as text (escaped), never as markup."""
    lines = [" ".join(line.split()) for line in (value or "").replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def clean_line(value: str | None) -> str:
    return " ".join((value or "").split())


def rules_of(session: Session, target: CommentTarget) -> DeliberationRules:
    """The deliberation rules of the version the item keeps."""
    return getattr(rules_service.version(session, target.ruleset_id).rules, SECTION)


def space_of(subject_type: str) -> CommentSpace:
    space = comment_space(subject_type)
    if space is None:
        raise NotFound(N_("Nothing here takes comments."))
    return space


def target_of(session: Session, user: User | None, subject_type: str, subject_id: int
              ) -> CommentTarget:
    """The item as its module shows it to the person; NotFound when no module takes comments
    on such items or the person may not see it."""
    return space_of(subject_type).target(session, user, subject_id)


def anchors_of(session: Session, subject_type: str, subject_id: int) -> dict[int, str]:
    """The places within the item a comment may be about ({} when it has none)."""
    space = space_of(subject_type)
    return space.anchors(session, subject_id) if space.anchors else {}


def voices_of(session: Session, user: User | None, subject_type: str, subject_id: int
              ) -> dict[int, str]:
    """The parties the person may write for on the item."""
    space = space_of(subject_type)
    if user is None or space.voices is None:
        return {}
    return space.voices(session, user, subject_id)


def _counted(session: Session, comment: Comment, was_visible: bool) -> None:
    """Tell the item's module that a comment became visible or stopped being visible."""
    now_visible = comment.state == CommentState.visible
    space = comment_space(comment.subject_type)
    if was_visible != now_visible and space is not None and space.count is not None:
        space.count(session, comment, 1 if now_visible else -1)


def _set_state(session: Session, comment: Comment, state: CommentState,
               reason: str | None = None) -> None:
    was_visible = comment.state == CommentState.visible
    comment.state, comment.public_reason = state, reason
    session.add(comment)
    session.flush()
    _counted(session, comment, was_visible)


# -- comments -------------------------------------------------------------------------------

def add_comment(session: Session, user: User | None, subject_type: str, subject_id: int,
                data: CommentCreate) -> Comment:
    space = space_of(subject_type)
    target = space.target(session, user, subject_id)
    rules = rules_of(session, target)
    perm.check_comment(session, user, target, rules)
    anchors = anchors_of(session, subject_type, subject_id)
    parent_id, anchor_id = None, None
    if data.parent_id is not None:
        parent = repo.comment(session, data.parent_id)
        if parent is None or (parent.subject_type, parent.subject_id) != (subject_type,
                                                                           subject_id):
            message = N_("The comment you reply to is not in this discussion.")
            raise InvalidInput(message, fields={"parent_id": message})
        if parent.parent_id is not None:
            message = N_("Replies are one level deep: answer the first comment of the "
                         "thread.")
            raise InvalidInput(message, fields={"parent_id": message})
        if parent.state != CommentState.visible:
            message = N_("This comment is hidden and takes no replies.")
            raise InvalidInput(message, fields={"parent_id": message})
        if data.anchor_id is not None and data.anchor_id != parent.anchor_id:
            message = N_("The comment you reply to is about another part of the text.")
            raise InvalidInput(message, fields={"parent_id": message})
        parent_id, anchor_id = parent.id, parent.anchor_id
    elif anchors:
        if data.anchor_id not in anchors:
            message = N_("Choose the part of the text your comment is about.")
            raise InvalidInput(message, fields={"anchor_id": message})
        anchor_id = data.anchor_id
    perm.check_voice(session, user, voices_of(session, user, subject_type, subject_id)
                     if data.voice_id is not None else {}, data.voice_id)
    publication = data.publication or space.publications[0]
    if publication not in space.publications:
        message = N_("Choose how your comment is published.")
        raise InvalidInput(message, fields={"publication": message})
    if data.voice_id is not None:
        publication = Publication.named  # a party's contribution is public, by its name
    body = clean_body(data.body)
    if not 2 <= len(body) <= rules.comment_max_length:
        message = (N_("Write a comment of 2 to {limit} characters."),
                   {"limit": rules.comment_max_length})
        raise InvalidInput(fields={"body": message})
    authority_id = None
    if data.voice_id is None and perm.speaks_for_authority(session, user, target.community_id):
        authority_id = repo.authority_of_official(session, user.id, target.community_id)
    created = repo.add(session, Comment(
        subject_type=subject_type, subject_id=subject_id, community_id=target.community_id,
        parent_id=parent_id, user_id=user.id, authority_id=authority_id, anchor_id=anchor_id,
        voice_id=data.voice_id, publication=Publication(publication).value, body=body))
    if parent_id is not None:
        repo.bump(session, Comment, parent_id, reply_count=1)
    _counted(session, created, False)
    audit.append(session, "deliberation.commented", subject_type, subject_id, user.id,
                 comment_id=created.id)
    notifications.follow(session, user, subject_type, subject_id)
    _tell_of_comment(session, target, created, parent_id)
    return created


def _tell_of_comment(session: Session, target: CommentTarget, created: Comment,
                     parent_id: int | None) -> None:
    """The author of the comment replied to learns of the reply at once when they take no
    digest (a digest gathers replies otherwise)."""
    if parent_id is None:
        return
    parent = repo.comment(session, parent_id)
    author = repo.user(session, parent.user_id) if parent and parent.user_id else None
    if author is None or author.id == created.user_id or author.erased_at is not None:
        return
    if getattr(author, "digest", "off") not in (None, "", "off"):
        return
    link = f"{get_settings().base_url}{target.path}#comment-{created.id}"
    title = target.title

    def render_mail() -> tuple[str, str]:
        return (_("A reply to your comment"),
                _("Someone replied to your comment on \u201c{title}\u201d.\n\n{link}").format(
                    title=title, link=link))

    notifications.send_to(session, author, f"comment-reply:{created.id}", render_mail)


@dataclass
class CommentView:
    comment: Comment
    author: str | None  # the public name: the voice's, or the person's when named
    authority: str | None
    supported: bool = False
    own: bool = False
    replies: list[CommentView] = field(default_factory=list)
    anchor: str | None = None  # the label of the place in the item it is about

    @property
    def shown(self) -> bool:
        return self.comment.state == CommentState.visible

    @property
    def anonymous(self) -> bool:
        return self.comment.voice_id is None and self.comment.publication != Publication.named


def _author(comment: Comment, name: str | None, erased: bool,
            voice_names: dict[int, str]) -> str | None:
    if comment.voice_id is not None:
        return voice_names.get(comment.voice_id)
    if comment.publication != Publication.named or erased:
        return None
    return name


def _voice_names(session: Session, subject_type: str, comments: list[Comment]
                 ) -> dict[int, str]:
    space = comment_space(subject_type)
    ids = sorted({c.voice_id for c in comments if c.voice_id is not None})
    if not ids or space is None or space.voice_names is None:
        return {}
    return space.voice_names(session, ids)


@dataclass
class Discussion:
    subject_type: str
    subject_id: int
    target: CommentTarget
    threads: list[CommentView]
    has_more: bool
    order: CommentOrder
    offset: int
    limit: int
    can_comment: bool
    comment_problem: str | None  # translated: why the person may not comment
    can_moderate: bool
    community_slug: str = ""
    anchors: dict[int, str] = field(default_factory=dict)
    anchor_id: int | None = None  # the anchor the threads are filtered by
    publications: tuple[str, ...] = (Publication.named,)
    voices: dict[int, str] = field(default_factory=dict)  # those the person may write for

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1


def discussion(session: Session, user: User | None, subject_type: str, subject_id: int, *,
               order: CommentOrder = CommentOrder.newest, offset: int = 0, limit: int = 20,
               lang: str = "uk", target: CommentTarget | None = None,
               anchor_id: int | None = None,
               shared: Callable[[Callable[[], Any]], Any] | None = None) -> Discussion:
    """A page of the item's threads: top-level comments (newest or most supported first), each
    with its replies, oldest first; those on one anchor only, when asked. One query for a
    visitor (no count: a page asks for one thread more than it shows to know whether more
    follow). A module's page that has already loaded and authorised the item passes its
    `target`. Comments their authors did not publish are left out (in SQL) but for their
    authors and those who read them.

    The first page in the default order is the same for every visitor where the space offers
    no unpublished comments: with `shared` (a page's cache of what every visitor sees, e.g.
    app.web.pagecache.shared_data) it is read once for all, and a visitor's page asks only
    which of its comments they support."""
    space = space_of(subject_type)
    target = target or space.target(session, user, subject_id)
    anchors = space.anchors(session, subject_id) if space.anchors else {}
    if anchor_id is not None and anchor_id not in anchors:
        anchor_id = None
    def load(unpublished: bool = False, viewer_id: int | None = None) -> tuple[list, dict]:
        rows = repo.threads(session, subject_type, subject_id, order=order, offset=offset,
                            limit=limit + 1, anchor_id=anchor_id, unpublished=unpublished,
                            viewer_id=viewer_id)
        return rows, _voice_names(session, subject_type, [r[0] for r in rows])

    if (shared is not None and offset == 0 and anchor_id is None
            and order == CommentOrder.newest
            and Publication.unpublished not in space.publications):
        rows, voice_names = shared(load)
    else:
        rows, voice_names = load(perm.sees_unpublished(session, user, target),
                                 user.id if user else None)
    supported = (repo.supported_by(session, user.id, [r[0].id for r in rows])
                 if user and rows else set())
    tops: dict[int, CommentView] = {}
    for comment, name, erased, authority, authority_en in rows:
        view = CommentView(comment, _author(comment, name, erased, voice_names),
                           (authority_en or authority) if lang == "en" else authority,
                           supported=comment.id in supported,
                           own=user is not None and comment.user_id == user.id,
                           anchor=anchors.get(comment.anchor_id))
        if comment.parent_id is None:
            tops[comment.id] = view
        elif comment.parent_id in tops:
            tops[comment.parent_id].replies.append(view)
    if order == CommentOrder.supported:
        ranked = sorted(tops.values(), key=lambda v: (-v.comment.support_count, -v.comment.id))
    else:
        ranked = sorted(tops.values(), key=lambda v: -v.comment.id)
    problem, moderates, slug = _("Please log in to continue."), False, ""
    if user is not None:
        problem = None
        try:
            perm.check_comment(session, user, target, rules_of(session, target))
        except DomainError as exc:  # what the person lacks
            problem = exc.text()
        moderates = perm.is_moderator(session, user, target.community_id)
        if moderates:
            community = communities_repo.community(session, target.community_id)
            slug = community.slug if community else ""
    elif target.closed is not None:
        problem = _(target.closed)
    voices = (space.voices(session, user, subject_id)
              if problem is None and space.voices is not None else {})
    return Discussion(subject_type, subject_id, target, ranked[:limit], len(ranked) > limit,
                      order, offset, limit, problem is None, problem, moderates, slug,
                      anchors, anchor_id, space.publications, voices)


def support(session: Session, user: User | None, comment_id: int) -> Comment:
    comment = _visible_comment(session, user, comment_id)
    target = target_of(session, user, comment.subject_type, comment.subject_id)
    perm.check_support(session, user, target, rules_of(session, target), comment)
    if not repo.add_support(session, comment.id, user.id, clock.now()):
        raise Conflict(N_("You already support this comment."))
    repo.bump(session, Comment, comment.id, comment, support_count=1)
    return comment


def comment_of(session: Session, comment_id: int) -> Comment | None:
    return repo.comment(session, comment_id)


def _visible_comment(session: Session, user: User | None, comment_id: int) -> Comment:
    comment = repo.comment(session, comment_id)
    if comment is None:
        raise NotFound(NO_SUCH_COMMENT)
    target_of(session, user, comment.subject_type, comment.subject_id)  # may they see it
    return comment


# -- reports --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reported:
    community_id: int
    author_id: int | None
    target: CommentTarget
    comment: Comment | None = None


def _reported(session: Session, user: User | None, subject_type: str, subject_id: int
              ) -> Reported:
    if subject_type == COMMENT:
        comment = _visible_comment(session, user, subject_id)
        target = target_of(session, user, comment.subject_type, comment.subject_id)
        return Reported(comment.community_id, comment.user_id, target, comment)
    target = target_of(session, user, subject_type, subject_id)
    return Reported(target.community_id, target.author_id, target)


def report(session: Session, user: User | None, subject_type: str, subject_id: int,
           reason: ReportReason | str, note: str = "") -> Case:
    """Report a comment or an item once. When the reports reach the rules' number, the thing
    is hidden until a moderator decides."""
    thing = _reported(session, user, subject_type, subject_id)
    perm.check_report(session, user, thing.community_id, thing.author_id)
    try:
        reason = ReportReason(reason)
    except ValueError:
        message = N_("Choose the reason of your report.")
        raise InvalidInput(message, fields={"reason": message}) from None
    if thing.comment is not None and thing.comment.state == CommentState.redacted:
        raise Conflict(N_("This comment has already been moderated."))
    now = clock.now()
    repo.open_case(session, {"subject_type": subject_type, "subject_id": subject_id,
                             "community_id": thing.community_id, "author_id": thing.author_id,
                             "state": CaseState.open.value, "report_count": 0,
                             "hidden": False, "created_at": now})
    case = repo.case_of(session, subject_type, subject_id, lock=True)
    if not repo.add_report(session, {"case_id": case.id, "reporter_id": user.id,
                                     "reason": reason.value, "note": clean_line(note)[:500],
                                     "created_at": now}):
        raise Conflict(N_("You have already reported this."))
    if case.state in (CaseState.decided, CaseState.closed):
        # Decided already: the report is kept for the record, the decision stands.
        repo.bump(session, Case, case.id, case, report_count=1)
        return case
    repo.bump(session, Case, case.id, case, report_count=1)
    audit.append(session, "deliberation.reported", subject_type, subject_id, user.id,
                 reason=reason.value)
    rules = rules_of(session, thing.target)
    if case.state == CaseState.open and case.report_count >= rules.reports_to_hide:
        case.state, case.hidden = CaseState.pending, True
        session.add(case)
        if thing.comment is not None:
            _set_state(session, thing.comment, CommentState.pending)
        else:
            _hide_item(subject_type, subject_id, session, True)
        session.flush()
        audit.append(session, "deliberation.hidden_by_reports", subject_type, subject_id, None,
                     reports=case.report_count)
    return case


def _hide_item(subject_type: str, subject_id: int, session: Session, hidden: bool) -> None:
    space = comment_space(subject_type)
    if space is not None and space.hide is not None:
        space.hide(session, subject_id, hidden)


def is_hidden(session: Session, subject_type: str, subject_id: int) -> bool:
    """Whether a module's item is hidden by reports or by a moderator (its page says so)."""
    return subject_id in repo.hidden_subjects(session, subject_type, [subject_id])


# -- the queue and decisions ----------------------------------------------------------------

@dataclass
class QueueItem:
    case: Case
    reports: list
    comment: Comment | None
    title: str
    path: str


def queue(session: Session, user: User | None, community_id: int) -> list[QueueItem]:
    perm.check_moderate(session, user, community_id)
    cases = repo.queue(session, [community_id])
    reports: dict[int, list] = {}
    for found in repo.reports_of(session, [c.id for c in cases]):
        reports.setdefault(found.case_id, []).append(found)
    items = []
    for case in cases:
        comment = repo.comment(session, case.subject_id) if case.subject_type == COMMENT else None
        subject = (comment.subject_type, comment.subject_id) if comment else (
            case.subject_type, case.subject_id)
        try:
            target = target_of(session, user, *subject)
            title, path = target.title, target.path
        except NotFound:
            title, path = "", ""
        if comment is not None:
            path = f"{path}#comment-{comment.id}"
        items.append(QueueItem(case, reports.get(case.id, []), comment, title, path))
    return items


def _load_case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    case = repo.case(session, case_id, lock=lock)
    if case is None:
        raise NotFound(N_("No such report."))
    return case


def case_of_comment(session: Session, comment_id: int) -> Case | None:
    return repo.case_of(session, COMMENT, comment_id)


def decide(session: Session, user: User | None, case_id: int, decision: Decision | str,
           reason: str = "") -> Case:
    """Keep, hide with a public reason, or redact the personal data of a reported thing;
    audited, and its author is told. A decision on an appeal is final."""
    case = _load_case(session, case_id, lock=True)
    perm.check_decide(session, user, case)
    try:
        decision = Decision(decision)
    except ValueError:
        message = N_("Choose a decision.")
        raise InvalidInput(message, fields={"decision": message}) from None
    reason = clean_line(reason)
    if decision != Decision.keep and not 5 <= len(reason) <= 500:
        message = N_("Give the public reason (5 to 500 characters).")
        raise InvalidInput(message, fields={"reason": message})
    comment = repo.comment(session, case.subject_id) if case.subject_type == COMMENT else None
    if decision == Decision.redact and comment is None:
        message = N_("Only a comment's text can be redacted here; hide the item instead.")
        raise InvalidInput(message, fields={"decision": message})
    now = clock.now()
    appeal = case.state == CaseState.appealed
    case.state = CaseState.closed if appeal else CaseState.decided
    case.decision, case.decided_by_id, case.decided_at = decision.value, user.id, now
    case.public_reason = reason or None
    case.hidden = decision != Decision.keep
    session.add(case)
    if comment is not None:
        if decision == Decision.keep:
            _set_state(session, comment, CommentState.visible)
        elif decision == Decision.hide:
            _set_state(session, comment, CommentState.hidden, reason)
        else:
            comment.body = ""
            _set_state(session, comment, CommentState.redacted, reason)
    else:
        _hide_item(case.subject_type, case.subject_id, session, decision != Decision.keep)
    session.flush()
    audit.append(session, "deliberation.decided", case.subject_type, case.subject_id, user.id,
                 decision=decision.value, appeal=appeal)
    _tell_author_of_decision(session, case, comment)
    return case


def _tell_author_of_decision(session: Session, case: Case, comment: Comment | None) -> None:
    author = repo.user(session, case.author_id) if case.author_id else None
    if author is None or author.erased_at is not None:
        return
    labels = {Decision.keep: N_("kept"), Decision.hide: N_("hidden"),
              Decision.redact: N_("redacted (personal data removed)")}
    decision, reason = Decision(case.decision), case.public_reason or ""
    appealable = case.state == CaseState.decided and decision != Decision.keep
    link = f"{get_settings().base_url}/moderation/cases/{case.id}"

    def render_mail() -> tuple[str, str]:
        text = _("A moderator decided on what you wrote: it is {decision}.").format(
            decision=_(labels[decision]))
        if reason:
            text += "\n\n" + _("Reason: {reason}").format(reason=reason)
        if appealable:
            text += "\n\n" + _("You may appeal once: {link}").format(link=link)
        return _("A moderator's decision on what you wrote"), text

    notifications.send_to(session, author, f"moderation:{case.id}:{case.state}", render_mail)


def appeal(session: Session, user: User | None, case_id: int, text: str) -> Case:
    case = _load_case(session, case_id, lock=True)
    community_rules = getattr(rules_service.current(session, case.community_id).rules, SECTION)
    perm.check_appeal(session, user, case, community_rules)
    text = clean_body(text)
    if not 10 <= len(text) <= 4000:
        message = N_("Say why the decision is wrong (10 to 4,000 characters).")
        raise InvalidInput(message, fields={"text": message})
    case.state, case.appeal_text, case.appealed_at = CaseState.appealed, text, clock.now()
    session.add(case)
    session.flush()
    audit.append(session, "deliberation.appealed", case.subject_type, case.subject_id, user.id)
    return case


def case_for(session: Session, user: User | None, case_id: int) -> Case:
    """A case as its author or a moderator sees it."""
    case = _load_case(session, case_id)
    if user is not None and (case.author_id == user.id
                             or perm.is_moderator(session, user, case.community_id)):
        return case
    p.logged_in(user)
    raise NotFound(N_("No such report."))


# -- blocks ---------------------------------------------------------------------------------

def block(session: Session, moderator: User | None, community_id: int, user_id: int,
          reason: str, days: int | None) -> Block:
    """Block an account in the community for `days` or, with None, for good. What it did
    before stays valid; it may not act until the block ends."""
    target = repo.user(session, user_id)
    perm.check_block(session, moderator, community_id, target)
    errors = {}
    if target is None:
        errors["user_id"] = N_("No such account.")
    reason = clean_line(reason)
    if not 5 <= len(reason) <= 500:
        errors["reason"] = N_("Give the reason the person will see (5 to 500 characters).")
    if days is not None and not 1 <= days <= 3650:
        errors["days"] = N_("Block for 1 to 3,650 days, or for good.")
    if errors:
        raise InvalidInput(fields=errors)
    now = clock.now()
    if repo.active_block(session, target.id, community_id, now) is not None:
        raise Conflict(N_("This account is already blocked here."))
    found = repo.add(session, Block(
        community_id=community_id, user_id=target.id, reason=reason,
        ends_at=now + timedelta(days=days) if days else None, created_by_id=moderator.id,
        created_at=now))
    p.forget_memberships(session)  # later checks see the block
    audit.append(session, "deliberation.blocked", "user", target.id, moderator.id,
                 community_id=community_id, days=days)
    until = found.ends_at

    def render_mail() -> tuple[str, str]:
        when = (_("until {date}").format(date=until.strftime("%d.%m.%Y"))
                if until else _("for good"))
        return (_("Your account is blocked"),
                _("A moderator blocked your account in a community {when}.\n\nReason: "
                  "{reason}\n\nWhat you signed or voted before stays counted.").format(
                    when=when, reason=reason))

    notifications.send_to(session, target, f"blocked:{found.id}", render_mail)
    return found


def lift_block(session: Session, moderator: User | None, block_id: int) -> Block:
    found = repo.block(session, block_id)
    if found is None:
        raise NotFound(N_("No such block."))
    perm.check_moderate(session, moderator, found.community_id)
    if found.lifted_at is not None:
        raise Conflict(N_("This block has already been lifted."))
    found.lifted_at = clock.now()
    session.add(found)
    session.flush()
    p.forget_memberships(session)
    audit.append(session, "deliberation.block_lifted", "user", found.user_id, moderator.id,
                 community_id=found.community_id)
    return found


def blocks(session: Session, user: User | None, community_id: int) -> list:
    perm.check_see_blocks(session, user, community_id)
    return repo.blocks(session, community_id)


def moderate_comment(session: Session, user: User | None, comment_id: int,
                     decision: Decision | str, reason: str = "") -> Case:
    """A moderator's decision on a comment, reported or not (its case opens if it has none)."""
    comment = _visible_comment(session, user, comment_id)
    perm.check_moderate(session, user, comment.community_id)
    repo.open_case(session, {"subject_type": COMMENT, "subject_id": comment.id,
                             "community_id": comment.community_id,
                             "author_id": comment.user_id, "state": CaseState.open.value,
                             "report_count": 0, "hidden": False, "created_at": clock.now()})
    case = repo.case_of(session, COMMENT, comment.id)
    return decide(session, user, case.id, decision, reason)


def comment_view(session: Session, comment: Comment, lang: str = "uk") -> CommentView:
    _c, name, erased, authority, authority_en = repo.comment_row(session, comment.id)
    voice_names = _voice_names(session, comment.subject_type, [comment])
    return CommentView(comment, _author(comment, name, erased, voice_names),
                       (authority_en or authority) if lang == "en" else authority)


def public_comment(view: CommentView) -> dict:
    """A comment as the API shows it: no text while hidden or after redaction."""
    c = view.comment
    return {"id": c.id, "parent_id": c.parent_id, "anchor_id": c.anchor_id,
            "voice_id": c.voice_id, "publication": c.publication, "author": view.author,
            "authority": view.authority,
            "body": c.body if c.state == CommentState.visible else None,
            "state": c.state, "hidden": c.state != CommentState.visible,
            "public_reason": c.public_reason,
            "support_count": c.support_count, "reply_count": c.reply_count,
            "created_at": c.created_at,
            "replies": [public_comment(r) for r in view.replies]}


# -- personal data --------------------------------------------------------------------------

def personal_data(session: Session, user: User) -> dict:
    """What deliberation holds about a person, for the right of access (app.privacy)."""
    digest = repo.digest_of(session, user.id)
    return {
        "comments": [{"subject_type": c.subject_type, "subject_id": c.subject_id,
                      "parent_id": c.parent_id, "anchor_id": c.anchor_id,
                      "voice_id": c.voice_id, "publication": c.publication,
                      "body": c.body, "state": c.state,
                      "created_at": c.created_at.isoformat()}
                     for c in repo.comments_of_user(session, user.id)],
        "reports_sent": [{"case_id": r.case_id, "reason": r.reason, "note": r.note,
                          "created_at": r.created_at.isoformat()}
                         for r in repo.reports_by(session, user.id)],
        "blocks": [{"community_id": b.community_id, "reason": b.reason,
                    "ends_at": b.ends_at.isoformat() if b.ends_at else None,
                    "lifted_at": b.lifted_at.isoformat() if b.lifted_at else None}
                   for b in repo.blocks_of(session, user.id)],
        "digest": digest.frequency if digest else "off",
    }


def erase(session: Session, user: User) -> None:
    """On erasure: no more digests; comments stay in their threads under no name."""
    repo.delete_digest(session, user.id)
