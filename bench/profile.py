"""Where the server's time goes under load: py-spy samples the uvicorn workers.

    .venv/bin/python bench/run.py --profile        (profiles signing and the page per database)

py-spy (pip install py-spy; run.py installs it when asked to profile) records the workers'
stacks while the load generator drives them, without instrumenting the code. The collapsed
stacks are kept under var/ (feed them to speedscope or flamegraph.pl); the summary attributes
each sample to the package of its innermost frame (sqlalchemy, jinja2, the app...) and lists
the hottest functions, both by own time and including what they call.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Stage

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
PACKAGES = ("sqlalchemy", "sqlmodel", "psycopg", "jinja2", "jinja2_fragments", "pydantic",
            "pydantic_core", "fastapi", "starlette", "uvicorn", "anyio", "httptools", "uvloop",
            "babel", "itsdangerous", "markdown_it")


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if Path(found).exists():
        return found
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"],
                          capture_output=True, text=True)
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if done.returncode == 0 and candidate.exists() else None


def area(path: str) -> str:
    """The package (or project area) a source file belongs to."""
    if "/site-packages/" in path:
        top = path.split("/site-packages/", 1)[1].split("/", 1)[0]
        top = top.removesuffix(".py")
        return top if top in PACKAGES else f"other: {top}"
    for part in ("app", "petitions", "budget", "consultations", "bench"):
        if f"{ROOT}/{part}/" in path:
            return f"hromada: {part}"
    if path.startswith("<") or "/lib/python3" in path:
        name = Path(path).stem
        return f"python: {name}" if name in {"threading", "asyncio", "selectors", "queue",
                                              "json", "hashlib", "hmac"} else "python stdlib"
    return "other"


# Innermost frames where a thread waits rather than works (py-spy cannot always tell).
IDLE = {"Condition.wait", "Queue.get", "Runner.run", "Connection._recv", "Connection.poll",
        "select", "poll", "sleep", "Event.wait", "wait", "_wait_for_tstate_lock",
        "Thread.join", "BaseEventLoop.run_forever", "Server.serve", "Server.main_loop"}


# SQLAlchemy frames that are calls into the database driver (sqlite3 runs SQL in them).
DRIVER_CALLS = {"DefaultDialect.do_execute", "DefaultDialect.do_executemany",
                "DefaultDialect.do_commit", "DefaultDialect.do_rollback", "DefaultDialect.connect",
                "CursorFetchStrategy.fetchall", "CursorFetchStrategy.fetchone",
                "CursorFetchStrategy.fetchmany"}


def summarise(collapsed: str, top: int = 25) -> dict[str, Any]:
    """Busy samples by area and function. Waiting threads are counted apart: idle (a worker
    thread or event loop with nothing to do) and SQLite's write lock (BEGIN IMMEDIATE waiting
    in the busy handler for another writer)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        names = []
        for frame in frames:
            m = FRAME.match(frame.strip())
            names.append((m.group("func"), m.group("file") or "") if m else (frame, ""))
        if not names:
            continue
        func, path = names[-1]
        if func in IDLE or func.startswith("process ") or "spawn_main" in func:
            waiting["idle"] += count
            continue
        if func == "DefaultDialect.do_execute" and any(f == "_configure_sqlite.<locals>._on_begin"
                                                       for f, _ in names):
            waiting["sqlite write lock (BEGIN IMMEDIATE)"] += count
            continue
        if ("psycopg/waiting" in path or func in {"wait_c", "wait_conn"}
                or (func == "Connection.wait" and "psycopg/" in path)):
            waiting["waiting for PostgreSQL"] += count
            continue
        total += count
        label = f"{func} ({_short(path)})"
        own[label] += count
        areas["database driver call (C)" if func in DRIVER_CALLS else area(path)] += count
        for func, path in {(f, p) for f, p in names}:
            inclusive[f"{func} ({_short(path)})"] += count
    if not total:
        return {"busy_samples": 0, "waiting_samples": dict(waiting)}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common(top)]

    return {"busy_samples": total, "waiting_samples": dict(waiting),
            "by_area_percent": share(areas), "own_percent": share(own),
            "inclusive_percent": share(inclusive)}


def _short(path: str) -> str:
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1]
    return path.replace(f"{ROOT}/", "")


def profile_load(stage: Stage, plan: dict[str, Any], seconds: float, label: str
                 ) -> dict[str, Any]:
    """Run `plan` for `seconds` while py-spy samples every worker; summary and file."""
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy is not available (pip install py-spy)"}
    out = ROOT / "var" / f"bench-profile-{label}-{stage.backend}.txt"
    recorder = subprocess.Popen(
        [spy, "record", "--pid", str(stage.server.process.pid), "--subprocesses",
         "--format", "raw", "--rate", "200", "--duration", str(int(seconds)),
         "--full-filenames", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    report = stage.load({**plan, "duration": seconds, "warmup": 0.0})
    try:
        _, err = recorder.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        recorder.terminate()
        _, err = recorder.communicate(timeout=10)
    if recorder.returncode != 0 or not out.exists():
        return {"error": f"py-spy failed ({recorder.returncode}): {err.strip()[-800:]}"}
    summary = summarise(out.read_text())
    return {"file": str(out.relative_to(ROOT)), "per_s_while_profiled": report["ok_per_s"],
            "issued": report.get("issued", 0), **summary}
