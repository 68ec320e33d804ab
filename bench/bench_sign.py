"""Signing throughput: POST /api/v1/petitions/{id}/signatures with personal API tokens.

Every account signs each petition once; all connections sign the same petition at a time
(a petition going viral: every signature updates the same counter row). Rate limits are off on
the bench server (HROMADA_RATE_LIMITS_ENABLED=false), or they would be what is measured.

A signature counts when its 201 arrived inside the measured window; the route commits before
it answers, so a 201 is a committed signature. After the run the database is checked: each
petition's counter equals its rows, no account signed twice, and no acknowledged signature is
missing (lost_writes). Before that, the audit entries the run wrote are given up to
SEAL_WAIT_S seconds to be sealed into the hash chain, and the longest wait of an entry between
its writing and its sealing is reported (`seal`, bench/data.py seal_delays).

    python -m bench.bench_sign [--seconds 60] [--db sqlite|postgresql] [--json]
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from bench import data
from bench.harness import Stage, figure, standalone

# One signer in four shows a public name (that also moves the public-signer counter).
BODIES = [{"public_name": True}, {"public_name": False}, {"public_name": False},
          {"public_name": False}]
SEAL_WAIT_S = 5.0  # how long the sealer may take to catch up after a run


def petitions_needed(users: int, seconds: float, warmup: float, ceiling_per_s: int = 3000
                     ) -> int:
    """How many petitions the accounts must be able to sign so that the run cannot run out."""
    return max(1, math.ceil(ceiling_per_s * (seconds + warmup + 5) / users))


def acknowledged(stage: Stage, acked: list[int], petitions: list[int] | None = None,
                 spread: bool = False) -> set[tuple[int, int]]:
    """(petition id, account id) of each request that got a 2xx (the loadgen's numbering)."""
    pop = stage.population
    petitions = petitions or pop.sign_petitions
    if spread:
        return {(petitions[i % len(petitions)], pop.user_id(i // len(petitions)))
                for i in acked}
    return {(petitions[i // pop.users], pop.user_id(i % pop.users)) for i in acked}


def run(stage: Stage, seconds: float = 60.0, warmup: float = 3.0,
        connections: int | None = None, keep_acks: bool = False, first_index: int = 0,
        timeout: float = 30.0) -> dict[str, Any]:
    """Sign for `seconds` (request numbers from `first_index`, to continue a previous run
    with fresh account/petition pairs) and check the database afterwards."""
    pop = stage.population
    paths = [f"/api/v1/petitions/{pid}/signatures" for pid in pop.sign_petitions]
    mark = data.audit_mark(pop.url)
    report = stage.load(stage.plan(paths, seconds=seconds, warmup=warmup,
                                   connections=connections, method="POST",
                                   tokens_file=pop.tokens_file, bodies=BODIES,
                                   record_acks=True, first_index=first_index,
                                   timeout=timeout))
    seal = data.seal_delays(pop.url, mark, SEAL_WAIT_S)
    acks = acknowledged(stage, report["acked"])
    check = data.check_signatures(pop.url, pop.sign_petitions, acks)
    out = {**figure(report), "check": check, "seal": seal, "statuses": report["statuses"],
           "issued": report["issued"], "rate_limits": "disabled"}
    if keep_acks:
        out["acknowledged"] = acks
    return out


def spread(stage: Stage, seconds: float = 20.0, warmup: float = 2.0,
           connections: int | None = None) -> dict[str, Any]:
    """Signing spread over many petitions (consecutive requests to different ones), on
    petitions of their own: no hot counter row, so what remains shared is the audit chain
    (one advisory lock on PostgreSQL) and, on SQLite, the database's single writer."""
    pop = stage.population
    petitions = pop.spread_petitions
    paths = [f"/api/v1/petitions/{pid}/signatures" for pid in petitions]
    report = stage.load(stage.plan(paths, seconds=seconds, warmup=warmup,
                                   connections=connections, method="POST",
                                   tokens_file=pop.tokens_file, bodies=BODIES,
                                   record_acks=True, spread=True))
    acks = acknowledged(stage, report["acked"], petitions, spread=True)
    check = data.check_signatures(pop.url, petitions, acks)
    return {**figure(report), "check": check, "statuses": report["statuses"],
            "issued": report["issued"], "petitions": len(petitions), "rate_limits": "disabled"}


def burst(stage: Stage, after: int, seconds: float = 5.0, connections: int = 128,
          timeout: float = 10.0) -> dict[str, Any]:
    """A burst of many more concurrent signers than a worker has threads (64 per worker with
    the defaults): does the server keep answering? `deadlocked` when nothing was answered."""
    result = run(stage, seconds, 0.5, connections=connections, first_index=after,
                 timeout=timeout)
    result["deadlocked"] = not result["per_s"] and bool(result["errors"])
    return result


def _main(stage: Stage, args: argparse.Namespace) -> dict[str, Any]:
    return {"sign": run(stage, args.seconds, args.warmup)}


if __name__ == "__main__":
    sys.exit(standalone(__doc__.split("\n\n")[0], _main, users=20_000,
                        sign_petitions=petitions_needed(20_000, 60, 3)))
