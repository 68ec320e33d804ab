"""The public petition page, GET /petitions/{id}, with 10 and with 1,000,000 signatures.

Both petitions live in the same database (so the signature table is equally large for both);
the page reads the counter columns, never COUNT(*), so its time must not grow with the number
of signatures. Visitors are anonymous (no cookies), as most readers of a shared link are.

Then the petition with 10 signatures again, for logged-in residents who signed it (`user`):
browsers with a session cookie made by the identity service (bench/data.py start_sessions),
the requests spread over those sessions. The page resolves the session, looks up the
resident's signature and shows the withdraw form instead of the signing form.

    python -m bench.bench_page [--big 1000000] [--seconds 20] [--db sqlite|postgresql] [--json]
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from typing import Any

from bench.harness import Stage, figure, standalone


def probe(stage: Stage, path: str, count: int, cookie: str | None = None) -> dict[str, Any]:
    """One request before the load: the page answers 200 and shows the count (and, with a
    session cookie, that the resident is logged in and has signed)."""
    request = urllib.request.Request(f"{stage.server.base_url}{path}",
                                     headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode("utf-8", errors="replace")
        status = response.status
    shown = any(form in body for form in (f"{count:,}".replace(",", "\u202f"),
                                          f"{count:,}".replace(",", " "), str(count)))
    out = {"status": status, "bytes": len(body.encode()), "count_shown": shown}
    if cookie:
        out["logged_in"] = 'action="/logout"' in body
        out["shows_signed"] = f'action="{path}/withdraw"' in body
    return out


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
    cookies = pop.session_cookies
    if cookies:
        path = f"/petitions/{pop.small_petition}"
        check = probe(stage, path, pop.small_signatures, cookies[0])
        if check["status"] != 200 or not check["logged_in"]:
            raise RuntimeError(f"{path} with a session cookie answered {check['status']}, "
                               f"logged in: {check['logged_in']}")
        report = stage.load(stage.plan([path], seconds=seconds, warmup=warmup,
                                       connections=connections, cookies=cookies))
        out["user"] = {**figure(report), "signatures": pop.small_signatures, "path": path,
                       "sessions": len(cookies), **check}
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
