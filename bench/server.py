"""Start and stop the application under uvicorn for a benchmark, and read its CPU use.

Two apps are served, by the same command (`server_command`, the only place that names the ASGI
server and its options) with the same number of workers:

* the bench app: the production application (`app.main.create_app()`) with one extra route,
  `GET /bench/bare`, added here by an app factory so the production app has no bench route.
  The bare route goes through the same middleware, global dependencies and route class as
  every other route but touches no database: it is the ceiling of the stack on this machine.
* the floor: a plain FastAPI app with one sync route, `GET /`, answering "ok": no middleware,
  no dependencies, no database. What this server program and these workers can do at best
  with FastAPI on this machine, at this moment: every throughput is also reported as a
  fraction of it, so that the figures compare across machines and across ASGI servers.

Both factories also have `GET /bench/whoami` (the worker's pid), which the harness uses to wait
until every worker is up and the load generator to spread its connections over the workers;
it is never under load, and in the floor app it comes after the floor route, so a floor
request never reaches it.

CPU is read from /proc/<pid>/stat (utime + stime) for the uvicorn master and all its
descendants (the workers), so no third-party package is needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
BARE_PATH = "/bench/bare"
FLOOR_PATH = "/"
WHOAMI_PATH = "/bench/whoami"  # which worker answered: to wait until every worker is up
HEALTH_PATH = "/healthz"
BENCH_APP = "bench.server:create_bench_app"
FLOOR_APP = "bench.server:create_floor_app"


def _add_whoami(app: Any) -> None:
    @app.get(WHOAMI_PATH, include_in_schema=False)
    async def whoami() -> dict[str, Any]:
        return {"pid": os.getpid()}


def create_bench_app():
    """uvicorn factory: the production app plus the bare route (used only by bench/)."""
    from app.main import create_app

    app = create_app()

    @app.get(BARE_PATH, include_in_schema=False)
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    _add_whoami(app)
    return app


def create_floor_app():
    """uvicorn factory: the floor, a plain FastAPI app with one sync route."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get(FLOOR_PATH)
    def floor():  # no return annotation: FastAPI would add a response model to validate
        return "ok"

    _add_whoami(app)  # after the floor route, so a floor request never tries it
    return app


# -- /proc ----------------------------------------------------------------------------------

def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may contain spaces.
    return raw[raw.rindex(")") + 2:].split()


def cpu_seconds(pids: Iterable[int], children: bool = False) -> float:
    """utime + stime of the processes (plus their reaped children's, if asked), in seconds."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        ticks += int(fields[11]) + int(fields[12])
        if children:
            ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def _all_processes() -> list[tuple[int, int, str]]:
    """(pid, ppid, comm) of every process we can see."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        ppid = int(raw[raw.rindex(")") + 2:].split()[1])
        out.append((pid, ppid, comm))
    return out


def process_tree(root: int) -> list[int]:
    """The process and all its descendants."""
    procs = _all_processes()
    children: dict[int, list[int]] = {}
    for pid, ppid, _ in procs:
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def postgres_pids(database: str | None = None) -> list[int]:
    """PostgreSQL server processes: with `database`, the backends serving that database and
    the shared background processes (WAL writer, checkpointer...), not other databases'
    backends (on a shared machine those are someone else's load)."""
    pids = []
    for pid, _, comm in _all_processes():
        if not comm.startswith("postgres"):
            continue
        if database is not None:
            title = _cmdline(pid)
            # Backend titles read "postgres: 15/main: user dbname host(port) state".
            serving_client = "(" in title or "[local]" in title
            if serving_client and f" {database} " not in title:
                continue
        pids.append(pid)
    return pids


def database_cpu_seconds(database: str | None = None) -> float:
    """CPU seconds used so far by the PostgreSQL processes working for `database`."""
    return cpu_seconds(postgres_pids(database))


# -- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, port: int, *, rate_limits: bool = False,
               redis_url: str | None = None, extra: dict[str, str] | None = None
               ) -> dict[str, str]:
    """The environment of a benchmark server: production mode, rate limits off by default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HROMADA_")}
    mail_dir = Path(tempfile.gettempdir()) / "hromada-bench-outbox"
    env.update({
        "HROMADA_ENVIRONMENT": "production",
        "HROMADA_SECRET_KEY": secrets.token_hex(32),
        "HROMADA_DATABASE_URL": database_url,
        "HROMADA_BASE_URL": f"http://127.0.0.1:{port}",
        "HROMADA_RATE_LIMITS_ENABLED": "true" if rate_limits else "false",
        "HROMADA_WORKER_IN_PROCESS": "false",
        "HROMADA_MAIL_BACKEND": "file",
        "HROMADA_MAIL_DIR": str(mail_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if redis_url:
        env["HROMADA_REDIS_URL"] = redis_url
    env.update(extra or {})
    return env


@dataclass
class Server:
    """A running uvicorn serving the bench app; use `start_server` to make one."""

    process: subprocess.Popen
    port: int
    workers: int
    log_path: Path
    env: dict[str, str] = field(repr=False, default_factory=dict)
    app: str = BENCH_APP
    health_path: str | None = HEALTH_PATH  # None: the worker check alone says it is up
    sealer: subprocess.Popen | None = None  # `hromada audit seal --follow`, as the worker runs

    def _processes(self) -> list[subprocess.Popen]:
        return [p for p in (self.process, self.sealer) if p is not None]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return [pid for p in self._processes() for pid in process_tree(p.pid)]

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        healthy, seen = self.health_path is None, set()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                if not healthy:
                    with urllib.request.urlopen(f"{self.base_url}{self.health_path}",
                                                timeout=5) as resp:
                        healthy = resp.status == 200
                if healthy:
                    # Every worker accepts on the shared socket once it is up: wait until
                    # each one has answered on a fresh connection.
                    with urllib.request.urlopen(f"{self.base_url}{WHOAMI_PATH}",
                                                timeout=5) as resp:
                        seen.add(json.loads(resp.read())["pid"])
                    if len(seen) >= self.workers:
                        return
                    continue
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.app} did not answer on all {self.workers} workers in "
                           f"{timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        for process in self._processes():
            if process.poll() is not None:
                continue
            # Each runs in its own process group (start_new_session), which we started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def server_command(app: str, port: int, workers: int) -> list[str]:
    """The one command that serves a bench app factory (the bench app and the floor alike).

    It should serve the way production does (`hromada serve`, the Dockerfile): when those
    change ASGI server or options, change them here, and both apps follow.
    """
    return [sys.executable, "-m", "uvicorn", app, "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "5"]


def start_server(database_url: str, *, workers: int = 2, port: int | None = None,
                 rate_limits: bool = False, redis_url: str | None = None,
                 extra_env: dict[str, str] | None = None, log_dir: Path | None = None,
                 wait: bool = True, app: str = BENCH_APP) -> Server:
    """Serve `app` (BENCH_APP, or FLOOR_APP for the floor) with `workers` processes."""
    port = port or free_port()
    env = server_env(database_url, port, rate_limits=rate_limits, redis_url=redis_url,
                     extra=extra_env)
    log_dir = log_dir or Path(tempfile.gettempdir())
    log_path = log_dir / f"hromada-bench-server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(server_command(app, port, workers), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        sealer = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "audit", "seal", "--follow"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ) if app == BENCH_APP else None
    server = Server(process=process, port=port, workers=workers, log_path=log_path, env=env,
                    app=app, health_path=HEALTH_PATH if app == BENCH_APP else None,
                    sealer=sealer)
    if wait:
        try:
            server.wait_healthy()
        except BaseException:
            server.stop()
            raise
    return server


@contextlib.contextmanager
def running(database_url: str, **kwargs) -> Iterator[Server]:
    server = start_server(database_url, **kwargs)
    try:
        yield server
    finally:
        server.stop()
