"""`hromada seed-scale`: a synthetic region whose tallies agree with its obligations."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from app.accountability import service, stats
from app.accountability.models import Obligation
from app.accountability.seed_scale import seed_region
from app.communities.models import Authority, Community
from app.db import build_engine, get_engine, transaction
from app.exceptions import Conflict
from app.settings import get_settings


def test_a_small_region_in_the_test_transaction(db, clock, kinds):
    region = seed_region(db, communities=4, per_community=30, months=6, seed=7)
    assert (region.communities, region.authorities, region.obligations) == (4, 8, 120)
    assert db.exec(select(func.count()).select_from(Obligation)).one() == 120
    statuses = {service.status_of(o).value for o in db.exec(select(Obligation))}
    assert {"answered_on_time", "answered_late", "overdue"} <= statuses
    assert {o.kind for o in db.exec(select(Obligation))} == set(kinds)
    # The tallies built by INSERT ... SELECT give the same figures as the obligations.
    board = stats.dashboard(db, per_page=None, authorities_limit=None)
    for community in board.communities:
        direct = stats.dashboard(db, community=db.get(Community, community.id)).overall
        assert community.figures.as_dict() == direct.as_dict()
    assert board.overall.opened == 120
    # Every community has its rules: the comparison shows them.
    assert all(r.per_1000 is not None and r.answer_deadline for r in board.communities)
    with pytest.raises(Conflict):
        seed_region(db, communities=1, per_community=1, seed=7)


@pytest.fixture
def cli_database(isolated_database, monkeypatch):
    monkeypatch.setenv("HROMADA_DATABASE_URL", isolated_database)
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = build_engine(isolated_database)
    yield engine
    engine.dispose()
    get_engine().dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_the_commands(cli_database, kinds):
    from app.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["seed-scale", "--communities", "3", "--per-community", "10"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3 communities, 6 authorities, 30 obligations" in result.output
    with transaction(cli_database, write=False) as session:
        assert session.exec(select(func.count()).select_from(Authority)).one() == 6
        assert session.exec(select(func.count()).select_from(Obligation)).one() == 30
    again = runner.invoke(app, ["seed-scale", "--communities", "3"])
    assert again.exit_code == 1 and again.output.startswith("error:")
    digest = runner.invoke(app, ["digest"], catch_exceptions=False)
    assert digest.exit_code == 0 and "daily digest: 0 officials" in digest.output
