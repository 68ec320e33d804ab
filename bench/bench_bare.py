"""The ceiling of the stack: GET /bench/bare on the same server with the same workers.

The route is added only by the bench app factory (bench/server.py). It passes through the same
middleware (language, CSRF cookie, security headers), global dependencies and transactional
route class as every page, but touches no database and renders nothing: whatever a real
route achieves is a fraction of this.

    python -m bench.bench_bare [--seconds 20] [--db sqlite|postgresql] [--json]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bench.harness import Stage, figure, standalone
from bench.server import BARE_PATH


def run(stage: Stage, seconds: float = 15.0, warmup: float = 2.0,
        connections: int | None = None) -> dict[str, Any]:
    report = stage.load(stage.plan([BARE_PATH], seconds=seconds, warmup=warmup,
                                   connections=connections))
    return figure(report)


def _main(stage: Stage, args: argparse.Namespace) -> dict[str, Any]:
    return {"bare": run(stage, args.seconds, args.warmup)}


if __name__ == "__main__":
    sys.exit(standalone(__doc__.split("\n\n")[0], _main, users=100, sign_petitions=1))
