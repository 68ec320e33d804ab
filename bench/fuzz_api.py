"""Hostile input, long version: schemathesis over /openapi.json with many examples.

    .venv/bin/python bench/fuzz_api.py [--db sqlite|postgresql] [--examples 500]
                                       [--area kernel|petitions|budget|consultations]
                                       [--strict-status] [--shrink]

Builds a scratch database with a small world (every role, items of every module), then sends
valid and invalid generated requests to every operation of the JSON API through the ASGI app
(real commits). A 5xx, or a response that contradicts the schema, is a failure. Prints the
operations, the requests, the time and each failure; exits 1 when anything failed.
tests/safety/test_fuzz_api.py runs 25 examples per operation inside `make test`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HROMADA_ENVIRONMENT", "test")
os.environ.setdefault("HROMADA_SECRET_KEY", "fuzz-secret")
os.environ["HROMADA_RATE_LIMITS_ENABLED"] = "false"
os.environ.pop("HROMADA_REDIS_URL", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--area", default="")
    parser.add_argument("--strict-status", action="store_true",
                        help="also fail on status codes the schema does not document")
    parser.add_argument("--shrink", action="store_true", help="minimise failing examples")
    parser.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    args = parser.parse_args(argv)

    from tests.safety.scratch import cache_password_hashes, scratch_database

    cache_password_hashes()
    with scratch_database(args.db, "fuzz") as url:
        os.environ["HROMADA_DATABASE_URL"] = url
        from app.db import get_engine, transaction
        from app.identity import service as identity
        from app.main import create_app
        from app.settings import get_settings
        from tests.safety.conftest import build_world
        from tests.safety.fuzzing import area_of, describe, fuzz
        from tests.safety.world_data import populate

        get_settings.cache_clear()
        get_engine.cache_clear()
        app = create_app(check_migrations=False)
        with transaction() as session:
            world = build_world(session)
            populate(session, world)
            _, raw = identity.create_token(session, world.user("resident"), "fuzz")
        identity.verify_password = lambda password, hashed: False  # no argon2 per request
        started = time.perf_counter()
        report = fuzz(app, max_examples=args.examples, headers={"Authorization":
                                                                f"Bearer {raw}"},
                      select=(lambda path: area_of(path) == args.area) if args.area
                      else (lambda path: True), shrink=args.shrink, seed=args.seed,
                      strict_status=args.strict_status)
        elapsed = time.perf_counter() - started
        get_engine().dispose()
    print(f"{args.db}: {describe(report)}")
    print(f"{report.calls / elapsed:.0f} requests/s over {elapsed:.0f} s; "
          f"{len(report.failures)} failing operations")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
