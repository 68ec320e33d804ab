"""The officials' inbox: what waits for their authorities, soonest due first; who inside the
authority holds an item; and the decision behind an answer (the signed decision document,
and for a petition its consideration at a council session).

The assignment's department is public (the tracker shows which department holds an item); the
colleague it is assigned to is shown to officials only. The decision document is a public
record, served to anyone with the answer. Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app import clock, storage
from app.accountability import repository as repo
from app.accountability.models import Decision, Obligation, ObligationStatus
from app.accountability.service import KINDS, due_day, status_of
from app.audit import service as audit
from app.communities import permissions
from app.communities import repository as communities_repo
from app.communities.models import Authority
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.identity.models import User
from app.rules import calendar
from app.web.i18n import N_

NAMESPACE = "decisions"
MAX_VOTES = 10_000


@dataclass
class InboxItem:
    obligation: Obligation
    status: ObligationStatus
    due_day: date
    days_left: int  # negative: days overdue
    authority: Authority | None
    department: Authority | None
    assignee: str | None
    decision: Decision | None

    @property
    def overdue(self) -> bool:
        return self.status == ObligationStatus.overdue


def _items(session: Session, rows: list[Obligation]) -> list[InboxItem]:
    today = clock.today()
    ids = {o.authority_id for o in rows} | {o.assigned_authority_id for o in rows
                                            if o.assigned_authority_id}
    authorities = repo.authorities_by_id(session, list(ids))
    names = communities_repo.user_names(session, {o.assigned_user_id for o in rows
                                                  if o.assigned_user_id})
    decisions = repo.decisions_of(session, [o.id for o in rows])
    out = []
    for o in rows:
        day = due_day(o)
        out.append(InboxItem(o, status_of(o), day, (day - today).days,
                             authorities.get(o.authority_id),
                             authorities.get(o.assigned_authority_id),
                             names.get(o.assigned_user_id), decisions.get(o.id)))
    return out


def inbox(session: Session, user: User, *, kind: str | None = None, q: str | None = None,
          overdue: bool = False, offset: int = 0, limit: int = 50
          ) -> tuple[list[InboxItem], int]:
    """The open obligations of the authorities the person is an official of."""
    permissions.check_see_inbox(session, user)
    held = permissions.memberships(session, user)
    q = (q or "").replace("\x00", "").strip() or None
    rows, total = repo.inbox(session, set(held.official_of), kind=kind, q=q,
                             overdue_before=clock.now() if overdue else None,
                             offset=offset, limit=limit)
    return _items(session, rows), total


def residency_claims(session: Session, user: User) -> list[tuple[object, int]]:
    """(community, claims waiting) for each community the person verifies residency in."""
    held = permissions.memberships(session, user)
    out = []
    for community_id in sorted(held.official_in):
        waiting = len(communities_repo.pending_residencies(session, community_id))
        if waiting:
            out.append((communities_repo.community(session, community_id), waiting))
    return out


def get_item(session: Session, user: User, obligation_id: int) -> InboxItem:
    obligation = _obligation(session, obligation_id)
    check_handle(session, user, obligation)
    return _items(session, [obligation])[0]


def _obligation(session: Session, obligation_id: int) -> Obligation:
    obligation = repo.obligation(session, obligation_id)
    if obligation is None:
        raise NotFound(N_("No such item."))
    return obligation


def can_handle(session: Session, user: User | None, obligation: Obligation) -> bool:
    """An official of the authority it waits for, or one who administers its community."""
    if permissions.is_official_of(session, user, obligation.authority_id):
        return True
    community = communities_repo.community(session, obligation.community_id)
    return community is not None and permissions.administers_community(session, user,
                                                                       community)


def check_handle(session: Session, user: User | None, obligation: Obligation) -> None:
    permissions.logged_in(user)
    if not can_handle(session, user, obligation):
        raise Forbidden(N_("Only an official of the authority this waits for can handle it."))


def assign(session: Session, actor: User, obligation_id: int, *,
           department_id: int | None, user_id: int | None) -> Obligation:
    """Hand an item to a department of the community, a colleague, or both (None: nobody)."""
    obligation = _obligation(session, obligation_id)
    check_handle(session, actor, obligation)
    if obligation.answered_at is not None:
        raise Conflict(N_("This has already been answered."))
    if department_id is not None:
        department = communities_repo.authority(session, department_id)
        if department is None or department.community_id != obligation.community_id:
            raise InvalidInput(fields={"department_id": N_("Choose a department of this "
                                                           "community.")})
    if user_id is not None and not repo.is_official_in_community(session, user_id,
                                                                 obligation.community_id):
        raise InvalidInput(fields={"user_id": N_("Choose an official of this community.")})
    obligation.assigned_authority_id = department_id
    obligation.assigned_user_id = user_id
    session.add(obligation)
    session.flush()
    audit.append(session, "obligation.assigned", "obligation", obligation.id, actor.id,
                 department=department_id, to_colleague=user_id is not None)
    return obligation


def colleagues(session: Session, obligation: Obligation) -> list[User]:
    """The officials of the community an item may be assigned to."""
    return communities_repo.staff_members(session, obligation.community_id, "official")


def record_decision(session: Session, actor: User, obligation_id: int, *,
                    document: bytes | None = None, document_name: str | None = None,
                    session_on: date | None = None, decision_number: str | None = None,
                    votes_for: int | None = None, votes_against: int | None = None,
                    votes_abstained: int | None = None) -> Decision:
    """Attach the signed decision document (PDF) and, where the kind has one, the record of
    the council session. Either may come first; a later one replaces the earlier."""
    obligation = _obligation(session, obligation_id)
    check_handle(session, actor, obligation)
    kind = KINDS.get(obligation.kind)
    decision_number = " ".join((decision_number or "").split()) or None
    council = [session_on, decision_number, votes_for, votes_against, votes_abstained]
    fields: dict[str, str] = {}
    if document is not None and not document.startswith(b"%PDF-"):
        fields["document"] = N_("The decision document must be a PDF file.")
    if any(v is not None for v in council):
        if kind is None or not kind.council_session:
            raise InvalidInput(N_("Only a petition's answer is considered at a council "
                                  "session."), fields={"session_on": N_("Not for this item.")})
        if session_on is None:
            fields["session_on"] = N_("Enter the date of the council session.")
        elif session_on > clock.today():
            fields["session_on"] = N_("The session cannot be in the future.")
        elif session_on < calendar.local_date(clock.aware(obligation.opened_at)):
            fields["session_on"] = N_("The session cannot be before the item was opened.")
        if decision_number is None or len(decision_number) > 60:
            fields["decision_number"] = N_("Enter the decision number (at most 60 "
                                           "characters).")
        for name, value in (("votes_for", votes_for), ("votes_against", votes_against),
                            ("votes_abstained", votes_abstained)):
            if value is None or not 0 <= value <= MAX_VOTES:
                fields[name] = N_("Enter a number of votes (0 or more).")
    elif document is None:
        raise InvalidInput(N_("Attach the decision document or record the council session."),
                           fields={"document": N_("Choose a PDF file.")})
    if fields:
        raise InvalidInput(fields=fields)
    decision = repo.decision_of(session, obligation.id) or Decision(obligation_id=obligation.id)
    if document is not None:
        old = decision.document_key
        decision.document_key = storage.put(session, NAMESPACE, document, ext="pdf",
                                            content_type="application/pdf")
        decision.document_name = _file_name(document_name)
        decision.document_size = len(document)
        if old:
            storage.remove(session, NAMESPACE, old)
    if session_on is not None:
        decision.session_on = session_on
        decision.decision_number = decision_number
        decision.votes_for, decision.votes_against = votes_for, votes_against
        decision.votes_abstained = votes_abstained
    decision.recorded_by_id = actor.id
    decision.recorded_at = clock.now()
    session.add(decision)
    session.flush()
    audit.append(session, "obligation.decision_recorded", "obligation", obligation.id,
                 actor.id, document=document is not None,
                 session_on=session_on.isoformat() if session_on else None,
                 decision_number=decision_number, votes_for=votes_for,
                 votes_against=votes_against, votes_abstained=votes_abstained)
    return decision


def _file_name(name: str | None) -> str:
    name = (name or "").replace("\x00", "").replace("/", "_").replace("\\", "_").strip()
    return (name or "decision.pdf")[-200:]


def public_decision(session: Session, obligation_id: int) -> tuple[Obligation, Decision]:
    """An obligation's decision, for anyone (the decision is a public record)."""
    obligation = _obligation(session, obligation_id)
    decision = repo.decision_of(session, obligation.id)
    if decision is None:
        raise NotFound(N_("No decision is recorded for this item."))
    return obligation, decision


def document_bytes(session: Session, obligation_id: int) -> tuple[Decision, bytes]:
    _, decision = public_decision(session, obligation_id)
    if not decision.document_key:
        raise NotFound(N_("No decision document is attached to this item."))
    return decision, storage.read(session, NAMESPACE, decision.document_key)
