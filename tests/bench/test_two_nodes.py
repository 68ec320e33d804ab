"""Beyond one machine: two app servers sharing one PostgreSQL and one Redis.

Both nodes serve the same database; signing requests are spread over both, concurrently, with
some accounts signing on both nodes at the same moment. Afterwards the petition's counter
equals its rows, no account has two signatures, every 201 is in the table, and the signing
rate limit per client address and petition (HROMADA_RATE_SIGN_IP, counted in the shared Redis)
allowed exactly its limit across the two nodes together: with per-node memory counters it would
allow twice as many.

PostgreSQL only (run with --db postgresql). Redis comes from HROMADA_TEST_REDIS_URL: the test
skips when it is not set and fails when it is set but Redis cannot be reached. The limit's
window is a random number of seconds, so its Redis keys are new on every run (and removed
after); the window is long, so it cannot roll over during the test.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pytest
from sqlalchemy import text

from bench import data
from bench.loadgen import read_response
from bench.server import start_server

LIMIT = 120  # signatures the shared limit allows from one client address
PAIRS = 15  # accounts that sign on both nodes at the same moment
SPREAD = 2 * LIMIT  # more accounts, one request each, alternating between the nodes
CONCURRENCY = 12  # connections per node


def _redis_url() -> str:
    url = os.environ.get("HROMADA_TEST_REDIS_URL")
    if not url:
        pytest.skip("HROMADA_TEST_REDIS_URL is not set: the shared rate limit needs Redis "
                    "(CI sets it)")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except Exception as exc:  # set but unreachable: a failure, never a skip
        pytest.fail(f"HROMADA_TEST_REDIS_URL={url} is set but Redis is unreachable: {exc}")
    return url


async def _sign_all(requests: list[tuple[int, str, int]], petition_id: int
                    ) -> list[tuple[int, int, int]]:
    """Send (port, token, account) signing requests, CONCURRENCY connections per node;
    returns (port, account, status) for each."""
    results: list[tuple[int, int, int]] = []
    by_port: dict[int, list[tuple[str, int]]] = {}
    for port, token, account in requests:
        by_port.setdefault(port, []).append((token, account))
    body = b'{"public_name": false}'

    async def connection(port: int, queue: list[tuple[str, int]]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                token, account = queue.pop(0)
                writer.write(
                    f"POST /api/v1/petitions/{petition_id}/signatures HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    .encode() + body)
                status, keep_alive, _ = await read_response(reader)
                results.append((port, account, status))
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(connection(port, queue) for port, queue in by_port.items()
                           for _ in range(CONCURRENCY)))
    return results


def test_two_nodes_share_database_and_rate_limits(backend, request, tmp_path):
    if backend != "postgresql":
        pytest.skip("two app servers sharing one database is a PostgreSQL deployment "
                    "(run with --db postgresql)")
    redis_url = _redis_url()
    url = request.getfixturevalue("isolated_database")
    users = 2 * PAIRS + SPREAD
    pop = data.populate(url, tmp_path, users=users, sign_petitions=1, small_signatures=0,
                        big_signatures=0)
    petition_id = pop.sign_petitions[0]
    tokens = Path(pop.tokens_file).read_text().split()
    assert len(tokens) == users

    window = random.randint(200_000, 2_000_000)  # seconds: a fresh Redis key on every run
    nodes = [start_server(url, workers=1, rate_limits=True, redis_url=redis_url,
                          extra_env={"HROMADA_RATE_SIGN_IP": f"{LIMIT}/{window}",
                                     "HROMADA_RATE_SIGN": f"5/{window}"},
                          log_dir=tmp_path, wait=False) for _ in range(2)]
    try:
        for node in nodes:
            node.wait_healthy()
        a, b = (node.port for node in nodes)
        # First the same accounts on both nodes at once, then the spread load.
        pairs = [(port, tokens[n], pop.user_id(n)) for n in range(PAIRS) for port in (a, b)]
        spread = [(a if n % 2 else b, tokens[n], pop.user_id(n))
                  for n in range(PAIRS, PAIRS + SPREAD)]
        results = asyncio.run(_sign_all(pairs, petition_id))
        results += asyncio.run(_sign_all(spread, petition_id))
    finally:
        for node in nodes:
            node.stop()
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"hromada:rl:sign:*:{window}:*"):
            client.delete(key)

    statuses: dict[int, int] = {}
    for _, _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    assert set(statuses) <= {201, 409, 429}, statuses
    allowed = len(results) - statuses.get(429, 0)
    # The limit is one counter in Redis for both nodes: exactly LIMIT passed, not 2 x LIMIT.
    assert allowed == LIMIT, statuses
    assert {port for port, _, status in results if status == 201} == {a, b}

    signed = {account for _, account, status in results if status == 201}
    assert statuses.get(201, 0) == len(signed), "an account got two 201s"
    for n in range(PAIRS):  # both requests of a pair passed the limit (they came first)
        pair = [status for _, account, status in results if account == pop.user_id(n)]
        assert sorted(pair) == [201, 409], (n, pair)

    acknowledged = {(petition_id, account) for account in signed}
    check = data.check_signatures(url, [petition_id], acknowledged)
    assert check["lost_writes"] == 0 and check["doubled"] == 0, check
    assert check["counters_match"] and check["rows"] == len(signed), check
    assert check["unacknowledged_rows"] == 0 and check["audit_matches_rows"], check
    engine = data.engine_for(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT signature_count FROM petition WHERE id = :p"),
                             {"p": petition_id}).scalar_one()
    engine.dispose()
    assert count == len(signed) == LIMIT - PAIRS
