"""Crash test, long version: many SIGKILL rounds while people sign, withdraw and vote.

    .venv/bin/python bench/crash_test.py [--db sqlite|postgresql] [--rounds 10] [--people 200]
                                         [--petitions 5] [--threads 8] [--seconds 4]

Each round starts a real server (uvicorn) on the same database, drives it from threads with
personal API tokens (signing, withdrawing, casting and changing budget ballots), kills it with
SIGKILL at a random moment, and checks that every request answered 2xx is in the database,
every counter equals its rows, nothing is half-written and the audit chain verifies. Prints
the figures of each round; exits 1 at the first problem.
tests/safety/test_crash.py runs one short round per database inside `make test`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HROMADA_ENVIRONMENT", "test")
os.environ.setdefault("HROMADA_SECRET_KEY", "crash-test-secret")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--petitions", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="longest time before the kill (each round picks 1..this)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from app.db import build_engine
    from tests.safety import crashkit
    from tests.safety.scratch import cache_password_hashes, scratch_database

    cache_password_hashes()
    rnd = random.Random(args.seed)
    with scratch_database(args.db, "crash") as url, \
            tempfile.TemporaryDirectory(prefix="hromada-crash-") as tmp:
        engine = build_engine(url)
        started = time.perf_counter()
        population = crashkit.populate(engine, args.people, args.petitions)
        print(f"{args.db}: {args.people} people, {args.petitions} petitions "
              f"({time.perf_counter() - started:.1f} s to populate)")
        ledger = crashkit.Ledger()
        server = crashkit.Server(url, Path(tmp))
        try:
            for n in range(1, args.rounds + 1):
                before = sum(ledger.counts.values())
                run_for = rnd.uniform(1.0, args.seconds)
                crashkit.round_trip(server, population, ledger, run_for=run_for,
                                    threads=args.threads, seed=args.seed * 100 + n)
                problems = crashkit.check(engine, population, ledger)
                done = sum(ledger.counts.values()) - before
                print(f"round {n}: killed after {run_for:.1f} s, {done} requests, "
                      f"totals {dict(ledger.counts)}, {len(ledger.ballots)} voters, "
                      f"{'OK' if not problems else 'PROBLEMS'}", flush=True)
                if problems:
                    print("\n".join(problems))
                    return 1
            server.start()
            serves = crashkit.still_serves(server, population, ledger)
            problems = crashkit.check(engine, population, ledger)
        finally:
            server.kill()
            engine.dispose()
        print(f"after {args.rounds} kills: serves again: {serves}, problems: {len(problems)}")
        if problems:
            print("\n".join(problems))
        return 0 if serves and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
