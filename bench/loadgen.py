"""The load generator: a separate process driving HTTP/1.1 keep-alive connections.

    python -m bench.loadgen PLAN.json OUT.json

A plan (JSON) names the server, the number of connections, the warm-up and measured durations
and the requests: request number i goes to ``paths[t]`` with the token ``tokens[u]``, where
``u = i % len(tokens)`` and ``t = i // len(tokens)`` (so every account acts once per target, and
all connections work on the same target at a time: the hot-petition case; with ``spread``,
``t = i % len(paths)`` and ``u = i // len(paths)``: consecutive requests go to different
targets). Without tokens,
request i goes to ``paths[i % len(paths)]``. ``bodies[i % len(bodies)]`` is the JSON body
(or ``target_bodies[t][i % ...]``: bodies that depend on the target), and
``cookies[i % len(cookies)]`` the Cookie header (logged-in browsers).

It is a closed loop: each connection sends its next request when the previous answer has been
read completely. Latency is measured from the first byte written to the last byte read.
Figures count the requests that *completed* inside the measured window (after the warm-up).

The client is a minimal HTTP/1.1 implementation on asyncio streams (uvloop when installed)
rather than httpx: on a 2-core machine the load generator shares the CPU with the server, and
httpx costs several times more CPU per request. Its own CPU use (getrusage) is reported next to
the server's (/proc/<pid>/stat of the uvicorn master and workers) and PostgreSQL's, all measured
over the same window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Plan:
    host: str
    port: int
    paths: list[str]
    method: str = "GET"
    connections: int = 32
    warmup: float = 3.0
    duration: float = 10.0
    max_requests: int | None = None
    first_index: int = 0  # start the numbering here (to continue after an earlier run)
    spread: bool = False  # with tokens: t = i % len(paths), u = i // len(paths) instead
    tokens_file: str | None = None
    bodies: list[Any] | None = None
    target_bodies: list[list[Any]] | None = None  # per path: request i uses [t][i % len]
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] | None = None  # Cookie header values: request i carries [i % len]
    record_acks: bool = False
    server_pid: int | None = None
    watch_postgres: bool = False
    database: str | None = None  # PostgreSQL database whose backends count as "database"
    timeout: float = 30.0
    # Spread the connections evenly over the server's worker processes: the workers share
    # one listening socket, and one of them may accept most of a burst of new connections,
    # leaving a core idle for the whole (keep-alive) run. Each new connection asks
    # `balance_path` which worker answered (JSON {"pid": ...}) and is replaced while that
    # worker already has its share.
    balance_path: str | None = None
    workers: int = 1

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        return cls(**json.loads(Path(path).read_text()))


class HttpError(Exception):
    pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """(status, keep-alive, body) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise HttpError(f"bad status line {lines[0][:80]!r}")
    status = int(parts[1])
    length, chunked, keep_alive = None, False, True
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            keep_alive = False
    if chunked:
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size + 2)
            del body[-2:]
        return status, keep_alive, bytes(body)
    if length is None:
        if keep_alive:
            return status, keep_alive, b""
        return status, False, await reader.read()
    return status, keep_alive, await reader.readexactly(length) if length else b""


class Run:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.tokens: list[bytes] = []
        if plan.tokens_file:
            self.tokens = [f"Authorization: Bearer {line.strip()}\r\n".encode()
                           for line in Path(plan.tokens_file).read_text().splitlines()
                           if line.strip()]
        self.paths = [p.encode() for p in plan.paths]
        self.cookies = [f"Cookie: {c}\r\n".encode() for c in (plan.cookies or [])]
        self.bodies = [json.dumps(b).encode() for b in (plan.bodies or [])]
        self.target_bodies = [[json.dumps(b).encode() for b in bodies]
                              for bodies in (plan.target_bodies or [])]
        limit = len(self.tokens) * len(self.paths) if self.tokens else None
        if plan.max_requests is not None:
            limit = min(limit, plan.max_requests) if limit is not None else plan.max_requests
        self.limit = limit
        self.next_index = plan.first_index
        self.exhausted = False
        self.by_worker: dict[str, int] = {}
        extra = "".join(f"{k}: {v}\r\n" for k, v in plan.headers.items()).encode()
        self.head_common = (f"Host: {plan.host}:{plan.port}\r\n".encode() + extra
                            + b"User-Agent: hromada-bench\r\n")
        # Results, one entry per completed request.
        self.done_at: list[float] = []
        self.latency: list[float] = []
        self.status: list[int] = []
        self.index: list[int] = []
        self.errors: dict[str, int] = {}
        self.samples: dict[str, dict[str, float]] = {}
        self.stop_at = math.inf
        self.all_done = asyncio.Event()
        self.sampler_done = asyncio.Event()

    def build(self, i: int) -> bytes:
        plan = self.plan
        if self.tokens:
            if self.plan.spread:
                t, u = i % len(self.paths), i // len(self.paths)
            else:
                u, t = i % len(self.tokens), i // len(self.tokens)
            auth = self.tokens[u]
        else:
            t, auth = i % len(self.paths), b""
        head = plan.method.encode() + b" " + self.paths[t] + b" HTTP/1.1\r\n" + self.head_common
        if self.cookies:
            head += self.cookies[i % len(self.cookies)]
        bodies = self.target_bodies[t] if self.target_bodies else self.bodies
        if bodies:
            body = bodies[i % len(bodies)]
            return (head + auth + b"Content-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
        return head + auth + b"\r\n"

    def take(self) -> int | None:
        i = self.next_index
        if self.limit is not None and i >= self.limit:
            self.exhausted = True
            return None
        self.next_index = i + 1
        return i

    def _error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new connection; with balancing, one to a worker that has less than its share."""
        share = math.ceil(self.plan.connections / max(1, self.plan.workers))
        for _attempt in range(50):
            reader, writer = await asyncio.open_connection(self.plan.host, self.plan.port)
            if not self.plan.balance_path or self.plan.workers < 2:
                return reader, writer
            writer.write(f"GET {self.plan.balance_path} HTTP/1.1\r\nHost: {self.plan.host}"
                         f"\r\n\r\n".encode())
            async with asyncio.timeout(self.plan.timeout):
                _, keep_alive, body = await read_response(reader)
            pid = str(json.loads(body).get("pid"))
            if keep_alive and self.by_worker.get(pid, 0) < share:
                self.by_worker[pid] = self.by_worker.get(pid, 0) + 1
                return reader, writer
            writer.close()
            await asyncio.sleep(0.01)
        return await asyncio.open_connection(self.plan.host, self.plan.port)

    async def connection(self) -> None:
        reader = writer = None
        try:
            while time.perf_counter() < self.stop_at:
                if writer is None:
                    try:
                        reader, writer = await self._open()
                    except (OSError, HttpError, TimeoutError, ValueError,
                            asyncio.IncompleteReadError):
                        self._error("connect")
                        await asyncio.sleep(0.05)
                        continue
                i = self.take()
                if i is None:
                    break
                request = self.build(i)
                started = time.perf_counter()
                try:
                    writer.write(request)
                    async with asyncio.timeout(self.plan.timeout):
                        status, keep_alive, _ = await read_response(reader)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        HttpError, TimeoutError, ValueError) as exc:
                    # The answer never came: not acknowledged (it may or may not have
                    # committed; the integrity check reports such rows separately).
                    self._error(type(exc).__name__)
                    writer.close()
                    reader = writer = None
                    continue
                finished = time.perf_counter()
                self.done_at.append(finished)
                self.latency.append(finished - started)
                self.status.append(status)
                self.index.append(i)
                if not keep_alive:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    def sample(self, name: str) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        point = {"t": time.perf_counter(),
                 "loadgen_cpu": usage.ru_utime + usage.ru_stime,
                 "machine_busy": machine_busy_seconds()}
        if self.plan.server_pid:
            from bench.server import cpu_seconds, process_tree

            pids = process_tree(self.plan.server_pid)
            point["server_cpu"] = cpu_seconds(pids)
            for pid in pids:
                point[f"pid:{pid}"] = cpu_seconds([pid])
        if self.plan.watch_postgres:
            from bench.server import database_cpu_seconds

            point["database_cpu"] = database_cpu_seconds(self.plan.database)
        self.samples[name] = point

    async def sampler(self, start: float, end: float) -> None:
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        self.sample("start")
        remaining = end - time.perf_counter()
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_done.wait(), remaining)
        self.sample("end")

    async def run(self) -> dict[str, Any]:
        began = time.perf_counter()
        window_start = began + self.plan.warmup
        self.stop_at = window_start + self.plan.duration
        sampler = asyncio.create_task(self.sampler(window_start, self.stop_at))
        workers = [asyncio.create_task(self.connection()) for _ in range(self.plan.connections)]
        await asyncio.gather(*workers)
        self.all_done.set()
        await sampler
        return self.report(window_start)

    def report(self, window_start: float) -> dict[str, Any]:
        start, end = self.samples["start"], self.samples["end"]
        window_end = end["t"]
        seconds = max(window_end - start["t"], 1e-9)
        inside = [k for k, t in enumerate(self.done_at) if start["t"] <= t <= window_end]
        ok_inside = [k for k in inside if 200 <= self.status[k] < 300]
        latencies = sorted(self.latency[k] for k in inside)
        ok_latencies = sorted(self.latency[k] for k in ok_inside)
        statuses: dict[str, int] = {}
        for code in self.status:
            statuses[str(code)] = statuses.get(str(code), 0) + 1
        statuses_window: dict[str, int] = {}
        for k in inside:
            key = str(self.status[k])
            statuses_window[key] = statuses_window.get(key, 0) + 1
        per_second = [0] * max(1, math.ceil(seconds - 1e-6))
        for k in ok_inside:
            per_second[min(len(per_second) - 1, int(self.done_at[k] - start["t"]))] += 1

        def cores(key: str) -> float | None:
            if key not in start:
                return None
            return round((end[key] - start[key]) / seconds, 3)

        def ms_per_request(key: str) -> float | None:
            if key not in start or not inside:
                return None
            return round((end[key] - start[key]) * 1000 / len(inside), 3)

        ours = sum((end[k] - start[k]) for k in ("server_cpu", "loadgen_cpu", "database_cpu")
                   if k in start)
        other = round(max(0.0, (end["machine_busy"] - start["machine_busy"]) - ours) / seconds,
                      3)
        result: dict[str, Any] = {
            "window_s": round(seconds, 3),
            "connections": self.plan.connections,
            "requests": len(self.status),
            "requests_in_window": len(inside),
            "ok_in_window": len(ok_inside),
            "ok_per_s": round(len(ok_inside) / seconds, 1),
            "requests_per_s": round(len(inside) / seconds, 1),
            "ok_per_s_median_1s": _median(per_second[:-1] or per_second),
            "p50_ms": _ms(_pct(latencies, 0.50)),
            "p90_ms": _ms(_pct(latencies, 0.90)),
            "p99_ms": _ms(_pct(latencies, 0.99)),
            "max_ms": _ms(latencies[-1] if latencies else None),
            "ok_p50_ms": _ms(_pct(ok_latencies, 0.50)),
            "ok_p99_ms": _ms(_pct(ok_latencies, 0.99)),
            "statuses": statuses,
            "statuses_in_window": statuses_window,
            "errors": self.errors,
            "exhausted": self.exhausted,
            "cpu_cores": {"server": cores("server_cpu"), "loadgen": cores("loadgen_cpu"),
                          "database": cores("database_cpu"),
                          # Busy CPU of everything else on the machine: interference.
                          "other": other},
            "connections_by_worker": dict(self.by_worker),
            "server_cpu_cores_by_process": {key[4:]: cores(key) for key in start
                                             if key.startswith("pid:") and key in end},
            "cpu_ms_per_request": {"server": ms_per_request("server_cpu"),
                                   "loadgen": ms_per_request("loadgen_cpu"),
                                   "database": ms_per_request("database_cpu")},
        }
        result["issued"] = self.next_index  # the next unused request number
        if self.plan.record_acks:
            result["acked"] = sorted(self.index[k] for k in range(len(self.status))
                                     if 200 <= self.status[k] < 300)
        return result


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core): /proc/stat."""
    import os

    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return 0.0
    return float(ordered[n // 2]) if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def run_load(plan: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run a plan in a separate load-generator process and return its report."""
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parent.parent
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=workdir, delete=False) as f:
        json.dump(plan, f)
        plan_path = Path(f.name)
    out_path = plan_path.with_suffix(".out.json")
    budget = plan.get("warmup", 3.0) + plan.get("duration", 10.0) + 120
    completed = subprocess.run([sys.executable, "-m", "bench.loadgen", str(plan_path),
                                str(out_path)], cwd=root, timeout=budget,
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"the load generator failed ({completed.returncode}):\n"
                           f"{completed.stderr[-3000:]}")
    result = json.loads(out_path.read_text())
    plan_path.unlink(missing_ok=True)
    out_path.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    plan = Plan.load(args[0])
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        uvloop = None
    started = time.time()
    runner = uvloop.run if uvloop is not None else asyncio.run
    result = runner(Run(plan).run())
    result["started_at"] = started
    Path(args[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
