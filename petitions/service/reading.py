"""The read side: the petition page (what it shows and what this viewer may do there), the
JSON shapes, the public list and search, the author's list and the open-data export."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation, ObligationStatus
from app.communities import service as communities
from app.communities.models import Authority, Community
from app.communities.permissions import allowed
from app.exceptions import DomainError, InvalidInput, NotFound
from app.identity.models import User
from app.settings import get_settings
from app.web.i18n import N_
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import (
    IMPLEMENTED_DECISIONS,
    LISTED_STATUSES,
    AnswerPublic,
    Category,
    Decision,
    ExportRow,
    Petition,
    PetitionAnswer,
    PetitionImplementationUpdate,
    PetitionPublic,
    PetitionStatus,
    PetitionSummary,
    PublicStatus,
    RatingsPublic,
    RejectionPublic,
    RejectionReason,
    UpdatePublic,
    UpdateStatus,
    public_status,
)
from petitions.rules import PetitionRules
from petitions.service.common import rules_of

SIGNER_SAMPLE = 20  # consenting signers named on the petition page


# -- the petition page ----------------------------------------------------------------------

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
    updates: list[PetitionImplementationUpdate] = field(default_factory=list)
    signers: list[tuple[str, datetime]] = field(default_factory=list)
    privileged: bool = False
    signature: repo.OwnSignature | None = None
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
    def obligation_status(self) -> ObligationStatus | None:
        if self.obligation is None:
            return None
        return accountability.status_of(self.obligation, self.now)

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


@dataclass(frozen=True)
class PageData:
    """What a petition page shows that is the same for every visitor: the petition with its
    community and authority, its obligation, answer and updates, and up to 20 consenting
    signers' names. A page may take it from the shared page cache (app.web.pagecache
    `shared_data`), so it is read only, never added to a session."""

    petition: Petition
    community: Community
    authority: Authority
    obligation: Obligation | None = None
    answer: PetitionAnswer | None = None
    updates: tuple[PetitionImplementationUpdate, ...] = ()
    signers: tuple[tuple[str, datetime], ...] = ()


def page_data(session: Session, petition_id: int) -> PageData:
    """One query for the petition (with community and authority), one for its obligation,
    answer and updates (only once it has them), one for the signers' names (only when there
    are any)."""
    row = repo.page_row(session, petition_id)
    if row is None:
        raise NotFound(N_("No such petition."))
    petition, community, authority = row
    outcome = (repo.outcome(session, petition.id)
               if petition.status in (PetitionStatus.awaiting_answer, PetitionStatus.answered)
               else (None, None, []))
    signers = (repo.public_signers(session, petition.id, limit=SIGNER_SAMPLE)
               if petition.public_signer_count > 0 else [])
    return PageData(petition, community, authority, outcome[0], outcome[1],
                    tuple(outcome[2]), tuple(signers))


def detail(session: Session, user: User | None, petition_id: int, *,
           actions: bool = True, data: PageData | None = None) -> PetitionView:
    """The petition page: its page data (`page_data`, or as given), then the viewer's own
    state (signed? following? what may they do?), a few queries more only when someone is
    logged in."""
    data = data or page_data(session, petition_id)
    petition, now = data.petition, clock.now()
    perm.check_view(session, user, petition, now)
    view = PetitionView(petition=petition, community=data.community, authority=data.authority,
                        status=public_status(petition, now), now=now,
                        obligation=data.obligation, answer=data.answer,
                        updates=list(data.updates), signers=list(data.signers))
    if user is not None:
        view.privileged = perm.sees_withheld(session, user, petition)
        if actions:
            _viewer_state(session, view, user)
    return view


def _viewer_state(session: Session, view: PetitionView, user: User) -> None:
    petition, now = view.petition, view.now
    view.rules = rules_of(session, petition)
    if petition.status not in (PetitionStatus.draft, PetitionStatus.moderation):
        view.signature, view.following = repo.viewer_state(session, petition.id, user.id)
    def may(check, *extra) -> bool:
        return allowed(check, session, user, petition, now, *extra)

    view.can = {
        "edit": may(perm.check_edit),
        "submit": may(perm.check_submit),
        "sponsor": may(perm.check_sponsor, view.rules)
        and not repo.is_sponsor(session, petition.id, user.id),
        "moderate": may(perm.check_moderate),
        "sign": view.signature is None and may(perm.check_sign, view.rules),
        "withdraw": view.signature is not None and may(perm.check_withdraw),
        "paper": may(perm.check_record_paper),
        "answer": may(perm.check_answer),
        "rate": view.signature is not None and view.signature.rating is None
        and may(perm.check_rate),
        "update": view.answer is not None and view.answer.decision in IMPLEMENTED_DECISIONS
        and may(perm.check_post_update),
        "follow": may(perm.check_follow),
    }
    if view.status == PublicStatus.open and view.signature is None and not view.can["sign"]:
        try:
            perm.check_sign(session, user, petition, now, view.rules)
        except DomainError as exc:
            view.sign_denied = exc.text()


def signers_page(session: Session, petition: Petition, page: int
                 ) -> tuple[list[tuple[str, datetime]], int]:
    """A page of the consenting signers' names of a petition its route loaded and authorised,
    and the number of pages."""
    size = get_settings().page_size
    pages = max(1, math.ceil(petition.public_signer_count / size))
    page = min(max(1, page), pages)
    return repo.public_signers(session, petition.id, offset=(page - 1) * size,
                               limit=size), pages


# -- the JSON shapes ------------------------------------------------------------------------

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


# -- lists ----------------------------------------------------------------------------------

@dataclass
class Listing:
    rows: list[tuple[Petition, str, PublicStatus]]  # petition, community name, status
    total: int
    page: int
    pages: int
    now: datetime


def listing(session: Session, *, community: str | None = None,
            status: PublicStatus | str | None = None, category: str | None = None,
            q: str | None = None, sort: str = "newest", page: int = 1,
            size: int | None = None, offset: int | None = None) -> Listing:
    """A page of the public list; `status` is one of LISTED_STATUSES (as sent). The page is
    `page` of pages of `size`, or `size` items from `offset` on."""
    if status is not None and status not in LISTED_STATUSES:
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"status": N_("Choose one of the offered options.")})
    status = PublicStatus(status) if status is not None else None
    community_id = communities.get_by_slug(session, community).id if community else None
    size = size or get_settings().page_size
    page = max(1, page)
    now = clock.now()
    rows, total = repo.search(session, now=now, community_id=community_id, status=status,
                              category=category, q=q, sort=sort,
                              offset=(page - 1) * size if offset is None else offset,
                              limit=size)
    return Listing(rows=[(p, name, public_status(p, now)) for p, name in rows], total=total,
                   page=page, pages=max(1, math.ceil(total / size)), now=now)


def similar(session: Session, q: str, community_id: int | None = None,
            exclude_id: int | None = None) -> list[Petition]:
    return repo.similar(session, q, community_id, exclude_id=exclude_id)



def authored(session: Session, user: User) -> list[Petition]:
    return repo.authored(session, user.id)


# -- the open-data export -------------------------------------------------------------------

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

