"""The floor: a plain FastAPI app with one sync route answering "ok", served like the app.

The floor server is started beside the bench app by the same command (bench/server.py
`server_command`) with the same number of workers, and driven by the same load generator with
the same connections and duration as the bare route. It has no middleware, no dependencies
and no database: the least a request can cost with this ASGI server, these workers and FastAPI
on this machine at this moment (so the most requests per second). Every throughput is also
reported as a fraction of it (`…_vs_floor`), which keeps the figures comparable across
machines and across ASGI servers.

    python -m bench.bench_floor [--seconds 20] [--json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

from bench.harness import Stage, figure, standalone
from bench.server import FLOOR_PATH


def run(stage: Stage, seconds: float = 15.0, warmup: float = 2.0,
        connections: int | None = None) -> dict[str, Any]:
    if stage.floor is None:
        raise RuntimeError("this stage has no floor server")
    report = stage.load(stage.plan([FLOOR_PATH], seconds=seconds, warmup=warmup,
                                   connections=connections, server=stage.floor))
    return figure(report)


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The floor of several runs: the median throughput and latencies, the CPU of the run
    nearest the median, and every run in `runs`."""
    good = [r for r in runs if r.get("per_s")]
    out: dict[str, Any] = {"runs": runs, "measured": len(good)}
    if not good:
        out["error"] = "no floor run succeeded"
        return out
    for key in ("per_s", "p50_ms", "p99_ms"):
        values = [r[key] for r in good if r.get(key) is not None]
        out[key] = round(statistics.median(values), 2) if values else None
    nearest = min(good, key=lambda r: abs(r["per_s"] - out["per_s"]))
    out["cpu_cores"] = nearest.get("cpu_cores")
    out["cpu_ms_per_request"] = nearest.get("cpu_ms_per_request")
    return out


def _main(stage: Stage, args: argparse.Namespace) -> dict[str, Any]:
    return {"floor": run(stage, args.seconds, args.warmup)}


if __name__ == "__main__":
    sys.exit(standalone(__doc__.split("\n\n")[0], _main, users=100, sign_petitions=1,
                        big_signatures=0))
