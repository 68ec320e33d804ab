"""Double-signing through HTTP against a real server: simultaneous requests of one person
leave one signature; simultaneous requests of many leave an exact counter."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import text

from tests.safety.conftest import all_routes


@pytest.fixture
def server(app, isolated_database, iso_engine, tmp_path):
    if "/api/v1/petitions/{petition_id:id}/signatures" not in {r.path for r in all_routes(app)}:
        pytest.fail("the petitions signing API is missing")
    from tests.safety import crashkit

    population = crashkit.populate(iso_engine, people=12, petitions=1)
    running = crashkit.Server(isolated_database, tmp_path)
    running.start()
    yield running, population
    running.kill()


def at_once(n: int, request) -> list[int]:
    """Run `request(i)` in n threads released together; their status codes."""
    barrier = threading.Barrier(n)
    statuses: list[int] = [0] * n

    def go(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            statuses[i] = request(client, i).status_code

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_parallel_double_signing_leaves_one_signature(server, iso_engine):
    running, population = server
    person, petition = population.people[0], population.petition_ids[0]
    url = f"{running.base_url}/api/v1/petitions/{petition}/signatures"
    headers = {"Authorization": f"Bearer {person.token}"}
    statuses = at_once(6, lambda client, i: client.post(url, json={}, headers=headers))
    assert sorted(statuses) == [201] + [409] * 5, statuses

    others = population.people[1:]
    statuses = at_once(len(others), lambda client, i: client.post(
        url, json={}, headers={"Authorization": f"Bearer {others[i].token}"}))
    assert statuses == [201] * len(others), statuses
    with iso_engine.connect() as conn:
        rows = conn.execute(text("SELECT COUNT(*) FROM petition_signature WHERE "
                                 "petition_id = :p"), {"p": petition}).scalar_one()
        counter = conn.execute(text("SELECT signature_count FROM petition WHERE id = :p"),
                               {"p": petition}).scalar_one()
        mine = conn.execute(text("SELECT COUNT(*) FROM petition_signature WHERE "
                                 "petition_id = :p AND user_id = :u"),
                            {"p": petition, "u": person.user_id}).scalar_one()
    assert mine == 1
    assert rows == counter == len(population.people)
