"""The background worker: delivers the outbox and runs the modules' periodic tasks.

`hromada worker` runs it as its own process; `make run` runs it inside the web process.
"""

from __future__ import annotations

import asyncio
import logging
import time

from app.audit import sealer
from app.db import get_engine, transaction
from app.notifications import service as notifications
from app.settings import get_settings

log = logging.getLogger("hromada.worker")


def run_once() -> int:
    """One cycle: periodic tasks of every module (each in its transaction), then delivery."""
    from app.main import register_modules

    engine = get_engine()
    for module in register_modules():
        for task in module.periodic:
            try:
                with transaction(engine) as session:
                    task(session)
            except Exception:  # one failing task must not stop delivery
                log.exception("periodic task %s of %s failed", task.__name__, module.name)
    __import__("app.accountability.digest", fromlist=["run"]).run(engine)  # digest, tallies
    __import__("app.deliberation.digests", fromlist=["run"]).run(engine)  # residents' digests
    return notifications.deliver_due(engine)


def run_loop(stop_after: float | None = None) -> None:
    """The worker's cycle, with the audit sealer beside it in a thread of its own."""
    interval = get_settings().worker_interval_seconds
    started = time.monotonic()
    _, stop_sealer = sealer.start()
    try:
        while stop_after is None or time.monotonic() - started < stop_after:
            try:
                run_once()
            except Exception:
                log.exception("worker cycle failed")
            time.sleep(interval)
    finally:
        stop_sealer.set()


async def run_forever() -> None:
    """The worker inside the web process (`make run`), with the sealer beside it."""
    interval = get_settings().worker_interval_seconds
    _, stop_sealer = sealer.start()
    try:
        while True:
            try:
                await asyncio.to_thread(run_once)
            except Exception:
                log.exception("worker cycle failed")
            await asyncio.sleep(interval)
    finally:
        stop_sealer.set()
