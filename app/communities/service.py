"""Communities, authorities, residency claims and staff roles. Flushes, never commits."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions, registers
from app.communities import repository as repo
from app.communities.models import (
    Authority,
    AuthorityKind,
    Community,
    District,
    Evidence,
    Region,
    Register,
    Residency,
    ResidencyStatus,
    Staff,
    StaffRole,
)
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.identity import hashing
from app.identity import providers as identity_providers
from app.identity.models import User
from app.web.i18n import N_

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def get_by_slug(session: Session, slug: str) -> Community:
    # No slug holds a NUL, and PostgreSQL refuses one in a parameter.
    community = None if "\x00" in slug else repo.community_by_slug(session, slug)
    if community is None:
        raise NotFound(N_("No such community."))
    return community


def get(session: Session, community_id: int) -> Community:
    community = repo.community(session, community_id)
    if community is None:
        raise NotFound(N_("No such community."))
    return community


def get_authority(session: Session, authority_id: int) -> Authority:
    authority = repo.authority(session, authority_id)
    if authority is None:
        raise NotFound(N_("No such authority."))
    return authority


def _check_slug(slug: str) -> str:
    slug = (slug or "").strip()
    if "\x00" in slug or not SLUG_RE.match(slug):
        raise InvalidInput(N_("The address name may hold lower-case Latin letters, digits and "
                              "hyphens."), fields={"slug": N_("Invalid address name.")})
    return slug


LANGUAGES = ("uk", "en")  # app.web.i18n.LANGUAGES


def _check_community_fields(population: int | None, default_language: str | None) -> None:
    fields = {}
    if population is not None and population < 0:
        fields["population"] = N_("Population cannot be negative.")
    if default_language is not None and default_language not in LANGUAGES:
        fields["default_language"] = N_("Choose one of the offered options.")
    if fields:
        message = fields.get("population", N_("Please correct the highlighted fields."))
        raise InvalidInput(message, fields=fields)


def create_community(session: Session, *, slug: str, name: str, population: int,
                     name_en: str | None = None, default_language: str = "uk",
                     region: Region | None = None) -> Community:
    slug = _check_slug(slug)
    _check_community_fields(population, default_language)
    name, name_en = _names(name, name_en, 160)
    if repo.community_by_slug(session, slug):
        raise Conflict(N_("A community with this address name already exists."),
                       fields={"slug": N_("This address name is taken.")})
    community = Community(slug=slug, name=name, name_en=name_en, population=population,
                          default_language=default_language,
                          region_id=region.id if region else None)
    session.add(community)
    session.flush()
    return community


def connect_community(session: Session, actor: User, region: Region, *, slug: str, name: str,
                      population: int, name_en: str | None = None,
                      default_language: str = "uk") -> Community:
    """A region's administrator (or the operator) connects a community to the region."""
    permissions.check_connect_community(session, actor, region)
    community = create_community(session, slug=slug, name=name, population=population,
                                 name_en=name_en, default_language=default_language,
                                 region=region)
    audit.append(session, "community.connected", "community", community.id, actor.id,
                 slug=community.slug, region=region.slug)
    return community


def update_community(session: Session, actor: User, community: Community, *,
                     name: str | None = None, name_en: str | None = None,
                     population: int | None = None, default_language: str | None = None
                     ) -> Community:
    """A community's details, changed by one who administers it (its address name stays)."""
    permissions.check_manage_community(session, actor, community)
    _check_community_fields(population, default_language)
    if name is not None or name_en is not None:
        community.name, community.name_en = _names(
            name if name is not None else community.name,
            name_en if name_en is not None else community.name_en, 160)
    if population is not None:
        community.population = population
    if default_language is not None:
        community.default_language = default_language
    session.add(community)
    session.flush()
    audit.append(session, "community.updated", "community", community.id, actor.id,
                 name=community.name, population=community.population)
    return community


def add_authority(session: Session, community: Community, name: str,
                  kind: AuthorityKind = AuthorityKind.council,
                  name_en: str | None = None) -> Authority:
    if kind not in AuthorityKind.__members__:
        raise InvalidInput(fields={"kind": N_("Choose one of the offered options.")})
    name, name_en = _names(name, name_en, 200)
    authority = Authority(community_id=community.id, name=name, name_en=name_en, kind=kind)
    session.add(authority)
    session.flush()
    return authority


def create_authority(session: Session, actor: User, community: Community, *, name: str,
                     kind: str = AuthorityKind.council, name_en: str | None = None
                     ) -> Authority:
    """An authority or department of the community, added from the back office."""
    permissions.check_manage_community(session, actor, community)
    authority = add_authority(session, community, name, kind, name_en)
    audit.append(session, "authority.created", "community", community.id, actor.id,
                 authority=authority.id, kind=authority.kind, name=authority.name)
    return authority


def authority_of(session: Session, community: Community, authority_id: int) -> Authority:
    """An authority of this community (another community's is not found here)."""
    authority = repo.authority(session, authority_id)
    if authority is None or authority.community_id != community.id:
        raise NotFound(N_("No such authority."))
    return authority


def add_holiday(session: Session, actor: User, community: Community, day: date, name: str):
    """A day off of the community, added by one who administers it."""
    from app.rules import service as rules_service

    permissions.check_manage_community(session, actor, community)
    return rules_service.add_community_holiday(session, actor, community.id, day, name)


# -- regions -------------------------------------------------------------------------------

def create_region(session: Session, actor: User | None, *, slug: str, name: str,
                  name_en: str | None = None) -> Region:
    """A region hosting communities (the operator's; actor None: a command of the operator)."""
    if actor is not None:
        permissions.check_manage_regions(session, actor)
    slug = _check_slug(slug)
    name, name_en = _names(name, name_en, 160)
    if repo.region_by_slug(session, slug):
        raise Conflict(N_("A region with this address name already exists."),
                       fields={"slug": N_("This address name is taken.")})
    region = Region(slug=slug, name=name, name_en=name_en)
    session.add(region)
    session.flush()
    audit.append(session, "region.created", "region", region.id,
                 actor.id if actor else None, slug=region.slug)
    return region


def get_region(session: Session, slug: str) -> Region:
    region = None if "\x00" in slug else repo.region_by_slug(session, slug)
    if region is None:
        raise NotFound(N_("No such region."))
    return region


def region_by_id(session: Session, region_id: int) -> Region:
    region = repo.region(session, region_id)
    if region is None:
        raise NotFound(N_("No such region."))
    return region


def create_district_by(session: Session, actor: User, community: Community, *, slug: str,
                       name: str, name_en: str | None = None) -> District:
    """A district added from the back office: by one who administers the community."""
    permissions.check_manage_community(session, actor, community)
    district = create_district(session, community, slug=slug, name=name, name_en=name_en)
    audit.append(session, "district.created", "community", community.id, actor.id,
                 district=district.id, slug=district.slug)
    return district


def _names(name: str, name_en: str | None, limit: int) -> tuple[str, str | None]:
    """A name and its optional English form, trimmed and checked."""
    name = " ".join((name or "").split())
    name_en = " ".join((name_en or "").split()) or None
    fields = {}
    if not 2 <= len(name) <= limit:
        fields["name"] = N_("Enter a name (2 to {limit} characters).")
    if name_en is not None and len(name_en) > limit:
        fields["name_en"] = N_("The English name is too long.")
    if fields:
        raise InvalidInput(N_("Please correct the highlighted fields."), fields=fields, limit=limit)
    return name, name_en


def create_district(session: Session, community: Community, *, slug: str, name: str,
                    name_en: str | None = None) -> District:
    """A starosta district of the community; its address name is unique in the community."""
    slug = _check_slug(slug)
    name, name_en = _names(name, name_en, 160)
    if repo.district_by_slug(session, community.id, slug):
        raise Conflict(N_("This community already has a district with this address name."),
                       fields={"slug": N_("This address name is taken.")})
    district = District(community_id=community.id, slug=slug, name=name, name_en=name_en)
    session.add(district)
    session.flush()
    return district


def list_districts(session: Session, community: Community) -> list[District]:
    return repo.districts(session, community.id)


def get_district(session: Session, community: Community, district_id: int) -> District:
    """A district of this community (one of another community is not found here)."""
    district = repo.district(session, district_id)
    if district is None or district.community_id != community.id:
        raise NotFound(N_("No such district."))
    return district


def set_residency_district(session: Session, residency: Residency,
                           district: District | None) -> Residency:
    """The starosta district a resident lives in (None: not known or not given)."""
    if district is not None and district.community_id != residency.community_id:
        raise InvalidInput(N_("This district belongs to another community."),
                           fields={"district_id": N_("Choose a district of this community.")})
    residency.district_id = district.id if district else None
    session.add(residency)
    session.flush()
    return residency


def claim_residency(session: Session, user: User, community: Community, address: str,
                    birth_date: date | None, full_name: str | None = None,
                    district_id: int | None = None) -> Residency:
    """A residency claim: verified at once when it matches the community's register of
    residents (by full name, date of birth and address, or by the identity a provider vouched
    for), else waiting for an official. The full name is used for the match only, not kept."""
    address = " ".join(address.split())
    full_name = " ".join((full_name or "").split()) or user.display_name
    fields = {}
    if not 5 <= len(address) <= 300:
        fields["address"] = N_("Enter your address in the community (5 to 300 characters).")
    if birth_date is None and user.birth_date is None:
        fields["birth_date"] = N_("Enter your date of birth.")
    elif birth_date and not (date(1900, 1, 1) <= birth_date <= clock.today()):
        fields["birth_date"] = N_("Enter a real date of birth.")
    district = repo.district(session, district_id) if district_id is not None else None
    if district_id is not None and (district is None or district.community_id != community.id):
        fields["district_id"] = N_("Choose a district of this community.")
    if fields:
        raise InvalidInput(N_("Please correct the highlighted fields."), fields=fields)
    existing = repo.residency(session, user.id, community.id)
    if existing is not None and existing.status != ResidencyStatus.rejected:
        raise Conflict(N_("You have already claimed residency in this community."))
    if birth_date:
        user.birth_date = birth_date
        session.add(user)
    residency = existing or Residency(user_id=user.id, community_id=community.id)
    residency.status = ResidencyStatus.claimed
    residency.address = address
    residency.district_id = district.id if district else None
    residency.claimed_at = clock.now()
    residency.decided_at = None
    residency.decided_by_id = None
    residency.evidence = None
    residency.register_id = None
    born = birth_date or user.birth_date
    found = registers.match(session, community.id,
                            claim=hashing.claim_key(full_name, born, address) if born else None,
                            persons=identity_providers.register_keys(session, user))
    if found is not None:
        residency.status = ResidencyStatus.verified
        residency.decided_at = clock.now()
        residency.evidence = Evidence.register
        residency.register_id = found.id
    session.add(residency)
    session.flush()
    permissions.forget_memberships(session)
    if found is not None:
        audit.append(session, "residency.matched_register", "community", community.id,
                     user.id, register_version=found.version)
    return residency


def decide_residency(session: Session, actor: User, residency_id: int, approve: bool
                     ) -> Residency:
    residency = repo.residency_by_id(session, residency_id)
    if residency is None:
        raise NotFound(N_("No such residency claim."))
    if not permissions.can_verify_residency(session, actor, residency.community_id):
        raise Forbidden(N_("Only an official of this community can verify residency."))
    if residency.status != ResidencyStatus.claimed:
        raise Conflict(N_("This claim has already been decided."))
    residency.status = ResidencyStatus.verified if approve else ResidencyStatus.rejected
    residency.evidence = Evidence.official if approve else None
    residency.decided_at = clock.now()
    residency.decided_by_id = actor.id
    session.add(residency)
    session.flush()
    permissions.forget_memberships(session)
    return residency


def set_verified_resident(session: Session, user: User, community: Community,
                          evidence: Evidence = Evidence.official,
                          register: Register | None = None) -> Residency:
    """For operators and seeds: residency verified without a claim."""
    residency = repo.residency(session, user.id, community.id) or Residency(
        user_id=user.id, community_id=community.id, address="—")
    residency.status = ResidencyStatus.verified
    residency.evidence = evidence
    residency.register_id = register.id if register else None
    residency.decided_at = clock.now()
    session.add(residency)
    session.flush()
    permissions.forget_memberships(session)
    return residency


def grant_staff(session: Session, user: User, community: Community, role: StaffRole,
                authority: Authority | None = None) -> Staff:
    """The role itself, unchecked (seeds, tests; the back office goes through app.communities
    .roles, which checks who grants it and records why)."""
    if role == StaffRole.official and authority is None:
        raise InvalidInput(N_("An official belongs to an authority."))
    staff = Staff(user_id=user.id, community_id=community.id,
                  authority_id=authority.id if authority else None, role=role,
                  granted_at=clock.now())
    session.add(staff)
    session.flush()
    permissions.forget_memberships(session)
    return staff
