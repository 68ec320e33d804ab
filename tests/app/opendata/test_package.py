"""The data package as a portal or a researcher takes it: served, every resource downloaded and
validated by Frictionless against its Table Schema, and not one person in any of it.

The world holds every kind of data the catalogue publishes (in two communities): petitions
answered, open and rejected; a budget cycle voted online and on paper with published results;
a consultation answered by named and anonymous respondents, ended and reported; the
obligations all of these opened; and the sealed audit log of it all.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

import frictionless
import pytest
from sqlmodel import select

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.identity.models import User
from app.settings import get_settings
from budget import results as budget_results
from budget.ballots import cast_ballot, record_paper_ballot
from budget.models import Phase
from consultations.models import Publication
from consultations.service import outcome as consultation_outcome
from tests.budget.factories import make_voting_cycle, to_phase
from tests.consultations.factories import close, make_consultation, report_in, respond
from tests.factories import make_community, make_official, make_resident
from tests.petitions.factories import make_petition

# Words of a column's name that would say it holds a person, or an account.
PERSONAL_WORDS = {"email", "user", "author", "actor", "signer", "signers", "birth", "address",
                  "phone", "display", "person", "ip", "salt", "pseudonym", "commitment"}


@dataclass
class World:
    people: list[User]
    package: dict
    tables: dict[str, str]  # resource name -> the CSV as downloaded


def _person(db, place, n: int) -> User:
    return make_resident(db, place, name=f"Приватна Особа {n}",
                         email=f"private.person.{n}@example.org")


def build(db, clock) -> list[User]:
    """Data of every dataset, in two communities; returns everyone who acted."""
    a = make_community(db, slug="open-town")
    b = make_community(db, slug="other-town")
    people = [_person(db, a, n) for n in range(4)]
    official = make_official(db, a, name="Посадовиця Відповідальна",
                             email="official.private@example.org")

    make_petition(db, a, "answered", author=people[0], official=official)
    make_petition(db, b, "open", author=_person(db, b, 10))
    make_petition(db, a, "rejected", author=people[1])

    consultation = make_consultation(db, a, official)
    respond(db, consultation, people[2], publication=Publication.named, single=0,
            multiple=(0, 2), scale=4, text="Більше дерев біля школи, пише Приватна Особа 2.")
    respond(db, consultation, people[3], publication=Publication.anonymous, single=1,
            multiple=(1,), scale=5)

    cycle, projects = make_voting_cycle(db, a, clock, [(0, 100_000), (0, 150_000)],
                                        categories=[("Двори", 200_000)], official=official)
    cast_ballot(db, people[0], cycle, [projects[0].id])
    cast_ballot(db, people[1], cycle, [projects[0].id, projects[1].id])
    record_paper_ballot(db, official, cycle, projects_in=[projects[1].id],
                        identity_document="АА123456", birth_date=date(1980, 1, 1))
    to_phase(clock, cycle, Phase.results)
    budget_results.publish_results(db, official, cycle)

    close(clock, consultation)  # it ended while the budget was being voted on
    consultation_outcome.close_expired(db)
    consultation_outcome.publish_report(db, official, consultation, report_in(db, consultation))
    audit.seal(db)
    db.commit()
    return [*people, official]


def download(client, url: str) -> str:
    base = get_settings().base_url.rstrip("/")
    assert url.startswith(base + "/"), url  # absolute, from the deployment's base URL
    response = client.get(url[len(base):])
    assert response.status_code == 200, (url, response.text[:300])
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


@pytest.fixture
def world(db, clock, client) -> World:
    people = build(db, clock)
    response = client.get("/open-data/datapackage.json")
    assert response.status_code == 200
    package = response.json()
    tables = {r["name"]: download(client, r["path"]) for r in package["resources"]}
    return World(people, package, tables)


def test_every_resource_of_the_package_passes_frictionless_validation(world, tmp_path):
    package = json.loads(json.dumps(world.package))
    for resource in package["resources"]:
        rows = list(csv.reader(io.StringIO(world.tables[resource["name"]])))
        assert len(rows) > 1, f"{resource['name']} has no rows: the check would prove little"
        (tmp_path / f"{resource['name']}.csv").write_text(world.tables[resource["name"]],
                                                          encoding="utf-8")
        resource["path"] = f"{resource['name']}.csv"  # the downloaded file, beside the package
    (tmp_path / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False),
                                               encoding="utf-8")

    report = frictionless.validate(str(tmp_path / "datapackage.json"))

    problems = report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])
    assert report.valid, problems
    assert [task.name for task in report.tasks] == [r["name"] for r in package["resources"]]
    assert all(task.stats["rows"] > 0 for task in report.tasks)


def test_validation_would_catch_a_table_that_breaks_its_schema(world, tmp_path):
    """The check above can fail: a row that breaks the petitions' schema is found."""
    package = json.loads(json.dumps(world.package))
    package["resources"] = [r for r in package["resources"] if r["name"] == "petitions"]
    text = world.tables["petitions"]
    header, first = text.splitlines()[:2]
    broken = first.replace(first.split(",")[0], "not-a-number", 1)
    (tmp_path / "petitions.csv").write_text(f"{header}\r\n{broken}\r\n{broken}\r\n",
                                            encoding="utf-8")
    package["resources"][0]["path"] = "petitions.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert {"type-error"} <= {e.type for task in report.tasks for e in task.errors}


def test_no_dataset_names_a_person(world, db):
    private = set()
    for person in world.people:
        private |= {person.display_name, person.email, person.email.split("@")[0],
                    audit.pseudonym(person.id)}
    entries = db.exec(select(AuditEntry).where(AuditEntry.actor.is_not(None))).all()
    assert entries, "the world's acts were logged with their actors"
    for entry in entries:
        private |= {entry.actor, entry.commitment, entry.actor_salt}
    private.discard(None)
    for name, text in world.tables.items():
        header = next(csv.reader(io.StringIO(text)))
        assert not [c for c in header if PERSONAL_WORDS & set(c.split("_"))], name
        found = [value for value in private if value in text]
        assert not found, f"{name} holds personal data: {found}"
    # The named respondent is named where they chose to be, on the consultation's own file:
    # the catalogue's tables are not that file.
    assert "Приватна Особа 2" not in "".join(world.tables.values())


def test_each_table_holds_what_the_world_made(world):
    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(world.tables[name])))

    assert {r["community"] for r in rows("petitions")} == {"open-town", "other-town"}
    assert {r["status"] for r in rows("petitions")} == {"answered", "open", "rejected"}
    ballots = rows("budget-ballots")
    assert sorted(r["source"] for r in ballots) == ["online", "online", "online", "paper"]
    assert len({r["voter"] for r in ballots}) == 3
    results = rows("budget-results")  # a tie on votes: the cheaper one wins, the other
    assert [(r["votes"], r["cost"], r["selected"]) for r in results] == [  # no longer fits
        ("2", "100000", "true"), ("2", "150000", "false")]
    assert rows("consultations")[0]["phase"] == "reported"
    counts = {(r["question_kind"], r["option"]): r["count"] for r in rows("consultation-results")}
    assert counts[("single", "Yes")] == "1" and counts[("multiple", "Lighting")] == "1"
    assert counts[("scale", "5")] == "1"
    kinds = {r["kind"] for r in rows("obligations")}
    assert len(kinds) >= 3  # an answer, a review or implementation, a report
    log = rows("audit-log")
    assert [int(r["seq"]) for r in log] == list(range(1, len(log) + 1))
    assert "petition.signed" in {r["action"] for r in log}
