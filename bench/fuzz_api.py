"""The API contract, long version: schemathesis over /openapi.json with many examples.

    .venv/bin/python bench/fuzz_api.py [--db sqlite|postgresql] [--examples 100]
                                       [--role resident|official|moderator|admin]...
                                       [--area kernel|petitions|budget|consultations]
                                       [--no-stateful] [--seed N]

Builds a scratch database with a small world (every role, items of every module), then runs
every operation of the JSON API through the ASGI app (real commits) with schemathesis's
examples, coverage, fuzzing and stateful phases, valid and invalid requests, every check
(tests/safety/fuzzing.py), once with the token of each role.
Prints the operations, the requests, the time and each failure; exits 1 when anything failed.
tests/safety/test_fuzz_api.py runs a few examples per operation inside `make test`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HROMADA_ENVIRONMENT", "test")
os.environ.setdefault("HROMADA_SECRET_KEY", "fuzz-secret")
os.environ["HROMADA_RATE_LIMITS_ENABLED"] = "false"
os.environ.pop("HROMADA_REDIS_URL", None)


def main(argv: list[str] | None = None) -> int:
    from tests.safety.fuzzing import AREAS, PHASES, ROLES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--role", choices=ROLES, action="append",
                        help="a role to run with (default: every role)")
    parser.add_argument("--area", choices=AREAS, default="")
    parser.add_argument("--no-stateful", action="store_true",
                        help="leave out the stateful phase")
    parser.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    args = parser.parse_args(argv)

    from tests.safety.scratch import cache_password_hashes, scratch_database

    cache_password_hashes()
    failed = False
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
            tokens = {role: identity.create_token(session, world.user(role), "fuzz")[1]
                      for role in ROLES}
        identity.verify_password = lambda password, hashed: False  # no argon2 per request
        for role in args.role or ROLES:
            phases = tuple(p for p in PHASES if p != "stateful" or not args.no_stateful)
            report = fuzz(app, headers={"Authorization": f"Bearer {tokens[role]}"},
                          max_examples=args.examples, seed=args.seed, phases=phases,
                          select=(lambda path: area_of(path) == args.area) if args.area
                          else (lambda path: True))
            print(f"{args.db}, {role}: {describe(report)}")
            print(f"{report.calls / max(report.seconds, 1e-9):.0f} requests/s; "
                  f"{len(report.failures)} failing operations", flush=True)
            failed = failed or not report.ok
        get_engine().dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
