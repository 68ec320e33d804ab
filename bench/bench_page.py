"""The public petition page, GET /petitions/{id}, with 10 and with 1,000,000 signatures.

Both petitions live in the same database (so the signature table is equally large for both);
the page reads the counter columns, never COUNT(*), so its time must not grow with the number
of signatures. Visitors are anonymous (no cookies), as most readers of a shared link are.

    python -m bench.bench_page [--big 1000000] [--seconds 20] [--db sqlite|postgresql] [--json]
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from typing import Any

from bench.harness import Stage, figure, standalone


def probe(stage: Stage, path: str, count: int) -> dict[str, Any]:
    """One request before the load: the page answers 200 and shows the count."""
    with urllib.request.urlopen(f"{stage.server.base_url}{path}", timeout=30) as response:
        body = response.read().decode("utf-8", errors="replace")
        status = response.status
    shown = any(form in body for form in (f"{count:,}".replace(",", "\u202f"),
                                          f"{count:,}".replace(",", " "), str(count)))
    return {"status": status, "bytes": len(body.encode()), "count_shown": shown}


def run(stage: Stage, seconds: float = 15.0, warmup: float = 2.0,
        connections: int | None = None) -> dict[str, Any]:
    pop = stage.population
    out: dict[str, Any] = {}
    for label, petition_id, count in (("small", pop.small_petition, pop.small_signatures),
                                      ("big", pop.big_petition, pop.big_signatures)):
        path = f"/petitions/{petition_id}"
        check = probe(stage, path, count)
        if check["status"] != 200:
            raise RuntimeError(f"{path} answered {check['status']}")
        report = stage.load(stage.plan([path], seconds=seconds, warmup=warmup,
                                       connections=connections))
        out[label] = {**figure(report), "signatures": count, "path": path, **check}
    small, big = out["small"], out["big"]
    if small["per_s"] and big["per_s"]:
        # Time per page at saturation is 1 / throughput.
        out["time_ratio_big_vs_small"] = round(small["per_s"] / big["per_s"], 3)
    if small["p50_ms"] and big["p50_ms"]:
        out["p50_ratio_big_vs_small"] = round(big["p50_ms"] / small["p50_ms"], 3)
    server_ms = (small["cpu_ms_per_request"] or {}).get("server"), (
        big["cpu_ms_per_request"] or {}).get("server")
    if all(server_ms):
        out["server_cpu_ratio_big_vs_small"] = round(server_ms[1] / server_ms[0], 3)
    return out


def _main(stage: Stage, args: argparse.Namespace) -> dict[str, Any]:
    return {"page": run(stage, args.seconds, args.warmup)}


if __name__ == "__main__":
    sys.exit(standalone(__doc__.split("\n\n")[0], _main, users=2_000, sign_petitions=1,
                        big_signatures=1_000_000))
