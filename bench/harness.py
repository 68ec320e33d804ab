"""What the benchmarks share: a work directory, a populated database with its server, the
load-generator plans and the way a load report becomes a figure."""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import data, loadgen
from bench.server import BENCH_APP, FLOOR_APP, WHOAMI_PATH, Server, start_server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKERS = 2
DEFAULT_CONNECTIONS = 32


@contextlib.contextmanager
def workdir(keep: bool = False) -> Iterator[Path]:
    """A scratch directory under var/ (on the project's disk: SQLite files must not land on
    a tmpfs, where fsync is free)."""
    path = ROOT / "var" / f"bench-{secrets.token_hex(4)}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


@dataclass
class Stage:
    """A populated database and a server on it, and the floor server beside it."""

    backend: str
    population: data.Population
    server: Server
    workdir: Path
    connections: int = DEFAULT_CONNECTIONS
    floor: Server | None = None

    @property
    def postgres(self) -> bool:
        return self.backend == "postgresql"

    @property
    def database(self) -> str | None:
        from sqlalchemy.engine import make_url

        return make_url(self.population.url).database if self.postgres else None

    def plan(self, paths: list[str], *, seconds: float, warmup: float,
             connections: int | None = None, server: Server | None = None,
             **kw: Any) -> dict[str, Any]:
        """A load-generator plan against the app server (or `server`, e.g. the floor)."""
        server = server or self.server
        return {"host": "127.0.0.1", "port": server.port, "paths": paths,
                "duration": seconds, "warmup": warmup,
                "connections": connections or self.connections,
                "server_pid": server.process.pid, "watch_postgres": self.postgres,
                "database": self.database, "balance_path": WHOAMI_PATH,
                "workers": server.workers, **kw}

    def load(self, plan: dict[str, Any]) -> dict[str, Any]:
        return loadgen.run_load(plan, self.workdir)


@contextlib.contextmanager
def stage(backend: str, work: Path, *, workers: int = DEFAULT_WORKERS,
          connections: int = DEFAULT_CONNECTIONS, log: Callable[[str], None] = print,
          url: str | None = None, **populate: Any) -> Iterator[Stage]:
    """Create, migrate and fill a database, start the server and the floor server (the same
    command, the same workers), and clean all up after.

    With `url`, that (empty or migrated) database is used and left for its owner to drop.
    """
    owned = url is None
    url = url or data.create_database(backend, work)
    budget = populate.pop("budget", None)
    try:
        started = time.perf_counter()
        population = data.populate(url, work, **populate)
        if budget:
            from bench import bench_ballot

            step = time.perf_counter()
            try:
                population.extra["budget"] = bench_ballot.populate_budget(population, **budget)
            except Exception as exc:  # the other benchmarks can still run
                population.extra["budget_error"] = f"{type(exc).__name__}: {exc}"[:2000]
                log(f"  {backend}: budget set-up failed: {exc}")
            population.timings["budget_s"] = round(time.perf_counter() - step, 2)
        log(f"  {backend}: database ready in {time.perf_counter() - started:.1f} s "
            f"({population.users:,} accounts with tokens, {population.big_signatures:,} "
            f"signatures on one petition) {population.timings}")
        servers: list[Server] = []
        try:
            for app in (BENCH_APP, FLOOR_APP):
                servers.append(start_server(url, workers=workers, log_dir=work, wait=False,
                                            app=app))
            for each in servers:
                each.wait_healthy()
            server, floor = servers
            yield Stage(backend, population, server, work, connections, floor=floor)
        finally:
            for each in servers:
                each.stop()
    finally:
        if owned:
            data.drop_database(url)


def figure(report: dict[str, Any]) -> dict[str, Any]:
    """The parts of a load report that the results keep."""
    keys = ("ok_per_s", "ok_per_s_median_1s", "p50_ms", "p90_ms", "p99_ms", "max_ms",
            "window_s", "connections", "requests_in_window", "ok_in_window",
            "statuses_in_window", "errors", "exhausted", "cpu_cores", "cpu_ms_per_request",
            "connections_by_worker")
    out = {k: report.get(k) for k in keys}
    out["per_s"] = out.pop("ok_per_s")
    return out


def standalone(description: str, run: Callable[[Stage, argparse.Namespace], dict[str, Any]],
               add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
               **populate: Any) -> int:
    """The `main` of a single benchmark: its own database and server, figures printed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--big", type=int, default=populate.pop("big_signatures", 1_000),
                        help="signatures on the big petition")
    parser.add_argument("--json", action="store_true", help="print only the JSON figures")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()

    def log(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr)

    with workdir() as work, stage(args.db, work, workers=args.workers,
                                  connections=args.connections, log=log,
                                  big_signatures=args.big, **populate) as st:
        result = run(st, args)
    print(json.dumps(result, indent=None if args.json else 2, ensure_ascii=False))
    return 0
