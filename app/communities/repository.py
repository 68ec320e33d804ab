"""Every communities query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, bindparam, func, literal, null, or_, union_all
from sqlmodel import Session, select

from app.communities.models import (
    Authority,
    Community,
    District,
    Region,
    RegionAdmin,
    Register,
    RegisterEntry,
    Residency,
    ResidencyStatus,
    Staff,
    StaffRole,
)
from app.deliberation.models import Block
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


def memberships_of(session: Session, user_ids: list[int], now: datetime
                   ) -> list[tuple[int, str, str | None, int, int | None, str | None]]:
    """The standing of people in every community as plain rows, in one query, each row
    starting with the person's id: (user id, "residency", status, community id, district id,
    evidence), (…, "staff", role, community id, authority id, None), (…, "region",
    "administrator", region id, None, None) and, for a block running at `now`, (…, "block",
    None, community id, block id, None).
    It runs on nearly every request that acts (and once per batch of signatures or ballots):
    no entity is loaded, and the statement is built once."""
    return [tuple(row) for row in session.execute(_MEMBERSHIPS,
                                                  {"user_ids": list(user_ids), "now": now})]


def _of(column):
    return column.in_(bindparam("user_ids", expanding=True))


_MEMBERSHIPS = union_all(
    select(Residency.user_id, literal("residency"), Residency.status, Residency.community_id,
           Residency.district_id, Residency.evidence).where(_of(Residency.user_id)),
    select(Staff.user_id, literal("staff"), Staff.role, Staff.community_id, Staff.authority_id,
           null().cast(String)).where(_of(Staff.user_id)),
    select(RegionAdmin.user_id, literal("region"), literal("administrator"),
           RegionAdmin.region_id, null().cast(Integer), null().cast(String)
           ).where(_of(RegionAdmin.user_id)),
    select(Block.user_id, literal("block"), null().cast(String), Block.community_id, Block.id,
           null().cast(String)
           ).where(_of(Block.user_id), Block.lifted_at.is_(None),
                   or_(Block.ends_at.is_(None),
                       Block.ends_at > bindparam("now", type_=Block.__table__.c.ends_at.type))))


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


# -- regions and the back office -------------------------------------------------------------

def regions(session: Session) -> list[Region]:
    return list(session.exec(select(Region).order_by(Region.name, Region.id)))


def region(session: Session, region_id: int) -> Region | None:
    return session.get(Region, region_id)


def region_by_slug(session: Session, slug: str) -> Region | None:
    return session.exec(select(Region).where(Region.slug == slug)).first()


def communities_of_region(session: Session, region_id: int) -> list[Community]:
    return list(session.exec(select(Community).where(Community.region_id == region_id)
                             .order_by(Community.name, Community.id)))


def search_communities(session: Session, *, q: str | None = None,
                       region_id: int | None = None, ids: set[int] | None = None,
                       offset: int = 0, limit: int = 50) -> tuple[list[Community], int]:
    query = select(Community)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(func.lower(Community.name).like(pattern)
                            | func.lower(Community.slug).like(pattern)
                            | func.lower(func.coalesce(Community.name_en, "")).like(pattern))
    if region_id is not None:
        query = query.where(Community.region_id == region_id)
    if ids is not None:
        query = query.where(Community.id.in_(ids or {-1}))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Community.name, Community.id).offset(offset).limit(limit))
    return list(rows), total


def region_admins(session: Session, region_id: int) -> list[tuple[RegionAdmin, User]]:
    return [(a, u) for a, u in session.exec(
        select(RegionAdmin, User).join(User, User.id == RegionAdmin.user_id)
        .where(RegionAdmin.region_id == region_id).order_by(User.display_name, User.id))]


def region_admin(session: Session, user_id: int, region_id: int) -> RegionAdmin | None:
    return session.exec(select(RegionAdmin).where(RegionAdmin.user_id == user_id,
                                                  RegionAdmin.region_id == region_id)).first()


def region_admin_by_id(session: Session, admin_id: int) -> RegionAdmin | None:
    return session.get(RegionAdmin, admin_id)


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def staff_row(session: Session, user_id: int, community_id: int, role: str,
              authority_id: int | None) -> Staff | None:
    return session.exec(select(Staff).where(
        Staff.user_id == user_id, Staff.community_id == community_id, Staff.role == role,
        Staff.authority_id == authority_id if authority_id is not None
        else Staff.authority_id.is_(None))).first()


def staff_with_users(session: Session, community_id: int, *, q: str | None = None,
                     role: str | None = None, offset: int = 0, limit: int = 500
                     ) -> tuple[list[tuple[Staff, User]], int]:
    query = (select(Staff, User).join(User, User.id == Staff.user_id)
             .where(Staff.community_id == community_id))
    if role:
        query = query.where(Staff.role == role)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(func.lower(User.display_name).like(pattern)
                            | func.lower(User.email).like(pattern))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Staff.role, User.display_name, Staff.id)
                        .offset(offset).limit(limit))
    return [(s, u) for s, u in rows], total


def administrator_count(session: Session, community_id: int) -> int:
    return session.exec(select(func.count()).select_from(Staff).where(
        Staff.community_id == community_id, Staff.role == StaffRole.administrator)).one()


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: name for i, name in session.exec(
        select(User.id, User.display_name).where(User.id.in_(ids))).all()}
