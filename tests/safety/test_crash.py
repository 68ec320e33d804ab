"""SIGKILL the server while signatures and ballots are being submitted, restart it, check the
record (the short round; bench/crash_test.py runs many)."""

from __future__ import annotations

import pytest

from tests.safety.conftest import all_routes


@pytest.fixture
def crash_population(app, iso_engine):
    if "/api/v1/petitions/{petition_id:id}/signatures" not in {r.path for r in all_routes(app)}:
        pytest.fail("the petitions signing API is missing")
    from tests.safety import crashkit

    return crashkit.populate(iso_engine, people=24, petitions=3)


def test_acknowledged_signatures_survive_a_sigkill(isolated_database, iso_engine,
                                                   crash_population, tmp_path):
    from tests.safety import crashkit

    server = crashkit.Server(isolated_database, tmp_path)
    ledger = crashkit.Ledger()
    try:
        crashkit.round_trip(server, crash_population, ledger, run_for=0.7, threads=4, seed=7,
                            at_least=5)
        assert ledger.counts["2xx"] >= 10, ledger.counts  # the kill came mid-work
        if crash_population.cycle_id is not None:
            assert ledger.ballots, "no ballot was acknowledged"
        assert not [k for k in ledger.counts if k.startswith("unexpected")], ledger.counts
        problems = crashkit.check(iso_engine, crash_population, ledger)
        assert not problems, "\n".join(problems)
        server.start()  # the database reopens after the crash
        assert crashkit.still_serves(server, crash_population, ledger)
        assert not crashkit.check(iso_engine, crash_population, ledger)
    finally:
        server.kill()


@pytest.mark.slow
def test_many_sigkill_rounds(isolated_database, iso_engine, app, tmp_path):
    """The long variant (also: bench/crash_test.py with more rounds and people)."""
    if "/api/v1/petitions/{petition_id:id}/signatures" not in {r.path for r in all_routes(app)}:
        pytest.fail("the petitions signing API is missing")
    import random

    from tests.safety import crashkit

    population = crashkit.populate(iso_engine, people=120, petitions=5)
    server = crashkit.Server(isolated_database, tmp_path)
    ledger = crashkit.Ledger()
    rnd = random.Random(3)
    try:
        for n in range(8):
            crashkit.round_trip(server, population, ledger, run_for=rnd.uniform(1, 4),
                                threads=8, seed=n)
            problems = crashkit.check(iso_engine, population, ledger)
            assert not problems, f"round {n}: " + "\n".join(problems)
        server.start()
        assert crashkit.still_serves(server, population, ledger)
    finally:
        server.kill()
