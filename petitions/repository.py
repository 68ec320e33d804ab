"""Every query of the petitions module.

Full-text search: on PostgreSQL, to_tsvector('simple', title || ' ' || text) served by the GIN
expression index ix_petition_fts (created by the migration; the expression here must stay
identical to it). On SQLite, a case-insensitive LIKE per word, with a Unicode-aware lower()
registered on the connection (SQLite's own lower() folds only ASCII, not Cyrillic).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from app.accountability.models import Obligation
from app.communities.models import Authority, Community
from app.db import insert_or_skip
from app.deliberation import invalidation
from app.deliberation.invalidation import email_domain as email_domain_sql
from app.identity.models import User
from app.notifications.models import Follow
from petitions.models import (
    LISTED,
    OBLIGATION_KIND,
    SUBJECT_TYPE,
    Petition,
    PetitionAnswer,
    PetitionImplementationUpdate,
    PetitionSignature,
    PetitionSponsor,
    PetitionStatus,
    PublicStatus,
)

WORD_RE = re.compile(r"\w+", re.UNICODE)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _sync(obj: Any, **values: Any) -> None:
    """Tell the in-memory object what an UPDATE statement wrote, without marking it dirty."""
    for key, value in values.items():
        set_committed_value(obj, key, value)


# -- petitions ------------------------------------------------------------------------------

def get(session: Session, petition_id: int) -> Petition | None:
    return session.get(Petition, petition_id)


def page_row(session: Session, petition_id: int
             ) -> tuple[Petition, Community, Authority] | None:
    """The petition with its community and addressed authority: one query."""
    row = session.exec(
        select(Petition, Community, Authority)
        .join(Community, Community.id == Petition.community_id)
        .join(Authority, Authority.id == Petition.authority_id)
        .where(Petition.id == petition_id)).first()
    return (row[0], row[1], row[2]) if row else None


def add(session: Session, petition: Petition) -> Petition:
    session.add(petition)
    session.flush()
    return petition


def transition(session: Session, petition: Petition, from_statuses: tuple[str, ...],
               **values: Any) -> bool:
    """Move a petition on only if it is still in one of `from_statuses` (a guarded UPDATE,
    so two moderators or two closing jobs cannot both act). Returns whether it moved."""
    result = session.exec(
        update(Petition).where(Petition.id == petition.id,
                               Petition.status.in_([str(s) for s in from_statuses]))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    _sync(petition, **values)
    return True


def bump_signatures(session: Session, petition: Petition, delta: int, public_delta: int,
                    now: datetime) -> tuple[int, int | None] | None:
    """Atomically change the counter of an open petition whose period has not ended
    (`count_in`). Returns (new count, threshold), or None when the petition is no longer
    collecting; `petition` gets the new counts."""
    updated = count_in(session, petition.id, delta, public_delta, now)
    if updated is None:
        return None
    _sync(petition, signature_count=updated.signature_count,
          public_signer_count=updated.public_signer_count)
    return updated.signature_count, updated.threshold


def bump_sponsors(session: Session, petition: Petition) -> int | None:
    row = session.exec(
        update(Petition)
        .where(Petition.id == petition.id, Petition.status == PetitionStatus.sponsoring)
        .values(sponsor_count=Petition.sponsor_count + 1)
        .returning(Petition.sponsor_count)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        return None
    _sync(petition, sponsor_count=row[0])
    return row[0]


def close_expired(session: Session, now: datetime) -> list[tuple[int, str]]:
    """Close every open petition whose period has ended; returns (id, title) of each."""
    expired = (Petition.status == PetitionStatus.open) & (Petition.collection_ends_at <= now)
    rows = list(session.exec(select(Petition.id, Petition.title).where(expired)
                             .order_by(Petition.id)))
    if rows:
        session.exec(update(Petition).where(expired, Petition.id.in_([r[0] for r in rows]))
                     .values(status=PetitionStatus.closed, closed_at=Petition.collection_ends_at,
                             updated_at=now)
                     .execution_options(synchronize_session="fetch"))
    return [(r[0], r[1]) for r in rows]


# -- signatures -----------------------------------------------------------------------------

def count_in(session: Session, petition_id: int, delta: int, public_delta: int,
             now: datetime) -> Petition | None:
    """Add signatures (or, with a negative delta, take them off) to the counters of a
    petition that still collects now, and return it as updated; None if it no longer
    collects. The UPDATE locks the row until commit on PostgreSQL (its WHERE is re-checked
    after a concurrent commit): a batch takes it last, once its signatures are in (their
    inserts only share the row's key)."""
    return session.execute(_COUNT_IN, {"petition_id": petition_id, "delta": delta,
                                       "public_delta": public_delta, "now": now}
                           ).scalars().first()


_COUNT_IN = (  # built once: every signing batch runs it
    update(Petition)
    .where(Petition.id == bindparam("petition_id"), Petition.status == PetitionStatus.open,
           Petition.collection_ends_at > bindparam("now"))
    .values(signature_count=Petition.signature_count + bindparam("delta"),
            public_signer_count=Petition.public_signer_count + bindparam("public_delta"))
    .returning(Petition)
    .execution_options(synchronize_session=False, populate_existing=True))


def insert_signatures(session: Session, rows: list[dict[str, Any]]) -> set[int]:
    """INSERT many online signatures in one statement, skipping those the unique constraints
    refuse; returns the user ids that were inserted."""
    table = PetitionSignature.__table__
    statement = insert_or_skip(session, table).on_conflict_do_nothing().returning(
        table.c.user_id)  # one compiled statement, executed for many rows
    rows = sorted(rows, key=lambda row: row["user_id"])  # one order for all: no deadlock
    return {row[0] for row in session.connection().execute(statement, rows)}


def delete_signatures(session: Session, petition_id: int, user_ids: list[int]) -> None:
    session.exec(delete(PetitionSignature).where(PetitionSignature.petition_id == petition_id,
                                                 PetitionSignature.user_id.in_(user_ids)))


def insert_signature(session: Session, **values: Any) -> None:
    """A plain INSERT (no ORM object): the unique constraints decide a second signature."""
    session.exec(insert(PetitionSignature).values(**values))


def delete_signature(session: Session, petition_id: int, user_id: int) -> bool | None:
    """Delete a signer's signature; returns its public_name flag, or None if there was none."""
    row = session.exec(
        delete(PetitionSignature)
        .where(PetitionSignature.petition_id == petition_id,
               PetitionSignature.user_id == user_id)
        .returning(PetitionSignature.public_name)
        .execution_options(synchronize_session=False)).first()
    return None if row is None else bool(row[0])


def signature_of(session: Session, petition_id: int, user_id: int) -> PetitionSignature | None:
    return session.exec(select(PetitionSignature).where(
        PetitionSignature.petition_id == petition_id,
        PetitionSignature.user_id == user_id)).first()


class OwnSignature(NamedTuple):
    """What a page shows of the viewer's own signature."""

    created_at: datetime
    rating: str | None


def viewer_state(session: Session, petition_id: int, user_id: int
                 ) -> tuple[OwnSignature | None, bool]:
    """The person's signature of the petition (None) and whether they follow it: one Core
    query of plain columns (built once: every logged-in view of a petition asks, and ORM
    entities would cost more than the query)."""
    row = session.connection().execute(
        _VIEWER_STATE, {"petition_id": petition_id, "user_id": user_id}).one()
    signed = None if row.created_at is None else OwnSignature(row.created_at, row.rating)
    return signed, bool(row.following)


_SIGNATURE = PetitionSignature.__table__
_VIEWER_STATE = (
    select(_SIGNATURE.c.created_at, _SIGNATURE.c.rating, exists().where(
        Follow.user_id == bindparam("user_id"), Follow.subject_type == SUBJECT_TYPE,
        Follow.subject_id == bindparam("petition_id")).label("following"))
    .select_from(select(literal(1).label("one")).subquery("viewer"))
    .outerjoin(_SIGNATURE, and_(_SIGNATURE.c.petition_id == bindparam("petition_id"),
                                _SIGNATURE.c.user_id == bindparam("user_id"))))


def set_rating(session: Session, petition_id: int, user_id: int, value: str) -> bool:
    """Record a signer's rating once: False when not a signer or already rated."""
    result = session.exec(
        update(PetitionSignature)
        .where(PetitionSignature.petition_id == petition_id,
               PetitionSignature.user_id == user_id, PetitionSignature.rating.is_(None))
        .values(rating=value).execution_options(synchronize_session=False))
    return result.rowcount == 1


def public_signers(session: Session, petition_id: int, *, offset: int = 0, limit: int = 20
                   ) -> list[tuple[str, datetime]]:
    """Names of signers who consented to be listed, newest first."""
    rows = session.exec(
        select(User.display_name, PetitionSignature.created_at)
        .join(User, User.id == PetitionSignature.user_id)
        .where(PetitionSignature.petition_id == petition_id,
               PetitionSignature.public_name.is_(True), User.erased_at.is_(None))
        .order_by(PetitionSignature.id.desc()).offset(offset).limit(limit))
    return [(r[0], r[1]) for r in rows]


def count_signatures(session: Session, petition_id: int) -> int:
    """COUNT(*) of the signature rows: for checks and tests, never for a page view."""
    return session.exec(select(func.count()).select_from(PetitionSignature)
                        .where(PetitionSignature.petition_id == petition_id)).one()


# -- sponsors -------------------------------------------------------------------------------

def insert_sponsor(session: Session, petition_id: int, user_id: int, now: datetime) -> None:
    session.exec(insert(PetitionSponsor).values(petition_id=petition_id, user_id=user_id,
                                                created_at=now))


def is_sponsor(session: Session, petition_id: int, user_id: int) -> bool:
    return session.exec(select(PetitionSponsor.id).where(
        PetitionSponsor.petition_id == petition_id,
        PetitionSponsor.user_id == user_id)).first() is not None


# -- answers and updates --------------------------------------------------------------------

def add_answer(session: Session, answer: PetitionAnswer) -> PetitionAnswer:
    session.add(answer)
    session.flush()
    return answer


def add_update(session: Session, item: PetitionImplementationUpdate
               ) -> PetitionImplementationUpdate:
    session.add(item)
    session.flush()
    return item


def outcome(session: Session, petition_id: int) -> tuple[
        Obligation | None, PetitionAnswer | None, list[PetitionImplementationUpdate]]:
    """The obligation, the answer and the implementation updates: one query."""
    progress = PetitionImplementationUpdate
    rows = list(session.exec(
        select(Obligation, PetitionAnswer, progress)
        .outerjoin(PetitionAnswer, PetitionAnswer.petition_id == Obligation.subject_id)
        .outerjoin(progress, progress.petition_id == Obligation.subject_id)
        .where(Obligation.kind == OBLIGATION_KIND, Obligation.subject_type == SUBJECT_TYPE,
               Obligation.subject_id == petition_id)
        .order_by(progress.happened_on.desc(), progress.id.desc())))
    if not rows:
        return None, None, []
    return rows[0][0], rows[0][1], [r[2] for r in rows if r[2] is not None]


# -- lists and search -----------------------------------------------------------------------

def _words(q: str | None, minimum: int = 1, limit: int = 8) -> list[str]:
    return [w for w in WORD_RE.findall(q or "") if len(w) >= minimum][:limit]


def _ensure_casefold(session: Session) -> None:
    """Register a Unicode lower() as hromada_lower on this SQLite connection (once)."""
    fairy = session.connection().connection
    if not fairy.info.get("hromada_lower"):
        fairy.dbapi_connection.create_function("hromada_lower", 1,
                                               lambda s: s.lower() if s else s,
                                               deterministic=True)
        fairy.info["hromada_lower"] = True


def _fts_document():
    # Must match the index expression in the migration exactly.
    return func.to_tsvector(literal_column("'simple'::regconfig"),
                            Petition.title.op("||")(literal_column("' '")).op("||")(
                                Petition.text))


def _text_match(session: Session, words: list[str], *, any_word: bool):
    """A condition matching petitions whose title or text holds the words (prefixes)."""
    if _dialect(session) == "postgresql":
        joiner = " | " if any_word else " & "
        query = joiner.join(f"{w}:*" for w in words)
        return _fts_document().op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"),
                                                        query))
    _ensure_casefold(session)
    haystack = func.hromada_lower(Petition.title.op("||")(literal_column("' '"))
                                  .op("||")(Petition.text))
    conds = []
    for word in words:
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(haystack.like(f"%{escaped}%", escape="\\"))
    return or_(*conds) if any_word else and_(*conds)


def status_condition(status: PublicStatus, now: datetime):
    s = Petition.status
    return {
        PublicStatus.open: and_(s == PetitionStatus.open, Petition.collection_ends_at > now),
        PublicStatus.closed: or_(s == PetitionStatus.closed,
                                 and_(s == PetitionStatus.open,
                                      Petition.collection_ends_at <= now)),
        PublicStatus.awaiting_answer: and_(s == PetitionStatus.awaiting_answer,
                                           Petition.answer_due_at > now),
        PublicStatus.overdue: and_(s == PetitionStatus.awaiting_answer,
                                   Petition.answer_due_at <= now),
        PublicStatus.answered: s == PetitionStatus.answered,
        PublicStatus.rejected: s == PetitionStatus.rejected,
    }[status]


def search(session: Session, *, now: datetime, community_id: int | None = None,
           status: PublicStatus | None = None, category: str | None = None,
           q: str | None = None, sort: str = "newest", offset: int = 0, limit: int = 20
           ) -> tuple[list[tuple[Petition, str]], int]:
    """A page of listed petitions with their community's name, and the total."""
    conds = [Petition.status.in_([str(s) for s in LISTED])]
    if community_id is not None:
        conds.append(Petition.community_id == community_id)
    if status is not None:
        conds.append(status_condition(status, now))
    if category:
        conds.append(Petition.category == category)
    words = _words(q)
    if words:
        conds.append(_text_match(session, words, any_word=False))
    total = session.exec(select(func.count()).select_from(Petition).where(*conds)).one()
    if sort == "signatures":
        order = (Petition.signature_count.desc(), Petition.id.desc())
    elif sort == "deadline":
        deadline = case(
            (Petition.status == PetitionStatus.awaiting_answer, Petition.answer_due_at),
            (and_(Petition.status == PetitionStatus.open, Petition.collection_ends_at > now),
             Petition.collection_ends_at), else_=None)
        order = (deadline.asc().nulls_last(), Petition.id.desc())
    else:
        order = (func.coalesce(Petition.published_at, Petition.submitted_at,
                               Petition.created_at).desc(), Petition.id.desc())
    rows = session.exec(select(Petition, Community.name)
                        .join(Community, Community.id == Petition.community_id)
                        .where(*conds).order_by(*order).offset(offset).limit(limit))
    return [(r[0], r[1]) for r in rows], total


def similar(session: Session, q: str, community_id: int | None, limit: int = 5,
            exclude_id: int | None = None) -> list[Petition]:
    """Published petitions sharing words with `q` (any word), best matches first."""
    words = _words(q, minimum=3)
    if not words:
        return []
    published = [s for s in LISTED if s != PetitionStatus.rejected]
    conds = [Petition.status.in_(published),
             _text_match(session, words, any_word=True)]
    if community_id is not None:
        conds.append(Petition.community_id == community_id)
    if exclude_id is not None:
        conds.append(Petition.id != exclude_id)
    query = select(Petition).where(*conds)
    if _dialect(session) == "postgresql":
        rank = func.ts_rank(_fts_document(), func.to_tsquery(
            literal_column("'simple'::regconfig"), " | ".join(f"{w}:*" for w in words)))
        query = query.order_by(rank.desc(), Petition.signature_count.desc())
    else:
        query = query.order_by(Petition.signature_count.desc(), Petition.id.desc())
    return list(session.exec(query.limit(limit)))


def in_moderation(session: Session, community_ids: list[int] | None) -> list[Petition]:
    """Petitions awaiting a moderator, the most urgent first (None: every community)."""
    query = select(Petition).where(Petition.status == PetitionStatus.moderation)
    if community_ids is not None:
        if not community_ids:
            return []
        query = query.where(Petition.community_id.in_(community_ids))
    return list(session.exec(query.order_by(Petition.moderation_due_at, Petition.id)))


def authored(session: Session, user_id: int) -> list[Petition]:
    return list(session.exec(select(Petition).where(Petition.author_id == user_id)
                             .order_by(Petition.created_at.desc(), Petition.id.desc())))


def export_rows(session: Session, batch: int = 1000) -> Iterator[tuple]:
    """Every listed petition for the open-data export, in id order, in batches."""
    last = 0
    while True:
        rows = list(session.exec(
            select(Petition, Community.slug, Authority.name, PetitionAnswer.decision,
                   Obligation)
            .join(Community, Community.id == Petition.community_id)
            .join(Authority, Authority.id == Petition.authority_id)
            .outerjoin(PetitionAnswer, PetitionAnswer.petition_id == Petition.id)
            .outerjoin(Obligation, and_(Obligation.kind == OBLIGATION_KIND,
                                        Obligation.subject_type == SUBJECT_TYPE,
                                        Obligation.subject_id == Petition.id))
            .where(Petition.status.in_([str(s) for s in LISTED]), Petition.id > last)
            .order_by(Petition.id).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1][0].id


def user_by_email(session: Session, canonical: str) -> User | None:
    return session.exec(select(User).where(User.email_canonical == canonical,
                                           User.erased_at.is_(None))).first()


def any_in_community(session: Session, community_id: int) -> bool:
    return session.exec(select(Petition.id).where(Petition.community_id == community_id)
                        .limit(1)).first() is not None


# -- personal data --------------------------------------------------------------------------

def signatures_of_user(session: Session, user_id: int
                       ) -> list[tuple[PetitionSignature, Petition]]:
    rows = session.exec(select(PetitionSignature, Petition)
                        .join(Petition, Petition.id == PetitionSignature.petition_id)
                        .where(PetitionSignature.user_id == user_id)
                        .order_by(PetitionSignature.id))
    return [(r[0], r[1]) for r in rows]


def sponsorships_of_user(session: Session, user_id: int
                         ) -> list[tuple[PetitionSponsor, Petition]]:
    rows = session.exec(select(PetitionSponsor, Petition)
                        .join(Petition, Petition.id == PetitionSponsor.petition_id)
                        .where(PetitionSponsor.user_id == user_id)
                        .order_by(PetitionSponsor.id))
    return [(r[0], r[1]) for r in rows]


def answers_by(session: Session, user_id: int) -> list[PetitionAnswer]:
    return list(session.exec(select(PetitionAnswer).where(PetitionAnswer.official_id == user_id)
                             .order_by(PetitionAnswer.id)))


def updates_by(session: Session, user_id: int) -> list[PetitionImplementationUpdate]:
    progress = PetitionImplementationUpdate
    return list(session.exec(select(progress).where(progress.author_id == user_id)
                             .order_by(progress.id)))


def unname_signer(session: Session, user_id: int) -> None:
    """Take a person's name off every public signer list; the signatures stay counted."""
    named = select(PetitionSignature.petition_id).where(
        PetitionSignature.user_id == user_id, PetitionSignature.public_name.is_(True))
    session.exec(update(Petition).where(Petition.id.in_(named))
                 .values(public_signer_count=Petition.public_signer_count - 1)
                 .execution_options(synchronize_session=False))
    session.exec(update(PetitionSignature).where(PetitionSignature.user_id == user_id)
                 .values(public_name=False, identity_hash=None)
                 .execution_options(synchronize_session=False))


def delete_drafts(session: Session, user_id: int) -> None:
    session.exec(delete(Petition).where(Petition.author_id == user_id,
                                        Petition.status == PetitionStatus.draft)
                 .execution_options(synchronize_session=False))


def anonymise_signers(session: Session, cutoff: datetime) -> int:
    """Forget who signed petitions that ended before `cutoff`; the counts stay."""
    ended = select(Petition.id).where(or_(
        and_(Petition.status == PetitionStatus.closed, Petition.closed_at <= cutoff),
        and_(Petition.status == PetitionStatus.answered, Petition.answered_at <= cutoff),
        and_(Petition.status == PetitionStatus.open, Petition.collection_ends_at <= cutoff)))
    result = session.exec(
        update(PetitionSignature)
        .where(PetitionSignature.petition_id.in_(ended),
               or_(PetitionSignature.user_id.is_not(None),
                   PetitionSignature.identity_hash.is_not(None)))
        .values(user_id=None, identity_hash=None, public_name=False)
        .execution_options(synchronize_session=False))
    session.exec(update(Petition).where(Petition.id.in_(ended),
                                        Petition.public_signer_count != 0)
                 .values(public_signer_count=0).execution_options(synchronize_session=False))
    return result.rowcount or 0


# -- invalidation and arrivals (the moderators' fraud tools) --------------------------------

def lock_petition(session: Session, petition_id: int) -> Petition | None:
    """The petition re-read and locked (PostgreSQL): signing waits until the invalidation
    commits, so the counter and the rows move together."""
    return session.exec(select(Petition).where(Petition.id == petition_id)
                        .with_for_update().execution_options(populate_existing=True)).first()


def _signature_filter(petition_id: int, *, email_domain: str | None, network: str | None,
                      signed_from: datetime | None, signed_until: datetime | None) -> list:
    return [PetitionSignature.petition_id == petition_id,
            *invalidation.conditions(PetitionSignature.user_id, PetitionSignature.network_hash,
                                     PetitionSignature.created_at, email_domain=email_domain,
                                     network=network, start=signed_from, until=signed_until)]


def delete_matching(session: Session, petition_id: int, **criteria: Any
                    ) -> list[tuple[int | None, bool]]:
    """Delete the signatures the criteria match; (user id, public_name) of each deleted."""
    rows = session.exec(
        delete(PetitionSignature).where(*_signature_filter(petition_id, **criteria))
        .returning(PetitionSignature.user_id, PetitionSignature.public_name)
        .execution_options(synchronize_session=False)).all()
    return [(r[0], bool(r[1])) for r in rows]


def count_matching(session: Session, petition_id: int, **criteria: Any) -> int:
    return session.exec(select(func.count()).select_from(PetitionSignature)
                        .where(*_signature_filter(petition_id, **criteria))).one()


def take_signatures(session: Session, petition: Petition, count: int, public: int,
                    **values: Any) -> None:
    """Lower the counters by what an invalidation removed, whatever the status (the row is
    locked), with any other values the petition's state takes."""
    row = session.exec(
        update(Petition).where(Petition.id == petition.id)
        .values(signature_count=Petition.signature_count - count,
                public_signer_count=Petition.public_signer_count - public, **values)
        .returning(Petition.signature_count, Petition.public_signer_count)
        .execution_options(synchronize_session=False)).one()
    _sync(petition, signature_count=row[0], public_signer_count=row[1], **values)


def count_public_signatures(session: Session, petition_id: int) -> int:
    return session.exec(select(func.count()).select_from(PetitionSignature).where(
        PetitionSignature.petition_id == petition_id,
        PetitionSignature.public_name.is_(True))).one()


def signing_times(session: Session, petition_id: int) -> list[datetime]:
    """When each signature was made, oldest first: hours are cut in Python, the same way on
    both databases (a petition's signatures, read once for a moderator's view)."""
    return list(session.exec(
        select(PetitionSignature.created_at).where(PetitionSignature.petition_id == petition_id)
        .order_by(PetitionSignature.created_at)))


def arrivals_by_domain(session: Session, petition_id: int, limit: int = 50
                       ) -> list[tuple[str, int]]:
    domain = email_domain_sql(session)
    rows = session.exec(
        select(domain.label("domain"), func.count())
        .select_from(PetitionSignature).join(User, User.id == PetitionSignature.user_id)
        .where(PetitionSignature.petition_id == petition_id)
        .group_by(domain).order_by(func.count().desc(), domain).limit(limit))
    return [(r[0], r[1]) for r in rows]


def arrivals_by_network(session: Session, petition_id: int, limit: int = 50
                        ) -> list[tuple[str, int]]:
    rows = session.exec(
        select(PetitionSignature.network_hash, func.count())
        .where(PetitionSignature.petition_id == petition_id,
               PetitionSignature.network_hash.is_not(None))
        .group_by(PetitionSignature.network_hash)
        .order_by(func.count().desc(), PetitionSignature.network_hash).limit(limit))
    return [(r[0], r[1]) for r in rows]


def forget_networks(session: Session, community_id: int, cutoff: datetime) -> int:
    """Drop the network hashes of the community's signatures older than the cutoff."""
    result = session.exec(
        update(PetitionSignature)
        .where(PetitionSignature.network_hash.is_not(None),
               PetitionSignature.created_at < cutoff,
               PetitionSignature.petition_id.in_(
                   select(Petition.id).where(Petition.community_id == community_id)))
        .values(network_hash=None).execution_options(synchronize_session=False))
    return result.rowcount or 0


def add_invalidation(session: Session, item: Any) -> Any:
    session.add(item)
    session.flush()
    return item


def set_hidden(session: Session, petition_id: int, hidden: bool) -> None:
    session.exec(update(Petition).where(Petition.id == petition_id)
                 .values(hidden_by_moderation=hidden)
                 .execution_options(synchronize_session="fetch"))
