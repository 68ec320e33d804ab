"""Every communities query."""

from __future__ import annotations

from sqlalchemy import Integer, String, bindparam, literal, null, union_all
from sqlmodel import Session, select

from app.communities.models import (
    Authority,
    Community,
    District,
    Register,
    RegisterEntry,
    Residency,
    ResidencyStatus,
    Staff,
)
from app.identity.models import User


def communities(session: Session) -> list[Community]:
    return list(session.exec(select(Community).order_by(Community.name)))


def community_by_slug(session: Session, slug: str) -> Community | None:
    return session.exec(select(Community).where(Community.slug == slug)).first()


def community(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def authorities(session: Session, community_id: int) -> list[Authority]:
    return list(session.exec(select(Authority).where(Authority.community_id == community_id)
                             .order_by(Authority.id)))


def authority(session: Session, authority_id: int) -> Authority | None:
    return session.get(Authority, authority_id)


def districts(session: Session, community_id: int) -> list[District]:
    return list(session.exec(select(District).where(District.community_id == community_id)
                             .order_by(District.name, District.id)))


def district(session: Session, district_id: int) -> District | None:
    return session.get(District, district_id)


def district_by_slug(session: Session, community_id: int, slug: str) -> District | None:
    return session.exec(select(District).where(District.community_id == community_id,
                                               District.slug == slug)).first()


def residencies_of(session: Session, user_id: int) -> list[Residency]:
    return list(session.exec(select(Residency).where(Residency.user_id == user_id)))


def residency(session: Session, user_id: int, community_id: int) -> Residency | None:
    return session.exec(select(Residency).where(Residency.user_id == user_id,
                                                Residency.community_id == community_id)).first()


def residency_by_id(session: Session, residency_id: int) -> Residency | None:
    return session.get(Residency, residency_id)


def pending_residencies(session: Session, community_id: int) -> list[tuple[Residency, User]]:
    rows = session.exec(
        select(Residency, User).join(User, User.id == Residency.user_id)
        .where(Residency.community_id == community_id,
               Residency.status == ResidencyStatus.claimed)
        .order_by(Residency.claimed_at)
    )
    return [(r, u) for r, u in rows]


def memberships_of(session: Session, user_id: int
                   ) -> list[tuple[str, str, int, int | None, str | None]]:
    """Every residency and staff role of a person as plain rows, in one query:
    ("residency", status, community id, None, evidence) and ("staff", role, community id,
    authority id, None).
    It runs on nearly every request that acts: no entity is loaded, and the statement is built
    once."""
    return [tuple(row) for row in session.execute(_MEMBERSHIPS, {"user_id": user_id})]


_MEMBERSHIPS = union_all(
    select(literal("residency"), Residency.status, Residency.community_id,
           null().cast(Integer), Residency.evidence
           ).where(Residency.user_id == bindparam("user_id")),
    select(literal("staff"), Staff.role, Staff.community_id, Staff.authority_id,
           null().cast(String)).where(Staff.user_id == bindparam("user_id")))


def staff_of(session: Session, user_id: int) -> list[Staff]:
    return list(session.exec(select(Staff).where(Staff.user_id == user_id)))


def staff_members(session: Session, community_id: int, role: str,
                  authority_id: int | None = None) -> list[User]:
    query = (select(User).join(Staff, Staff.user_id == User.id)
             .where(Staff.community_id == community_id, Staff.role == role))
    if authority_id is not None:
        query = query.where(Staff.authority_id == authority_id)
    return list(session.exec(query.order_by(User.id)))


def latest_register(session: Session, community_id: int) -> Register | None:
    return session.exec(select(Register).where(Register.community_id == community_id)
                        .order_by(Register.version.desc())).first()


def register(session: Session, register_id: int) -> Register | None:
    return session.get(Register, register_id)


def register_has(session: Session, register_id: int, *, claim_key: str | None = None,
                 person_key: str | None = None) -> bool:
    query = select(RegisterEntry.id).where(RegisterEntry.register_id == register_id)
    if claim_key is not None:
        query = query.where(RegisterEntry.claim_key == claim_key)
    if person_key is not None:
        query = query.where(RegisterEntry.person_key == person_key)
    return session.exec(query.limit(1)).first() is not None
