"""`hromada budget import-pabulib`: every shared Pabulib election goes into the database and
the budget service, counting from the database rows, reproduces its official winners."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from app import db as app_db
from budget import tally
from budget.cli import app as budget_cli
from budget.models import BudgetBallot, BudgetCycle, BudgetProject, Phase
from budget.pabulib import format as pabulib
from budget.pabulib.exchange import export_pabulib
from budget.phases import phase_of
from budget.projects import list_projects
from budget.results import compute_results, stored_results
from tests.budget.pabulib_data import EXTRA_DIR, real_files, shared_dir
from tests.factories import make_community

DATA = shared_dir()
FILES = real_files()
runner = CliRunner()


@pytest.fixture
def cli_in_test_transaction(db, monkeypatch):
    """The command's unit of work runs inside the test's transaction (as a savepoint that is
    released on success and rolled back on error), so the test sees what it wrote and the
    run is rolled back after the test."""

    @contextlib.contextmanager
    def unit_of_work(engine=None, *, write=True):
        nested = db.begin_nested()
        try:
            yield db
            nested.commit()
        except BaseException:
            nested.rollback()
            raise

    monkeypatch.setattr(app_db, "transaction", unit_of_work)
    return db


def import_file(path: Path, slug: str):
    return runner.invoke(budget_cli, ["import-pabulib", str(path), "--community", slug])


def cycles(db) -> int:
    return db.exec(select(func.count()).select_from(BudgetCycle)).one()


def test_the_real_files_are_there():
    assert len(FILES) >= 19


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_imported_elections_reproduce_their_official_winners(cli_in_test_transaction, path):
    db = cli_in_test_transaction
    place = make_community(db)
    result = import_file(path, place.community.slug)
    assert result.exit_code == 0, result.output
    assert f"into {place.community.slug} as budget cycle" in result.output
    instance = pabulib.load(path)
    cycle = db.exec(select(BudgetCycle).where(BudgetCycle.community_id == place.community.id)
                    ).one()
    assert cycle.source == "pabulib" and phase_of(cycle) == Phase.implementation
    assert cycle.ballot_count == len(instance.votes) == db.exec(
        select(func.count()).select_from(BudgetBallot)
        .where(BudgetBallot.cycle_id == cycle.id)).one()
    projects = db.exec(select(BudgetProject).where(BudgetProject.cycle_id == cycle.id)).all()
    assert len(projects) == len(instance.projects)
    # The stored counters agree with the file's own vote counts.
    stated = {p.project_id: p.votes for p in instance.projects if p.votes is not None}
    assert {p.external_id: p.vote_count for p in projects if p.external_id in stated} == stated

    results = compute_results(db, cycle)  # from the database rows
    external = {p.id: p.external_id for p in projects}
    assert sorted(external[i] for i in results.winner_ids()) == sorted(
        instance.official_winners)
    # What the page shows (published at import) is the official result too.
    shown = stored_results(db, cycle)
    assert {external[i] for i in shown.winner_ids()} >= set(instance.official_winners)

    # Exported back as Pabulib, the election still counts to the same winners.
    exported = pabulib.parse(export_pabulib(db, cycle))
    assert len(exported.votes) == len([v for v in instance.votes if v.projects])
    assert sorted(tally.tally(exported).selected) == sorted(instance.official_winners)


def test_a_malformed_file_names_its_line_and_writes_nothing(cli_in_test_transaction, tmp_path):
    db = cli_in_test_transaction
    place = make_community(db)
    good = (DATA / "Poland_Warszawa_2019_subunit_Wawer.pb").read_text(encoding="utf-8")
    lines = good.splitlines()
    votes_at = lines.index("VOTES")
    broken = lines.copy()
    broken[votes_at + 2] = broken[votes_at + 2].split(";")[0] + ";99999;44;F;internet"
    path = tmp_path / "broken.pb"
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    before = cycles(db)
    result = import_file(path, place.community.slug)
    assert result.exit_code == 2
    assert f"line {votes_at + 3}" in result.output
    assert "unknown project '99999'" in result.output
    assert "nothing was imported" in result.output
    assert cycles(db) == before


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace("budget;136447", "budget;lots"), "budget 'lots' is not a number"),
    (lambda t: t.replace("PROJECTS\n", "PROJECT\n"), "unknown section"),
    (lambda t: t.replace("num_votes;287", "num_votes;300"), "num_votes is 300"),
    (lambda t: "", "the file is empty"),
])
def test_malformed_files_are_refused(cli_in_test_transaction, tmp_path, mutate, message):
    db = cli_in_test_transaction
    place = make_community(db)
    text = (DATA / "Poland_Warszawa_2019_subunit_Wawer.pb").read_text(encoding="utf-8")
    path = tmp_path / "bad.pb"
    path.write_text(mutate(text), encoding="utf-8")
    result = import_file(path, place.community.slug)
    assert result.exit_code == 2, result.output
    assert message in result.output and "line " in result.output
    assert cycles(db) == 0


def test_an_election_hromada_cannot_store_is_refused_whole(cli_in_test_transaction, tmp_path):
    db = cli_in_test_transaction
    place = make_community(db)
    text = (DATA / "Poland_Warszawa_2019_subunit_Wawer.pb").read_text(encoding="utf-8")
    lines = text.splitlines()
    first_project = lines.index("PROJECTS") + 2
    fields = lines[first_project].split(";")
    fields[1] += ".5"  # half a złoty
    lines[first_project] = ";".join(fields)
    path = tmp_path / "fraction.pb"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_file(path, place.community.slug)
    assert result.exit_code == 1
    assert "only whole amounts" in result.output and "Nothing was imported" in result.output
    assert cycles(db) == 0


def test_unknown_community_and_missing_file(cli_in_test_transaction, tmp_path):
    db = cli_in_test_transaction
    make_community(db)
    result = import_file(FILES[0], "no-such-place")
    assert result.exit_code == 1 and "no community 'no-such-place'" in result.output
    result = import_file(tmp_path / "absent.pb", "whatever")
    assert result.exit_code == 2
    assert cycles(db) == 0


def test_import_commits_for_real(isolated_database, monkeypatch):
    """The command's own transaction, against a real database with real commits."""
    from app.db import build_engine, transaction

    engine = build_engine(isolated_database)
    try:
        with transaction(engine) as session:
            slug = make_community(session).community.slug
        monkeypatch.setattr(app_db, "transaction",
                            lambda *a, **kw: transaction(engine, **kw))
        path = DATA / "Poland_Gdynia_2020_Srodmiescie__large.pb"
        assert import_file(path, slug).exit_code == 0
        broken = DATA.parent / "does-not-exist.pb"
        assert import_file(broken, slug).exit_code == 2
        with transaction(engine, write=False) as session:
            (cycle,) = session.exec(select(BudgetCycle)).all()
            assert cycle.ballot_count == len(pabulib.load(path).votes)
            winners = compute_results(session, cycle).winner_ids()
            ids = {p.id: p.external_id for p in list_projects(session, cycle)}
            assert [ids[w] for w in winners] == list(pabulib.load(path).official_winners)
    finally:
        engine.dispose()


def test_a_project_listed_twice_is_imported_once_with_a_warning(cli_in_test_transaction,
                                                                 tmp_path):
    db = cli_in_test_transaction
    place = make_community(db)
    text = (DATA / "Poland_Warszawa_2019_subunit_Wawer.pb").read_text(encoding="utf-8")
    lines = text.splitlines()
    first_vote = lines.index("VOTES") + 2
    voter, chosen, *rest = lines[first_vote].split(";")
    twice = chosen.split(",")[0]
    lines[first_vote] = ";".join([voter, f"{chosen},{twice}", *rest])
    path = tmp_path / "twice.pb"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_file(path, place.community.slug)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("ballots, 1 warning")
    assert result.stderr.strip() == (
        f"{path}: warning: line {first_vote + 1}: voter {voter!r} lists project {twice!r} "
        "more than once; counted once")
    # The ballot counts the project once: the stored counters are the file's own.
    instance = pabulib.load(DATA / "Poland_Warszawa_2019_subunit_Wawer.pb")
    cycle = db.exec(select(BudgetCycle)).one()
    stated = {p.project_id: p.votes for p in instance.projects}
    assert {p.external_id: p.vote_count for p in list_projects(db, cycle)} == stated


def test_a_rule_named_but_not_computable_is_said_on_the_results_page(cli_in_test_transaction,
                                                                       client):
    db = cli_in_test_transaction
    place = make_community(db)
    path = EXTRA_DIR / "Netherlands_Amsterdam_2022_Sloterdijk.pb"
    result = import_file(path, place.community.slug)
    assert result.exit_code == 0 and result.stderr == ""
    cycle = db.exec(select(BudgetCycle)).one()
    page = client.get(f"/budget/{cycle.id}/results", headers={"Accept-Language": "en"}).text
    assert "names its rule “greedy-custom”, which cannot be computed from the file alone" in (
        page)
    # Its own (Warsaw) rule is computable: no such notice.
    other = make_community(db)
    assert import_file(DATA / "Poland_Warszawa_2019_subunit_Wawer.pb",
                       other.community.slug).exit_code == 0
    wawer = db.exec(select(BudgetCycle).where(
        BudgetCycle.community_id == other.community.id)).one()
    page = client.get(f"/budget/{wawer.id}/results", headers={"Accept-Language": "en"}).text
    assert "cannot be computed from the file alone" not in page
