"""The sealer: chains the committed audit entries, off the request path.

One sealer is at work at a time (`service.seal` takes a lock), so starting two by mistake only
makes one wait. It runs in `hromada worker` (a thread beside the worker's cycle), in the web
process under `make run` (HROMADA_WORKER_IN_PROCESS), and alone as `hromada audit seal
--follow`. A sealer that dies loses nothing: the entries stay unsealed in the table, and the
next one starts from the chain's head.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine

from app.audit import service
from app.db import get_engine, transaction
from app.settings import get_settings

log = logging.getLogger("hromada.audit")


def seal_pending(engine: Engine | None = None) -> int:
    """Seal everything committed so far (in batches, each its own transaction)."""
    engine = engine or get_engine()
    total = 0
    while True:
        with transaction(engine) as session:
            sealed = service.seal(session)
        total += sealed
        if sealed < service.SEAL_BATCH:
            return total


def run(stop: threading.Event, engine: Engine | None = None) -> None:
    """Seal every interval until `stop` is set."""
    interval = get_settings().audit_seal_interval_seconds
    while not stop.is_set():
        started = time.monotonic()
        try:
            seal_pending(engine)
        except Exception:  # the next round tries again; nothing is lost meanwhile
            log.exception("sealing the audit log failed")
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def start(engine: Engine | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run the sealer in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(stop, engine), name="audit-sealer",
                              daemon=True)
    thread.start()
    return thread, stop
