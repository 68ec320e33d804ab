"""The floor: a plain FastAPI app with one sync route answering "ok", on the same server.

The floor server is started beside the bench app by the same command (bench/server.py
`server_command`) with the same number of workers, and driven by the same load generator with
the same connections and duration as the bare route. It has no middleware, no dependencies
and no database: it is what this ASGI server, these workers and FastAPI achieve on this machine
at this moment. Every throughput is also reported as a fraction of it (`…_vs_floor`), which
keeps the figures comparable across machines and across ASGI servers.

    python -m bench.bench_floor [--seconds 20] [--json]
"""

from __future__ import annotations

import argparse
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


def _main(stage: Stage, args: argparse.Namespace) -> dict[str, Any]:
    return {"floor": run(stage, args.seconds, args.warmup)}


if __name__ == "__main__":
    sys.exit(standalone(__doc__.split("\n\n")[0], _main, users=100, sign_petitions=1,
                        big_signatures=0))
