"""Kill -9 a real server while people sign, withdraw and vote, restart it, check the record.

Used by tests/safety/test_crash.py (one short round per database) and bench/crash_test.py
(many rounds, more people). The server is a real `uvicorn app.asgi:app` process on a free
loopback port, on its own migrated database; requests carry personal API tokens.

After each kill and restart:
- every request answered 2xx is in the database (its commit came before its answer);
- every counter equals the number of its rows (petition.signature_count, public signers;
  budget_cycle.ballot_count, budget_project.vote_count and score);
- nothing is half-written: signature rows match the audit log's signed/withdrawn entries for
  every petition, ballots match the ballot_cast entries, the audit chain verifies once the
  sealer has caught up, and
  (SQLite) the file passes integrity and foreign-key checks.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.settings import ROOT

SECRET = "crash-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m uvicorn app.asgi:app` on 127.0.0.1 and a free port."""

    def __init__(self, database_url: str, workdir: Path):
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"server-{self.port}.log"

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "HROMADA_DATABASE_URL": self.database_url,
               "HROMADA_ENVIRONMENT": "test", "HROMADA_SECRET_KEY": SECRET,
               "HROMADA_RATE_LIMITS_ENABLED": "false", "HROMADA_WORKER_IN_PROCESS": "false",
               "HROMADA_MAIL_BACKEND": "file", "HROMADA_MAIL_DIR": str(self.workdir / "mail")}
        env.pop("HROMADA_REDIS_URL", None)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None


@dataclass
class Person:
    user_id: int
    token: str


@dataclass
class Population:
    petition_ids: list[int]
    people: list[Person]
    cycle_id: int | None = None  # a budget cycle open for voting, when the module is there
    project_ids: list[int] = field(default_factory=list)


def _voting_cycle(session, place) -> tuple[int, list[int]] | None:
    """A budget cycle whose voting is open now, in real time (the server has no test clock):
    built by moving this process's clock through submission and review three weeks back."""
    from datetime import UTC, datetime, timedelta

    from app import clock as app_clock
    from tests.conftest import Clock

    try:
        from budget.phases import phase_of
        from tests.budget.factories import make_voting_cycle
    except ImportError:
        return None
    fake = Clock(datetime.now(UTC) - timedelta(days=21))
    app_clock.set_clock(fake)
    try:
        cycle, projects = make_voting_cycle(session, place, fake,
                                            [(0, 100_000), (0, 150_000), (0, 200_000)])
    finally:
        app_clock.set_clock(None)
    if str(phase_of(cycle)) != "voting":
        return None
    return cycle.id, [p.id for p in projects]


def populate(engine: Engine, people: int, petitions: int, ballots: bool = True) -> Population:
    """One community (threshold out of reach), open petitions, a budget cycle in voting and
    residents with API tokens."""
    from app.db import transaction
    from app.identity import service as identity
    from app.main import register_modules
    from tests.factories import make_community, make_resident
    from tests.safety.helpers import HIGH_THRESHOLD, open_petition

    register_modules()  # the modules' obligation kinds, as the app registers them
    with transaction(engine) as session:
        place = make_community(session, rules_override=HIGH_THRESHOLD)
        petition_ids = [open_petition(session, place)[0] for _ in range(petitions)]
        crowd = []
        for _ in range(people):
            user = make_resident(session, place)
            _, raw = identity.create_token(session, user, "crash")
            crowd.append(Person(user.id, raw))
        voting = _voting_cycle(session, place) if ballots else None
    population = Population(petition_ids, crowd)
    if voting is not None:
        population.cycle_id, population.project_ids = voting
    return population


@dataclass
class Ledger:
    """What the server acknowledged: the last answered act per (person, petition)."""

    last: dict[tuple[int, int], str] = field(default_factory=dict)
    uncertain: set[tuple[int, int]] = field(default_factory=set)
    ballots: dict[int, frozenset[int]] = field(default_factory=dict)  # user -> projects
    uncertain_ballots: set[int] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: tuple[int, int], act: str | None, outcome: str) -> None:
        with self.lock:
            self.counts[outcome] += 1
            if act is None:
                self.uncertain.add(key)  # sent, never answered: either state is right
            else:
                self.last[key] = act
                self.uncertain.discard(key)

    def record_ballot(self, user_id: int, projects: frozenset[int] | None,
                      outcome: str) -> None:
        with self.lock:
            self.counts[outcome] += 1
            if projects is None:
                self.uncertain_ballots.add(user_id)
            else:
                self.ballots[user_id] = projects
                self.uncertain_ballots.discard(user_id)


def drive(server: Server, population: Population, ledger: Ledger, stop: threading.Event,
          threads: int = 4, seed: int = 1) -> list[threading.Thread]:
    """Threads, each with its own people, signing and withdrawing until stopped (or killed)."""
    groups = [population.people[i::threads] for i in range(threads)]

    def vote(client: httpx.Client, person: Person, rnd: random.Random) -> bool:
        """Cast or change a ballot; False when the server is gone for good."""
        chosen = frozenset(rnd.sample(population.project_ids,
                                      rnd.randint(1, len(population.project_ids))))
        try:
            response = client.put(f"/api/v1/budgets/{population.cycle_id}/ballot",
                                  json={"projects": sorted(chosen)},
                                  headers={"Authorization": f"Bearer {person.token}"})
        except httpx.HTTPError:
            ledger.record_ballot(person.user_id, None, "no answer")
            if stop.is_set() or server.process is None:
                return False
            time.sleep(0.05)
            return True
        if 200 <= response.status_code < 300:
            ledger.record_ballot(person.user_id, chosen, "2xx")
        elif response.status_code == 503:
            ledger.record_ballot(person.user_id, None, "503 busy")
        else:
            ledger.record_ballot(person.user_id, None,
                                 f"unexpected {response.status_code} {response.text[:80]}")
        return True

    def work(group: list[Person], rnd: random.Random) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            while not stop.is_set():
                person = rnd.choice(group)
                if population.cycle_id is not None and rnd.random() < 0.3:
                    if not vote(client, person, rnd):
                        return
                    continue
                petition = rnd.choice(population.petition_ids)
                key = (person.user_id, petition)
                headers = {"Authorization": f"Bearer {person.token}"}
                signing = ledger.last.get(key) != "signed" or rnd.random() < 0.2
                try:
                    if signing:
                        response = client.post(f"/api/v1/petitions/{petition}/signatures",
                                               json={"public_name": rnd.random() < 0.5},
                                               headers=headers)
                    else:
                        response = client.delete(f"/api/v1/petitions/{petition}/signatures/me",
                                                 headers=headers)
                except httpx.HTTPError:
                    ledger.record(key, None, "no answer")
                    if stop.is_set() or server.process is None:
                        return
                    time.sleep(0.05)
                    continue
                status = response.status_code
                if 200 <= status < 300:
                    ledger.record(key, "signed" if signing else "withdrawn", "2xx")
                elif status == 409 and signing:
                    ledger.record(key, "signed", "409 already signed")
                elif status in (404, 409) and not signing:
                    ledger.record(key, "withdrawn", f"{status} not signed")
                elif status == 503:
                    ledger.record(key, None, "503 busy")
                else:
                    ledger.record(key, None, f"unexpected {status}")

    workers = [threading.Thread(target=work, args=(g, random.Random(seed * 1000 + i)),
                                daemon=True) for i, g in enumerate(groups) if g]
    for worker in workers:
        worker.start()
    return workers


def check(engine: Engine, population: Population, ledger: Ledger) -> list[str]:
    """Every problem found in the database after a crash; an empty list means all is well."""
    from app.audit import sealer
    from app.audit import service as audit
    from app.db import transaction

    problems: list[str] = []
    with engine.connect() as conn:
        rows = set(conn.execute(text(
            "SELECT user_id, petition_id FROM petition_signature WHERE user_id IS NOT NULL")))
        for (user_id, petition_id), act in ledger.last.items():
            key = (user_id, petition_id)
            if (user_id, petition_id) in ledger.uncertain:
                continue
            present = key in rows
            if act == "signed" and not present:
                problems.append(f"acknowledged signature {key} is missing")
            if act == "withdrawn" and present:
                problems.append(f"acknowledged withdrawal {key} did not happen")
        for petition_id in population.petition_ids:
            counter, public = conn.execute(text(
                "SELECT signature_count, public_signer_count FROM petition WHERE id = :p"),
                {"p": petition_id}).one()
            actual, actual_public = conn.execute(text(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN public_name THEN 1 ELSE 0 END), 0) "
                "FROM petition_signature WHERE petition_id = :p"), {"p": petition_id}).one()
            if counter != actual or public != actual_public:
                problems.append(f"petition {petition_id}: counters {counter}/{public}, rows "
                                f"{actual}/{actual_public}")
            signed, withdrawn = (conn.execute(text(
                "SELECT COUNT(*) FROM audit_entry WHERE subject_type = 'petition' AND "
                "subject_id = :p AND action = :a"), {"p": petition_id, "a": action}).scalar_one()
                for action in ("petition.signed", "petition.signature_withdrawn"))
            if signed - withdrawn != actual:
                problems.append(f"petition {petition_id}: audit says {signed - withdrawn} "
                                f"signatures, the table holds {actual} (half-written record)")
        if population.cycle_id is not None:
            problems += _check_ballots(conn, population, ledger)
        if engine.dialect.name == "sqlite":
            if conn.execute(text("PRAGMA integrity_check")).scalar_one() != "ok":
                problems.append("SQLite integrity_check failed")
            if conn.execute(text("PRAGMA foreign_key_check")).first() is not None:
                problems.append("SQLite foreign_key_check found orphans")
    sealer.seal_pending(engine)  # the sealer catches up with what the batches committed
    with transaction(engine, write=False) as session:
        verification = audit.verify(session)
    if not verification.ok:
        problems.append(f"audit chain: {verification.problem}")
    if verification.unsealed:
        problems.append(f"audit chain: {verification.unsealed} entries left unsealed")
    return problems


def _check_ballots(conn, population: Population, ledger: Ledger) -> list[str]:
    problems = []
    cycle = population.cycle_id
    stored: dict[int, set[int]] = {}
    for user_id, project_id in conn.execute(text(
            "SELECT b.voter_user_id, c.project_id FROM budget_ballot b JOIN "
            "budget_ballot_choice c ON c.ballot_id = b.id WHERE b.cycle_id = :c"), {"c": cycle}):
        stored.setdefault(user_id, set()).add(project_id)
    for user_id, projects in ledger.ballots.items():
        if user_id not in ledger.uncertain_ballots and stored.get(user_id) != set(projects):
            problems.append(f"acknowledged ballot of {user_id} is {sorted(projects)}, the "
                            f"database holds {sorted(stored.get(user_id, []))}")
    ballots = conn.execute(text("SELECT COUNT(*) FROM budget_ballot WHERE cycle_id = :c"),
                           {"c": cycle}).scalar_one()
    counter = conn.execute(text("SELECT ballot_count FROM budget_cycle WHERE id = :c"),
                           {"c": cycle}).scalar_one()
    if counter != ballots:
        problems.append(f"cycle {cycle}: ballot_count {counter}, rows {ballots}")
    empty = conn.execute(text(
        "SELECT COUNT(*) FROM budget_ballot b WHERE b.cycle_id = :c AND NOT EXISTS "
        "(SELECT 1 FROM budget_ballot_choice c WHERE c.ballot_id = b.id)"),
        {"c": cycle}).scalar_one()
    if empty:
        problems.append(f"cycle {cycle}: {empty} ballots without choices (half-written)")
    for project_id in population.project_ids:
        votes, score = conn.execute(text(
            "SELECT vote_count, score FROM budget_project WHERE id = :p"),
            {"p": project_id}).one()
        rows, points = conn.execute(text(
            "SELECT COUNT(*), COALESCE(SUM(points), 0) FROM budget_ballot_choice WHERE "
            "project_id = :p"), {"p": project_id}).one()
        if (votes, score) != (rows, points):
            problems.append(f"project {project_id}: counters {votes}/{score}, rows "
                            f"{rows}/{points}")
    cast = conn.execute(text(
        "SELECT COUNT(*) FROM audit_entry WHERE action = 'budget.ballot_cast' AND "
        "subject_id = :c"), {"c": cycle}).scalar_one()
    if cast != ballots:
        problems.append(f"cycle {cycle}: audit says {cast} ballots, the table holds {ballots}")
    return problems


def round_trip(server: Server, population: Population, ledger: Ledger, *, run_for: float,
               threads: int, seed: int, at_least: int = 0, patience: float = 60) -> None:
    """Start, drive, SIGKILL mid-flight, and let the threads notice.

    The kill comes `run_for` seconds after the drive starts or, with `at_least`, `run_for`
    seconds after that many signatures and that many ballots were acknowledged (so a slow
    machine still kills mid-work; at most `patience` seconds of waiting)."""
    server.start()
    stop = threading.Event()
    answered, voters = ledger.counts["2xx"], len(ledger.ballots)
    workers = drive(server, population, ledger, stop, threads=threads, seed=seed)
    deadline = time.monotonic() + patience
    while at_least and time.monotonic() < deadline:
        ballots_done = population.cycle_id is None or len(ledger.ballots) - voters >= at_least
        if ledger.counts["2xx"] - answered >= 2 * at_least and ballots_done:
            break
        time.sleep(0.05)
    time.sleep(run_for)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)


def still_serves(server: Server, population: Population, ledger: Ledger) -> bool:
    """After a restart: a signature by someone is accepted or refused cleanly, not 5xx."""
    person = population.people[0]
    petition = population.petition_ids[0]
    headers = {"Authorization": f"Bearer {person.token}"}
    response = httpx.post(f"{server.base_url}/api/v1/petitions/{petition}/signatures",
                          json={}, headers=headers, timeout=10)
    if response.status_code in (201, 409):
        ledger.record((person.user_id, petition), "signed", "after restart")
        return True
    return False
