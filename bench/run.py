"""`make bench`: the whole benchmark suite, written to bench/results.json and printed as a table.

    .venv/bin/python bench/run.py [--quick] [--sign-seconds 60] [--only sqlite,postgresql]

For each database (SQLite, then PostgreSQL at HROMADA_BENCH_PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres, used as an administrator to create a
fresh hromada_bench_<random> database that is dropped afterwards), one populated database and
two servers started by the same command with the same workers (uvicorn, 2 workers): the
application (production settings, rate limits off) and the floor, a plain FastAPI app with
one sync route. In this order: the floor, the bare route (the ceiling of the app's stack), the
petition page with 10 and with 1,000,000 signatures for anonymous visitors and with 10 for
logged-in signers, the floor again, signing (and how long its audit entries wait to be
sealed), signing spread over many petitions, budget ballots, the floor a third time, and a
burst of signers. The floor of a database is the median of its three runs, and every
throughput is also given as a fraction of it. The load generator is a separate process; its
CPU is reported next to the servers' and PostgreSQL's. Then the dashboard and the
equal-shares benchmarks run (their own scripts, bench/bench_dashboard.py and
bench/bench_mes.py, with --json).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/run.py`
    sys.path.insert(0, str(ROOT))

from bench import bench_bare, bench_floor, bench_page, bench_sign  # noqa: E402
from bench.harness import DEFAULT_CONNECTIONS, DEFAULT_WORKERS, stage, workdir  # noqa: E402
from bench.server import BENCH_APP, server_command  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
# The keys the issues fix for bench/results.json (unprefixed: SQLite; _pg: PostgreSQL).
REQUIRED_KEYS = ("sign_per_s", "sign_p99_ms", "sign_pg_per_s", "sign_pg_p99_ms", "ballot_per_s",
                 "ballot_pg_per_s", "page_per_s_10", "page_per_s_1m", "page_p99_ms_1m",
                 "bare_per_s", "dashboard_ms", "mes_speedup_vs_pabutools", "lost_writes",
                 "floor_per_s", "bare_vs_floor", "sign_vs_floor", "sign_pg_vs_floor",
                 "ballot_vs_floor", "ballot_pg_vs_floor", "page_anon_vs_floor",
                 "page_anon_pg_vs_floor", "page_user_vs_floor", "seal_delay_max_ms")
BACKENDS = ("sqlite", "postgresql")
WORKERS_REASON = ("2 uvicorn workers: one process per core of this 2-core machine. More "
                  "processes than cores only add context switches, and the load generator and "
                  "PostgreSQL need CPU time on the same cores.")

# The targets: (key, label, comparison, bound). Throughputs are fractions of the floor (the
# plain FastAPI app on the same server, same workers, same run), so they hold on any machine.
TARGETS = [
    ("bare_vs_floor", "bare route ÷ floor (SQLite)", ">=", 0.6),
    ("bare_pg_vs_floor", "bare route ÷ floor (PostgreSQL)", ">=", 0.6),
    ("sign_vs_floor", "signatures/s ÷ floor (SQLite)", ">=", 0.10),
    ("sign_p99_ms", "signing p99 ms (SQLite)", "<=", 100),
    ("sign_pg_vs_floor", "signatures/s ÷ floor (PostgreSQL)", ">=", 0.10),
    ("sign_pg_p99_ms", "signing p99 ms (PostgreSQL)", "<=", 100),
    ("ballot_vs_floor", "ballots/s ÷ floor (SQLite)", ">=", 0.08),
    ("ballot_pg_vs_floor", "ballots/s ÷ floor (PostgreSQL)", ">=", 0.08),
    ("page_anon_vs_floor", "anonymous page views/s ÷ floor (SQLite)", ">=", 0.5),
    ("page_anon_pg_vs_floor", "anonymous page views/s ÷ floor (PostgreSQL)", ">=", 0.5),
    ("page_user_vs_floor", "logged-in page views/s ÷ floor (SQLite)", ">=", 0.1),
    ("page_user_pg_vs_floor", "logged-in page views/s ÷ floor (PostgreSQL)", ">=", 0.1),
    ("page_time_ratio_1m_vs_10", "page time 1M / 10 (SQLite)", "<=", 1.2),
    ("page_pg_time_ratio_1m_vs_10", "page time 1M / 10 (PostgreSQL)", "<=", 1.2),
    ("seal_delay_max_ms", "longest wait to be sealed, ms (SQLite)", "<=", 1000),
    ("seal_unsealed_rows", "audit entries still unsealed after the wait (SQLite)", "<=", 0),
    ("seal_pg_delay_max_ms", "longest wait to be sealed, ms (PostgreSQL)", "<=", 1000),
    ("seal_pg_unsealed_rows", "audit entries still unsealed after the wait (PostgreSQL)", "<=",
     0),
    ("lost_writes", "acknowledged writes missing", "<=", 0),
    ("doubled_writes", "writes doubled", "<=", 0),
    ("counters_exact", "counters exact", "==", True),
    # Not throughputs, so not fractions of the floor: the dashboard's and the equal-shares
    # targets (bench_dashboard.py, bench_mes.py), and no deadlock under a burst.
    ("dashboard_ms", "dashboard ms, 1,500 communities (SQLite)", "<=", 200),
    ("dashboard_pg_ms", "dashboard ms, 1,500 communities (PostgreSQL)", "<=", 200),
    ("mes_speedup_vs_pabutools", "equal shares speed-up vs pabutools", ">=", 100),
    ("sign_burst_per_s", "no deadlock: burst of 128 signers (SQLite)", ">", 0),
    ("sign_pg_burst_per_s", "no deadlock: burst of 128 signers (PostgreSQL)", ">", 0),
]

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- machine and revision -------------------------------------------------------------------

def _git(*args: str) -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10)
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cores": os.cpu_count(), "platform": platform.platform(),
                            "python": platform.python_version(),
                            "sqlite": sqlite3.sqlite_version}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    with contextlib.suppress(Exception):
        from sqlalchemy import create_engine, text

        from bench.data import pg_admin_url

        engine = create_engine(pg_admin_url())
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar_one()
            info["postgresql_synchronous_commit"] = conn.execute(
                text("SHOW synchronous_commit")).scalar_one()
        engine.dispose()
    with contextlib.suppress(ImportError):
        import uvicorn

        info["uvicorn"] = uvicorn.__version__
    return info


# -- the external benchmarks (their own scripts) --------------------------------------------

def external(script: str, quick: bool, postgres: bool) -> dict[str, Any]:
    """Run bench/<script> --json (plus --quick when it has one); its last JSON line.
    With `postgres`, HROMADA_BENCH_PG_URL is passed on so it measures PostgreSQL too."""
    path = ROOT / "bench" / script
    if not path.exists():
        return {"error": f"bench/{script} does not exist yet"}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if postgres:
        from bench.data import pg_admin_url

        env["HROMADA_BENCH_PG_URL"] = pg_admin_url()
    else:
        env.pop("HROMADA_BENCH_PG_URL", None)
    flags = ["--json"]
    if quick:
        helped = subprocess.run([sys.executable, str(path), "--help"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        if "--quick" in helped.stdout:
            flags.append("--quick")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(path), *flags], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    elapsed = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        return {"error": f"bench/{script} exited with {done.returncode}: "
                         f"{done.stderr.strip()[-2000:]}", "seconds": elapsed}
    for line in reversed(done.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return {**json.loads(line), "seconds": elapsed, "command": " ".join(
                    [f"python bench/{script}", *flags])}
    with contextlib.suppress(ValueError):
        return {**json.loads(done.stdout), "seconds": elapsed}
    return {"error": f"bench/{script} printed no JSON: {done.stdout.strip()[-500:]}",
            "seconds": elapsed}


# -- the suite ------------------------------------------------------------------------------

def durations(args: argparse.Namespace) -> dict[str, float]:
    quick = args.quick
    return {
        "sign": args.sign_seconds or (10.0 if quick else 60.0),
        "ballot": args.ballot_seconds or (8.0 if quick else 30.0),
        "page": args.page_seconds or (5.0 if quick else 15.0),
        "bare": args.bare_seconds or (5.0 if quick else 15.0),
        "warmup": args.warmup if args.warmup is not None else (1.0 if quick else 3.0),
        "burst": 3.0 if quick else 5.0,
        "spread": 5.0 if quick else 20.0,
    }


def run_backend(backend: str, work: Path, args: argparse.Namespace, times: dict[str, float],
                errors: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    warm = times["warmup"]
    users = args.users
    sign_seconds = times["sign"] + times["burst"] + (args.profile_seconds if args.profile
                                                      else 0)
    sign_petitions = bench_sign.petitions_needed(users, sign_seconds, warm)
    ballot = None
    try:
        from bench import bench_ballot

        ballot = bench_ballot if bench_ballot.available() is None else None
        if ballot is None:
            out["ballot"] = {"error": bench_ballot.available()}
    except ImportError as exc:
        out["ballot"] = {"error": f"bench_ballot unavailable: {exc}"}
    populate: dict[str, Any] = {"users": users, "sign_petitions": sign_petitions,
                                "big_signatures": args.big,
                                "spread_petitions": 0 if "spread" in args.skip else 50}
    if ballot is not None:
        populate["budget"] = ballot.budget_needed(users, times["ballot"], warm)
    setup_started = time.perf_counter()
    with stage(backend, work, workers=args.workers, connections=args.connections, log=log,
               **populate) as st:
        out["setup"] = {**st.population.timings,
                        "seconds": round(time.perf_counter() - setup_started, 1)}
        floor = ("floor", lambda: bench_floor.run(st, times["bare"], warm))
        # The floor first, between the reads and the writes, and last (before the burst,
        # which may leave the database busy): its figure is the median of the three.
        steps: list[tuple[str, Any]] = [
            floor,
            ("bare", lambda: bench_bare.run(st, times["bare"], warm)),
            ("page", lambda: bench_page.run(st, times["page"], warm)),
            floor,
            ("sign", lambda: bench_sign.run(st, times["sign"], warm)),
            ("spread", lambda: bench_sign.spread(st, times["spread"], warm)),
        ]
        if ballot is not None and "budget_error" in st.population.extra:
            out["ballot"] = {"error": "set-up: " + st.population.extra["budget_error"]}
            errors.append(f"{backend} ballot: {out['ballot']['error'][:300]}")
        elif ballot is not None:
            steps.append(("ballot", lambda: ballot.run(st, times["ballot"], warm)))
        steps.append(floor)
        floor_runs: list[dict[str, Any]] = []
        for name, step in steps:
            if args.skip and name in args.skip:
                continue
            log(f"  {backend}: {name} ...")
            try:
                result = step()
                log(f"  {backend}: {name}: {summary(name, result)}")
            except Exception as exc:  # one broken figure must not lose the others
                errors.append(f"{backend} {name}: {exc}")
                result = {"error": str(exc), "traceback": traceback.format_exc()[-3000:]}
                log(f"  {backend}: {name} FAILED: {exc}")
            if name == "floor":
                floor_runs.append(result)
                out["floor"] = bench_floor.median_of(floor_runs)
            else:
                out[name] = result
            if "error" in result and st.server.process.poll() is not None:
                log(st.server.log_tail())
                break
        if args.profile:
            out["profile"] = profile_backend(st, out, args.profile_seconds)
        if "burst" not in args.skip and "sign" in out and "error" not in out["sign"]:
            # Last: a server that deadlocks here may not recover (PostgreSQL row locks wait
            # forever), so nothing runs on it afterwards.
            log(f"  {backend}: burst of {args.burst_connections} concurrent signers ...")
            after = max(out["sign"]["issued"],
                        _get(out, "profile", "sign", "issued") or 0)
            try:
                out["burst"] = bench_sign.burst(st, after, times["burst"],
                                                args.burst_connections)
                log(f"  {backend}: burst: {summary('burst', out['burst'])}"
                    + ("  DEADLOCKED" if out["burst"]["deadlocked"] else ""))
            except Exception as exc:
                errors.append(f"{backend} burst: {exc}")
                out["burst"] = {"error": str(exc)}
    return out


def profile_backend(st: Any, out: dict[str, Any], seconds: float) -> dict[str, Any]:
    """py-spy over the workers while signing (continuing after the measured run's accounts)
    and while serving the page with 10 signatures."""
    from bench import profile

    pop = st.population
    issued = _get(out, "sign", "issued") or 0
    plans = {
        "sign": st.plan([f"/api/v1/petitions/{pid}/signatures" for pid in pop.sign_petitions],
                        seconds=seconds, warmup=0, method="POST", tokens_file=pop.tokens_file,
                        bodies=bench_sign.BODIES, first_index=issued),
        "page": st.plan([f"/petitions/{pop.small_petition}"], seconds=seconds, warmup=0),
    }
    result = {}
    for label, plan in plans.items():
        log(f"  {st.backend}: profiling {label} with py-spy for {seconds:.0f} s ...")
        try:
            result[label] = profile.profile_load(st, plan, seconds, label)
        except Exception as exc:
            result[label] = {"error": str(exc)}
    return result


def summary(name: str, result: dict[str, Any]) -> str:
    if name == "page":
        user = _get(result, "user", "per_s")
        return (f"{result['small']['per_s']}/s (10), {result['big']['per_s']}/s (big), "
                f"p99 {result['big']['p99_ms']} ms; logged in {user}/s")
    text = f"{result.get('per_s')}/s, p50 {result.get('p50_ms')} ms, p99 {result.get('p99_ms')} ms"
    if "check" in result:
        check = result["check"]
        text += (f"; lost {check['lost_writes']}, counters "
                 f"{'exact' if check['counters_match'] else 'WRONG'}")
    if "seal" in result:
        seal = result["seal"]
        text += (f"; sealing: longest wait {seal['delay_max_ms']} ms, "
                 f"{seal['unsealed_rows']} unsealed")
    return text


def _get(d: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def ratio(value: float | None, base: float | None) -> float | None:
    if not value or not base:
        return None
    return round(value / base, 3)


def compose(per_backend: dict[str, dict[str, Any]], dashboard: dict[str, Any],
            mes: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    lite, pg = per_backend.get("sqlite", {}), per_backend.get("postgresql", {})
    r: dict[str, Any] = {}
    for prefix, res in (("", lite), ("_pg", pg)):
        r[f"sign{prefix}_per_s"] = _get(res, "sign", "per_s")
        r[f"sign{prefix}_p50_ms"] = _get(res, "sign", "p50_ms")
        r[f"sign{prefix}_p99_ms"] = _get(res, "sign", "p99_ms")
        r[f"ballot{prefix}_per_s"] = _get(res, "ballot", "per_s")
        r[f"ballot{prefix}_p50_ms"] = _get(res, "ballot", "p50_ms")
        r[f"ballot{prefix}_p99_ms"] = _get(res, "ballot", "p99_ms")
        page = f"page{prefix}"
        r[f"{page}_per_s_10"] = _get(res, "page", "small", "per_s")
        r[f"{page}_per_s_1m"] = _get(res, "page", "big", "per_s")
        r[f"{page}_p50_ms_10"] = _get(res, "page", "small", "p50_ms")
        r[f"{page}_p99_ms_10"] = _get(res, "page", "small", "p99_ms")
        r[f"{page}_p50_ms_1m"] = _get(res, "page", "big", "p50_ms")
        r[f"{page}_p99_ms_1m"] = _get(res, "page", "big", "p99_ms")
        r[f"{page}_time_ratio_1m_vs_10"] = _get(res, "page", "time_ratio_big_vs_small")
        r[f"page_user{prefix}_per_s"] = _get(res, "page", "user", "per_s")
        r[f"page_user{prefix}_p50_ms"] = _get(res, "page", "user", "p50_ms")
        r[f"page_user{prefix}_p99_ms"] = _get(res, "page", "user", "p99_ms")
        r[f"bare{prefix}_per_s"] = _get(res, "bare", "per_s")
        r[f"sign{prefix}_spread_per_s"] = _get(res, "spread", "per_s")
        r[f"sign{prefix}_spread_p99_ms"] = _get(res, "spread", "p99_ms")
        r[f"sign{prefix}_burst_per_s"] = _get(res, "burst", "per_s")
        r[f"sign{prefix}_burst_deadlocked"] = _get(res, "burst", "deadlocked")
        r[f"bare{prefix}_p99_ms"] = _get(res, "bare", "p99_ms")
        r[f"floor{prefix}_per_s"] = _get(res, "floor", "per_s")
        r[f"floor{prefix}_p99_ms"] = _get(res, "floor", "p99_ms")
        r[f"floor{prefix}_runs"] = [run.get("per_s") for run in
                                    _get(res, "floor", "runs") or []]
        r[f"seal{prefix}_delay_max_ms"] = _get(res, "sign", "seal", "delay_max_ms")
        r[f"seal{prefix}_delay_avg_ms"] = _get(res, "sign", "seal", "delay_avg_ms")
        r[f"seal{prefix}_unsealed_rows"] = _get(res, "sign", "seal", "unsealed_rows")
        r[f"seal{prefix}_note"] = _get(res, "sign", "seal", "note")
    r["dashboard_ms"] = dashboard.get("dashboard_ms")
    r["dashboard_p95_ms"] = dashboard.get("dashboard_p95_ms")
    r["dashboard_pg_ms"] = dashboard.get("postgresql_dashboard_ms")
    r["dashboard_pg_p95_ms"] = dashboard.get("postgresql_dashboard_p95_ms")
    r["mes_speedup_vs_pabutools"] = mes.get("mes_speedup_vs_pabutools")
    r["mes_identical_winners"] = mes.get("mes_identical_winners")
    r["mes_ms"] = mes.get("mes_ms")
    r["mes_pabutools_ms"] = mes.get("mes_pabutools_ms")
    checks = {f"{name}_{backend}": res[name]["check"]
              for backend, res in per_backend.items()
              for name in ("sign", "spread", "ballot", "burst")
              if isinstance(res.get(name), dict) and "check" in res[name]}
    r["lost_writes"] = sum(c["lost_writes"] for c in checks.values()) if checks else None
    r["counters_exact"] = all(c["counters_match"] for c in checks.values()) if checks else None
    r["doubled_writes"] = sum(c["doubled"] for c in checks.values()) if checks else None
    r["integrity"] = checks
    ratios: dict[str, float | None] = {}
    vs_floor: dict[str, float | None] = {}
    for prefix, res in (("", lite), ("_pg", pg)):
        bare = _get(res, "bare", "per_s")
        for name, value in (("sign", _get(res, "sign", "per_s")),
                            ("ballot", _get(res, "ballot", "per_s")),
                            ("page_10", _get(res, "page", "small", "per_s")),
                            ("page_1m", _get(res, "page", "big", "per_s")),
                            ("page_user", _get(res, "page", "user", "per_s"))):
            ratios[f"{name}{prefix}"] = ratio(value, bare)
        # Each database's throughputs over the floor measured on its own stage.
        floor = r[f"floor{prefix}_per_s"]
        for key in (f"bare{prefix}", f"sign{prefix}", f"ballot{prefix}",
                    f"sign{prefix}_spread", f"sign{prefix}_burst"):
            r[f"{key}_vs_floor"] = vs_floor[key] = ratio(r[f"{key}_per_s"], floor)
        for key, value in ((f"page_anon{prefix}", r[f"page{prefix}_per_s_10"]),
                           (f"page_anon{prefix}_1m", r[f"page{prefix}_per_s_1m"]),
                           (f"page_user{prefix}", r[f"page_user{prefix}_per_s"])):
            r[f"{key}_vs_floor"] = vs_floor[key] = ratio(value, floor)
    r["ratio_to_bare"] = ratios
    r["vs_floor"] = vs_floor
    r["cpu_cores"] = {f"{name}_{backend}": (_get(res, *path, "cpu_cores"))
                      for backend, res in per_backend.items()
                      for name, path in (("floor", ("floor",)), ("bare", ("bare",)),
                                         ("page_10", ("page", "small")),
                                         ("page_1m", ("page", "big")),
                                         ("page_user", ("page", "user")), ("sign", ("sign",)),
                                         ("spread", ("spread",)), ("ballot", ("ballot",)),
                                         ("burst", ("burst",)))}
    r["targets"] = []
    for key, label, op, bound in TARGETS:
        value = r.get(key)
        met = None if value is None else {">=": lambda v, b: v >= b, "<=": lambda v, b: v <= b,
                                          ">": lambda v, b: v > b,
                                          "==": lambda v, b: v == b}[op](value, bound)
        r["targets"].append({"key": key, "label": label, "target": f"{op} {bound}",
                             "value": value, "met": met})
    r.update(meta)
    r["details"] = {"sqlite": lite, "postgresql": pg, "dashboard": dashboard, "mes": mes}
    return r


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(r: dict[str, Any]) -> str:
    big = _get(r, "details", "sqlite", "page", "big", "signatures") or _get(
        r, "details", "postgresql", "page", "big", "signatures")
    big_label = f"{big:,}" if big else "1,000,000"

    def pair(key: str, digits: int = 0, ratio_key: str | None = None) -> list[str]:
        """Figure and fraction of the floor, for SQLite then PostgreSQL: four cells."""
        cells = []
        for prefix in ("", "_pg"):
            name = key.format(p=prefix)
            cells.append(_fmt(r.get(name), digits))
            cells.append(_fmt(r.get(ratio_key.format(p=prefix)), 3) if ratio_key else "")
        return cells

    def both(key: str, digits: int = 1) -> list[str]:
        """A figure without a fraction, for SQLite then PostgreSQL: four cells."""
        return [_fmt(r.get(key.format(p="")), digits), "",
                _fmt(r.get(key.format(p="_pg")), digits), ""]

    def text_pair(render: Any) -> list[str]:
        return [render(""), "", render("_pg"), ""]

    def seal(prefix: str) -> str:
        if r.get(f"seal{prefix}_note"):
            return "— (no sealed_at)"
        if r.get(f"seal{prefix}_delay_max_ms") is None and r.get(
                f"seal{prefix}_unsealed_rows") is None:
            return "—"
        return (f"{_fmt(r.get(f'seal{prefix}_delay_max_ms'), 1)} "
                f"({_fmt(r.get(f'seal{prefix}_unsealed_rows'))} unsealed)")

    def cpu(key: str) -> list[str]:
        cells = []
        for backend in ("sqlite", "postgresql"):
            c = r["cpu_cores"].get(f"{key}_{backend}")
            if c:
                db = f"/{c['database']:.2f}" if c.get("database") is not None else ""
                cells.append(f"{c['server']:.2f}/{c['loadgen']:.2f}{db}")
            else:
                cells.append("—")
            cells.append("")
        return cells

    def ms(prefix: str, *keys: str) -> str:
        return " / ".join(_fmt(r.get(k.format(p=prefix)), 1) for k in keys)

    runs = max(len(r.get("floor_runs") or []), len(r.get("floor_pg_runs") or []))
    rows: list[tuple[str, ...]] = [
        ("figure", "SQLite", "÷ floor", "PostgreSQL", "÷ floor", "target"),
        (f"floor: plain FastAPI, one sync route/s (median of {runs})",
         *[cell for p in ("", "_pg") for cell in (
             _fmt(r.get(f"floor{p}_per_s")), "1" if r.get(f"floor{p}_per_s") else "")], ""),
        ("bare route/s (the app's stack, no database)",
         *pair("bare{p}_per_s", ratio_key="bare{p}_vs_floor"), "≥ 0.6 × floor"),
        ("signatures/s", *pair("sign{p}_per_s", ratio_key="sign{p}_vs_floor"),
         "≥ 0.10 × floor"),
        ("  signing p50 / p99 ms", *text_pair(lambda p: ms(p, "sign{p}_p50_ms",
                                                           "sign{p}_p99_ms")), "p99 ≤ 100"),
        ("  longest wait to be sealed, ms", *text_pair(seal), "≤ 1,000, 0 unsealed"),
        ("signatures/s spread over 50 petitions",
         *pair("sign{p}_spread_per_s", ratio_key="sign{p}_spread_vs_floor"), ""),
        ("  spread p99 ms", *both("sign{p}_spread_p99_ms"), ""),
        ("ballots/s", *pair("ballot{p}_per_s", ratio_key="ballot{p}_vs_floor"),
         "≥ 0.08 × floor"),
        ("  ballot p50 / p99 ms", *text_pair(lambda p: ms(p, "ballot{p}_p50_ms",
                                                          "ballot{p}_p99_ms")), ""),
        ("page views/s, anonymous, 10 signatures",
         *pair("page{p}_per_s_10", ratio_key="page_anon{p}_vs_floor"), "≥ 0.5 × floor"),
        (f"page views/s, anonymous, {big_label} signatures",
         *pair("page{p}_per_s_1m", ratio_key="page_anon{p}_1m_vs_floor"), ""),
        ("page views/s, logged-in signer, 10 signatures",
         *pair("page_user{p}_per_s", ratio_key="page_user{p}_vs_floor"), "≥ 0.1 × floor"),
        ("  page p99 ms, 10 / big / logged in", *text_pair(lambda p: ms(
            p, "page{p}_p99_ms_10", "page{p}_p99_ms_1m", "page_user{p}_p99_ms")), ""),
        ("  page time big / 10", *both("page{p}_time_ratio_1m_vs_10", 3), "≤ 1.2"),
        (f"signatures/s, burst of {r['config'].get('burst_connections', 128)} signers",
         *pair("sign{p}_burst_per_s", ratio_key="sign{p}_burst_vs_floor"), "no deadlock"),
        ("  burst deadlocked", *text_pair(lambda p: {True: "YES", False: "no", None: "—"}[
            r.get(f"sign{p}_burst_deadlocked")]), ""),
        ("dashboard ms, 1,500 communities", *both("dashboard{p}_ms"), "≤ 200"),
        ("equal shares × faster than pabutools", _fmt(r["mes_speedup_vs_pabutools"], 1), "",
         f"same winners: {_fmt(r['mes_identical_winners'])}", "", "≥ 100"),
        ("acknowledged writes missing / doubled",
         f"{_fmt(r['lost_writes'])} / {_fmt(r['doubled_writes'])}", "", "", "", "0 / 0"),
        ("counters exact", _fmt(r["counters_exact"]), "", "", "", "yes"),
        ("CPU cores server/loadgen[/db], floor", *cpu("floor"), ""),
        ("CPU cores server/loadgen[/db], bare", *cpu("bare"), ""),
        ("CPU cores server/loadgen[/db], page 10", *cpu("page_10"), ""),
        ("CPU cores server/loadgen[/db], logged in", *cpu("page_user"), ""),
        ("CPU cores server/loadgen[/db], signing", *cpu("sign"), ""),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    missed = [t for t in r["targets"] if t["met"] is False]
    unknown = [t for t in r["targets"] if t["met"] is None]
    lines.append("")
    lines.append(f"{r['config']['workers']} uvicorn workers for the app and the floor alike, "
                 f"{r['config']['connections']} connections, rate limits disabled for the "
                 f"load; signing {r['config']['durations']['sign']:.0f} s per database. "
                 "÷ floor: the throughput over the floor of the same database's run.")
    for prefix, name in (("", "SQLite"), ("_pg", "PostgreSQL")):
        if r.get(f"seal{prefix}_note"):
            lines.append(f"Sealing delay ({name}): null, {r[f'seal{prefix}_note']}.")
    if missed:
        lines.append("Targets missed: " + "; ".join(
            f"{t['label']} = {_fmt(t['value'], 3 if 'floor' in t['label'] else 1)} "
            f"(target {t['target']})" for t in missed))
    if unknown:
        lines.append("Targets not measured: " + ", ".join(t["label"] for t in unknown))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="short runs (about 3 minutes in all) to check that it works")
    parser.add_argument("--only", default=",".join(BACKENDS),
                        help="databases to run, comma-separated (sqlite,postgresql)")
    parser.add_argument("--skip", default="",
                        help="steps to leave out, comma-separated: bare,page,sign,spread,"
                             "ballot,burst,dashboard,mes")
    parser.add_argument("--sign-seconds", type=float)
    parser.add_argument("--ballot-seconds", type=float)
    parser.add_argument("--page-seconds", type=float)
    parser.add_argument("--bare-seconds", type=float)
    parser.add_argument("--warmup", type=float)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument("--users", type=int, default=20_000,
                        help="accounts with API tokens (each signs every signing petition once)")
    parser.add_argument("--big", type=int, default=1_000_000,
                        help="signatures on the big petition")
    parser.add_argument("--burst-connections", type=int, default=128,
                        help="concurrent signers of the burst (the last step per database)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the server while signing (py-spy)")
    parser.add_argument("--profile-seconds", type=float, default=15.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.only = [b for b in args.only.split(",") if b]
    args.skip = [s for s in args.skip.split(",") if s]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    times = durations(args)
    started = time.perf_counter()
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
        "machine": machine(),
        "command": " ".join(["python bench/run.py", *(argv if argv is not None
                                                      else sys.argv[1:])]),
        "config": {"workers": args.workers, "workers_reason": WORKERS_REASON,
                   "connections": args.connections, "durations": times, "quick": args.quick,
                   "accounts": args.users, "big_petition_signatures": args.big,
                   "burst_connections": args.burst_connections,
                   "rate_limits": "disabled (HROMADA_RATE_LIMITS_ENABLED=false) for all load",
                   "server": "uvicorn bench.server:create_bench_app --factory (app.main."
                             "create_app() + GET /bench/bare), HROMADA_ENVIRONMENT=production, "
                             "no access log",
                   "server_command": " ".join(server_command(BENCH_APP, 0, args.workers)[1:]),
                   "floor": "uvicorn bench.server:create_floor_app --factory (a plain FastAPI "
                            "app, one sync route GET / answering \"ok\"): the same command "
                            "(bench.server.server_command) and workers as the app, the same "
                            "load generator, connections and duration as the bare route, "
                            "measured three times per database; the median counts",
                   "loadgen": "python -m bench.loadgen: asyncio (uvloop) HTTP/1.1 keep-alive, "
                              "closed loop, one process"},
    }
    log(f"Hromada benchmarks ({'quick' if args.quick else 'full'}): "
        f"{', '.join(args.only)}; {times}")
    errors: list[str] = []
    per_backend: dict[str, dict[str, Any]] = {}
    with workdir() as work:
        for backend in args.only:
            log(f"{backend}:")
            try:
                per_backend[backend] = run_backend(backend, work, args, times, errors)
            except Exception as exc:
                errors.append(f"{backend}: {exc}")
                per_backend[backend] = {"error": str(exc),
                                        "traceback": traceback.format_exc()[-3000:]}
                log(f"{backend} FAILED: {exc}\n{traceback.format_exc()}")
    dashboard: dict[str, Any] = {}
    mes: dict[str, Any] = {}
    if "dashboard" not in args.skip:
        log("dashboard ...")
        dashboard = external("bench_dashboard.py", args.quick, "postgresql" in args.only)
        if "error" in dashboard:
            errors.append(f"dashboard: {dashboard['error'][:300]}")
    if "mes" not in args.skip:
        log("equal shares vs pabutools ...")
        mes = external("bench_mes.py", args.quick, False)
        if "error" in mes:
            errors.append(f"mes: {mes['error'][:300]}")
    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["errors"] = errors
    results = compose(per_backend, dashboard, mes, meta)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\nWritten to {shown} in {meta['seconds']:.0f} s.")
    if errors:
        print("Errors:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
