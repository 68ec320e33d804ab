"""The opinion map: participants write short statements and agree, disagree or pass on the
others'; the map (consultations/opinion.py) groups them by how they vote. Flushes, never
commits.

The map is computed from every vote of the consultation and kept per process, keyed by the
consultation's latest vote (an index lookup): a new vote makes the next reader compute it
afresh, so it follows the votes as they arrive, while readers between two votes share one
computation.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput, NotFound
from app.identity.models import User
from app.web.i18n import N_
from consultations import opinion, permissions, text
from consultations import repository as repo
from consultations.models import (
    SUBJECT_TYPE,
    VOTE_VALUES,
    Consultation,
    ConsultationStatement,
    ConsultationVote,
    StatementIn,
    Vote,
)
from consultations.service import reading

MAX_STATEMENT = 280
DUPLICATE = N_("This statement has already been made; vote on it instead.")
VOTED = N_("You have already voted on this statement.")


def _key(body: str) -> str:
    return re.sub(r"\s+", " ", body).strip().casefold()


def add_statement(session: Session, user: User | None, c: Consultation, data: StatementIn
                  ) -> ConsultationStatement:
    permissions.check_state(session, user, c, reading.phase(c))
    body = text.clean_line(data.body)
    if len(body) < 5 or len(body) > MAX_STATEMENT:
        message = N_("Write a statement of 5 to {n} characters.")
        raise InvalidInput(message, fields={"body": message}, n=MAX_STATEMENT)
    key = _key(body)
    if repo.statement_by_key(session, c.id, key) is not None:
        raise Conflict(DUPLICATE, fields={"body": DUPLICATE})
    statement = ConsultationStatement(consultation_id=c.id, user_id=user.id, body=body,
                                      body_key=key)
    session.add(statement)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(DUPLICATE, fields={"body": DUPLICATE}) from None
    repo.bump(session, Consultation, c.id, statement_count=1)
    audit.append(session, "consultation.statement_added", SUBJECT_TYPE, c.id, user.id,
                 statement_id=statement.id)
    return statement


def vote(session: Session, user: User | None, c: Consultation, statement_id: int, value: Vote
         ) -> ConsultationVote:
    """One vote per person and statement, final (as in Polis: a changed mind is a new
    statement)."""
    permissions.check_state(session, user, c, reading.phase(c))
    statement = repo.statement(session, statement_id)
    if statement is None or statement.consultation_id != c.id or statement.hidden_at:
        raise NotFound(N_("No such statement."))
    if repo.vote(session, statement.id, user.id) is not None:
        raise Conflict(VOTED)
    row = ConsultationVote(consultation_id=c.id, statement_id=statement.id, user_id=user.id,
                           value=VOTE_VALUES[value], created_at=clock.now())
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(VOTED) from None
    counter = {Vote.agree: "agree_count", Vote.disagree: "disagree_count",
               Vote.skip: "pass_count"}[value]
    repo.bump(session, ConsultationStatement, statement.id, **{counter: 1})
    repo.bump(session, Consultation, c.id, vote_count=1)
    return row


def statement_of(session: Session, c: Consultation, statement_id: int
                 ) -> ConsultationStatement:
    statement = repo.statement(session, statement_id)
    if statement is None or statement.consultation_id != c.id:
        raise NotFound(N_("No such statement."))
    session.refresh(statement)
    return statement


def statements(session: Session, c: Consultation) -> list[ConsultationStatement]:
    return repo.statements(session, c.id)


def my_votes(session: Session, user: User | None, c: Consultation) -> dict[int, int]:
    return repo.votes_of_user(session, c.id, user.id) if user else {}


def next_statement(session: Session, user: User | None, c: Consultation
                   ) -> ConsultationStatement | None:
    """The first statement the person has not voted on yet (not their own)."""
    if user is None:
        return None
    voted = my_votes(session, user, c)
    return next((s for s in statements(session, c)
                 if s.id not in voted and s.user_id != user.id), None)


# -- the map ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapView:
    result: opinion.OpinionMap
    bodies: dict[int, str]


_cache: dict[int, tuple[int, opinion.OpinionMap]] = {}
_lock = threading.Lock()


def opinion_map(session: Session, c: Consultation) -> MapView:
    latest = repo.latest_vote_id(session, c.id)
    with _lock:
        cached = _cache.get(c.id)
    if cached is not None and cached[0] == latest:
        result = cached[1]
    else:
        rows = repo.all_votes(session, c.id)
        result = opinion.compute([r[0] for r in rows], [r[1] for r in rows],
                                 [r[2] for r in rows])
        with _lock:
            _cache[c.id] = (latest, result)
    return MapView(result, {s.id: s.body for s in statements(session, c)})
