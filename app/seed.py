"""Demo data: three communities with different rules, and one person of each role in each.

The three ask for different levels of assurance (their rules): Lviv an identity from a
provider (as the state's petition sites do), Slavske a resident verified by an official,
Bila Tserkva a resident matched to its register of residents. The demo people hold what their
community asks: in Lviv a link to a demo identity provider, in Bila Tserkva a residency matched
to a demo register (kept, as every register, only as keyed hashes).

Each registered module gives its section of the demo communities' rules (Module.demo_rules)
and seeds its own items (Module.seed). Idempotent: a second run finds the first community and
does nothing. Only for development; the demo password is printed in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from app import clock
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import (
    Authority,
    AuthorityKind,
    Community,
    Evidence,
    Register,
    RegisterEntry,
    StaffRole,
)
from app.identity import hashing
from app.identity import service as identity
from app.identity.models import GlobalRole, ProviderLink, User
from app.modules import registered
from app.rules import service as rules
from app.rules.schema import RuleVersion

DEMO_PASSWORD = "demo-password-2026"
RULES_AGE_DAYS = 365

# Public holidays that count as non-working days (Ukraine; a real deployment keeps its own).
HOLIDAYS = [
    (date(2026, 1, 1), "Новий рік"), (date(2026, 12, 25), "Різдво Христове"),
    (date(2026, 6, 28), "День Конституції"), (date(2026, 8, 24), "День Незалежності"),
    (date(2027, 1, 1), "Новий рік"), (date(2027, 6, 28), "День Конституції"),
    (date(2027, 8, 24), "День Незалежності"), (date(2027, 12, 25), "Різдво Христове"),
]

COMMUNITIES = [
    {
        "slug": "lviv", "name": "Львівська міська громада", "name_en": "Lviv city community",
        "population": 717_000,
        "council": ("Львівська міська рада", "Lviv City Council"),
        "department": ("Управління житлового господарства", "Housing Department"),
    },
    {
        "slug": "slavske", "name": "Славська селищна громада",
        "name_en": "Slavske settlement community", "population": 21_000,
        "council": ("Славська селищна рада", "Slavske Settlement Council"),
        "department": ("Відділ освіти", "Education Department"),
    },
    {
        "slug": "bila-tserkva", "name": "Білоцерківська міська громада",
        "name_en": "Bila Tserkva city community", "population": 208_000,
        "council": ("Білоцерківська міська рада", "Bila Tserkva City Council"),
        "department": ("Департамент міського господарства", "Municipal Services Department"),
    },
]


@dataclass
class DemoPlace:
    community: Community
    council: Authority
    department: Authority
    rules: RuleVersion


@dataclass
class Demo:
    """What module seeds receive: the places and the people, keyed "<role>:<slug>"."""

    communities: list[DemoPlace] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    observer: User | None = None
    admin: User | None = None


def _user(session: Session, email: str, name: str, role: GlobalRole = GlobalRole.resident,
          birth: date = date(1985, 4, 12)) -> User:
    return identity.register(session, identity.Registration(
        email=email, password=DEMO_PASSWORD, display_name=name, birth_date=birth),
        role=role, verified=True)


PROVIDER_DEMO, REGISTER_DEMO = "lviv", "bila-tserkva"


def _demo_register(session: Session, community: Community, people: dict[str, User]
                   ) -> Register:
    """A register of the demo residents, as keyed hashes only."""
    register = Register(community_id=community.id, version=1, entries=len(people),
                        register_date=clock.today() - timedelta(days=30))
    session.add(register)
    session.flush()
    for person in people.values():
        session.add(RegisterEntry(
            register_id=register.id, claim_key=hashing.claim_key(
                person.display_name, person.birth_date, "—"),
            person_key=hashing.person_key(person.display_name, person.birth_date)))
    session.flush()
    return register


def _demo_provider_link(session: Session, person: User) -> None:
    """The demo residents of Lviv signed in once through a demo identity provider."""
    session.add(ProviderLink(user_id=person.id, provider="demo-id",
                             subject_hash=hashing.subject_hash("demo-id", person.email),
                             person_hash=hashing.person_hash(None, person.display_name,
                                                             person.birth_date),
                             identifies=True))
    session.flush()


def demo_rules(slug: str) -> dict:
    """The rules of a demo community: each module's section for it (else its defaults)."""
    return {m.name: m.demo_rules[slug] for m in registered() if slug in m.demo_rules}


def seed_demo(session: Session, module_seeds=()) -> Demo | None:
    """Create the demo data, unless it exists. Returns None when there was nothing to do."""
    if communities_repo.community_by_slug(session, COMMUNITIES[0]["slug"]) is not None:
        return None
    for day, name in HOLIDAYS:
        rules.add_holiday(session, day, name)
    demo = Demo()
    demo.admin = _user(session, "admin@demo.hromada.org", "Адміністратор", GlobalRole.admin)
    demo.observer = _user(session, "observer@demo.hromada.org", "Спостерігач ГО «Чесно»",
                          GlobalRole.observer)
    for spec in COMMUNITIES:
        community = communities.create_community(
            session, slug=spec["slug"], name=spec["name"], name_en=spec["name_en"],
            population=spec["population"])
        council = communities.add_authority(session, community, spec["council"][0],
                                            AuthorityKind.council, spec["council"][1])
        department = communities.add_authority(session, community, spec["department"][0],
                                               AuthorityKind.department, spec["department"][1])
        # In force since long before any demo item: module seeds open items in the past.
        version = rules.change(session, community.id, demo_rules(spec["slug"]), demo.admin,
                               "Положення про місцеву демократію (демо)",
                               effective_from=clock.now() - timedelta(days=RULES_AGE_DAYS))
        demo.communities.append(DemoPlace(community, council, department, version))
        slug = spec["slug"]
        people = {
            "resident": _user(session, f"resident@{slug}.demo.hromada.org", "Оксана Мельник"),
            "official": _user(session, f"official@{slug}.demo.hromada.org", "Петро Коваль"),
            "moderator": _user(session, f"moderator@{slug}.demo.hromada.org", "Ірина Бойко"),
        }
        for n in range(1, 6):
            people[f"neighbour{n}"] = _user(session, f"neighbour{n}@{slug}.demo.hromada.org",
                                            f"Сусід {n}")
        register = _demo_register(session, community, people) if slug == REGISTER_DEMO else None
        for key, person in people.items():
            if key != "moderator":
                communities.set_verified_resident(
                    session, person, community,
                    Evidence.register if register else Evidence.official, register)
                if slug == PROVIDER_DEMO:
                    _demo_provider_link(session, person)
            demo.users[f"{key}:{slug}"] = person
        communities.grant_staff(session, people["official"], community, StaffRole.official,
                                council)
        communities.grant_staff(session, people["moderator"], community, StaffRole.moderator)
    for seed in module_seeds:
        seed(session, demo)
    return demo
