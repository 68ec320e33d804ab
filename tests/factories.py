"""Kernel factories: people, communities, authorities and rules, for every module's tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from app.communities import service as communities
from app.communities.models import Authority, Community, StaffRole
from app.identity import service as identity
from app.identity.models import GlobalRole, User
from app.rules import service as rules
from app.rules.schema import RuleVersion

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"

DEFAULT_RULES: dict[str, Any] = {
    "petitions": {
        "threshold": 3,
        "collection_days": 30,
        "answer_deadline": {"days": 10, "unit": "working"},
        "sponsors_required": 0,
        "minimum_age": 14,
        "moderation_deadline": {"days": 3, "unit": "working"},
    },
    "budget": {"minimum_age": 16, "voting_method": "approval", "max_choices": 3,
               "aggregation": "greedy", "project_cost_min": 1000,
               "project_cost_max": 500_000},
    "consultations": {"minimum_duration_days": 14,
                      "report_deadline": {"days": 14, "unit": "calendar"}},
}


def merge(base: dict, override: dict | None) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make_user(db: Session, *, name: str | None = None, email: str | None = None,
              role: GlobalRole = GlobalRole.resident, verified: bool = True,
              birth_date: date | None = date(1990, 5, 17), language: str | None = None) -> User:
    n = next(_seq)
    user = identity.register(db, identity.Registration(
        email=email or f"person{n}@example.org", password=PASSWORD,
        display_name=name or f"Person {n}", birth_date=birth_date, language=language),
        role=role, verified=verified)
    return user


@dataclass
class Place:
    """A community with its council, a department and the rules in force."""

    community: Community
    council: Authority
    department: Authority
    rules: RuleVersion


def make_community(db: Session, *, slug: str | None = None, population: int = 10_000,
                   rules_override: dict | None = None, name: str | None = None) -> Place:
    n = next(_seq)
    community = communities.create_community(
        db, slug=slug or f"community-{n}", name=name or f"Громада {n}",
        name_en=f"Community {n}", population=population)
    council = communities.add_authority(db, community, f"Рада {n}", name_en=f"Council {n}")
    department = communities.add_authority(db, community, f"Управління {n}",
                                           name_en=f"Department {n}", kind="department")
    version = rules.change(db, community.id, merge(DEFAULT_RULES, rules_override), None,
                           "initial rules")
    return Place(community, council, department, version)


def make_resident(db: Session, place: Place, **kw) -> User:
    user = make_user(db, **kw)
    communities.set_verified_resident(db, user, place.community)
    return user


def make_official(db: Session, place: Place, authority: Authority | None = None, **kw) -> User:
    user = make_user(db, **kw)
    communities.grant_staff(db, user, place.community, StaffRole.official,
                            authority or place.council)
    return user


def make_moderator(db: Session, place: Place, **kw) -> User:
    user = make_user(db, **kw)
    communities.grant_staff(db, user, place.community, StaffRole.moderator)
    return user


def make_observer(db: Session, **kw) -> User:
    return make_user(db, role=GlobalRole.observer, **kw)


def make_admin(db: Session, **kw) -> User:
    return make_user(db, role=GlobalRole.admin, **kw)


def make_region(db: Session, *, slug: str | None = None):
    n = next(_seq)
    return communities.create_region(db, None, slug=slug or f"region-{n}", name=f"Область {n}",
                                     name_en=f"Region {n}")


def make_region_admin(db: Session, region, **kw) -> User:
    from app.communities.models import RegionAdmin

    user = make_user(db, **kw)
    db.add(RegionAdmin(user_id=user.id, region_id=region.id))
    db.flush()
    return user


def make_community_admin(db: Session, place: Place, **kw) -> User:
    user = make_user(db, **kw)
    communities.grant_staff(db, user, place.community, StaffRole.administrator)
    return user
