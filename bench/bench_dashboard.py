"""How fast /dashboard renders over a synthetic region (default 1,500 communities x 100).

Builds the region with the same code as `hromada seed-scale` into a fresh SQLite file under
var/ (and, when HROMADA_BENCH_PG_URL is set, a fresh database on that PostgreSQL server), then
renders /dashboard repeatedly through the ASGI app (TestClient, after warm-up requests) and
prints the median and 95th percentile in milliseconds.

    .venv/bin/python bench/bench_dashboard.py
    .venv/bin/python bench/bench_dashboard.py --json
    HROMADA_BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/bench_dashboard.py --communities 1500 --per-community 100

--json prints {"dashboard_ms": median, "dashboard_p95_ms": p95, "dashboard_obligations": N}
for SQLite, plus "postgresql_dashboard_ms" and "postgresql_dashboard_p95_ms" when measured.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HROMADA_ENVIRONMENT", "production")
os.environ.setdefault("HROMADA_SECRET_KEY", secrets.token_hex(32))
os.environ["HROMADA_WORKER_IN_PROCESS"] = "false"
os.environ["HROMADA_RATE_LIMITS_ENABLED"] = "false"
os.environ["HROMADA_MAIL_BACKEND"] = "file"

FOUR_KINDS = [("petition_answer", "Answer to a petition", "petitions"),
              ("budget_review", "Review of a budget project", "budget"),
              ("budget_implementation", "Delivery of a budget project", "budget"),
              ("consultation_report", "Report on a consultation", "consultations")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def use_database(url: str) -> None:
    from app.db import get_engine
    from app.settings import get_settings

    os.environ["HROMADA_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()


def measure(url: str, args, log) -> dict:
    use_database(url)
    from fastapi.testclient import TestClient

    from app.accountability import service
    from app.accountability.seed_scale import analyze, seed_region
    from app.db import get_engine, transaction
    from app.main import create_app, load_models
    from app.migrate import upgrade

    load_models()
    upgrade(url)
    started = time.perf_counter()
    with transaction() as session:
        region = seed_region(session, communities=args.communities,
                             per_community=args.per_community, months=args.months)
    log(f"  seeded {region.communities} communities, {region.obligations} obligations in "
        f"{time.perf_counter() - started:.1f} s")
    analyze(get_engine())
    app = create_app(check_migrations=False)
    for code, label, tool in FOUR_KINDS:  # labels for kinds no installed module registers
        if code not in service.KINDS:
            service.register_kind(service.ObligationKind(code, label, tool))
    timings: list[float] = []
    cpu: list[float] = []
    with TestClient(app) as client:
        for _ in range(args.warmup):
            response = client.get(args.path)
            assert response.status_code == 200, response.text[:500]
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(args.path)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200
    get_engine().dispose()
    return {"median": round(statistics.median(timings), 1),
            "p95": round(percentile(timings, 0.95), 1), "obligations": region.obligations,
            "cpu": round(statistics.median(cpu), 1),
            "bytes": len(response.content)}


def postgres_database(server_url: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if server_url.startswith("postgresql://"):
        server_url = server_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = make_url(server_url)
    name = f"hromada_bench_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communities", type=int, default=1500)
    parser.add_argument("--per-community", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--path", default="/dashboard", help="the page to time")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 150 communities, 10 timed requests")
    args = parser.parse_args()
    if args.quick:
        args.communities, args.runs, args.warmup = min(args.communities, 150), 10, 2

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    path = var / f"bench-dashboard-{secrets.token_hex(4)}.db"
    log(f"SQLite ({path.name}):")
    try:
        sqlite = measure(f"sqlite:///{path}", args, log)
    finally:
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    log(f"  {args.path}: median {sqlite['median']} ms, p95 {sqlite['p95']} ms over "
        f"{args.runs} runs ({sqlite['obligations']} obligations, {sqlite['bytes']} bytes; "
        f"this process's CPU {sqlite['cpu']} ms per request)")
    out = {"dashboard_ms": sqlite["median"], "dashboard_p95_ms": sqlite["p95"],
           "dashboard_obligations": sqlite["obligations"]}

    server = os.environ.get("HROMADA_BENCH_PG_URL")
    if server:
        url, drop = postgres_database(server)
        log(f"PostgreSQL ({url.rsplit('/', 1)[-1]}):")
        try:
            pg = measure(url, args, log)
        finally:
            if not args.keep:
                drop()
        log(f"  {args.path}: median {pg['median']} ms, p95 {pg['p95']} ms over {args.runs} "
            f"runs ({pg['obligations']} obligations; this process's CPU {pg['cpu']} ms per "
            "request, the server's not included)")
        out["postgresql_dashboard_ms"] = pg["median"]
        out["postgresql_dashboard_p95_ms"] = pg["p95"]
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
