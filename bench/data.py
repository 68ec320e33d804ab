"""Benchmark databases: create, migrate, fill in bulk, check, drop.

The few rows that carry business rules (the community, its rules, the petitions) are made by
the real services, so they are exactly what the application would have made, and so is the
audit log's history (an entry per account, sealed). The many rows
(accounts, residencies, API tokens, a million signatures) are written with set-based SQL:
INSERT ... SELECT over generate_series on PostgreSQL and over a recursive CTE on SQLite, and
executemany for the tokens (their hashes are computed here). Account ids are explicit
(``user_base + n``), so a request number maps to an account without a lookup.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, bindparam, create_engine, text
from sqlalchemy.engine import Engine, make_url

PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BIRTH_DATE = date(1990, 5, 17)

# The rules of the bench community. The threshold is the largest the rules allow, so the
# petitions keep collecting (reaching it moves a petition on to await its answer).
BENCH_RULES: dict[str, Any] = {
    "petitions": {"threshold": 10_000_000, "collection_days": 90,
                  "answer_deadline": {"days": 10, "unit": "working"},
                  "sponsors_required": 0, "minimum_age": 14,
                  "moderation_deadline": {"days": 3, "unit": "working"}},
    "budget": {"minimum_age": 16, "voting_method": "approval", "max_choices": 3,
               "aggregation": "greedy", "project_cost_min": 1000, "project_cost_max": 500_000},
    "consultations": {"minimum_duration_days": 14,
                      "report_deadline": {"days": 14, "unit": "calendar"}},
}
PETITION_TEXT = (
    "Просимо облаштувати безпечний пішохідний перехід біля школи на вулиці Шевченка: "
    "нанести розмітку, встановити острівець безпеки, світлофор з кнопкою виклику та "
    "освітлення переходу. Щоранку тут переходять дорогу сотні дітей.")


def pg_admin_url() -> str:
    url = os.environ.get("HROMADA_BENCH_PG_URL") or PG_ADMIN_DEFAULT
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url


def create_database(backend: str, workdir: Path) -> str:
    """A new, empty database (a file under workdir, or hromada_bench_<random> on PostgreSQL)."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{secrets.token_hex(4)}.db'}"
    admin = make_url(pg_admin_url())
    name = f"hromada_bench_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(make_url(pg_admin_url()), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def migrate(url: str) -> None:
    from app.migrate import upgrade

    upgrade(url)


def engine_for(url: str) -> Engine:
    from app.db import build_engine
    from app.main import load_models, register_modules

    load_models()
    register_modules()  # the modules' obligation kinds, as the application registers them
    return build_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 2}))


# -- set-based generators -------------------------------------------------------------------

def insert_series(backend: str, n: int, insert: str, select: str) -> str:
    """INSERT ... SELECT over g = 1..n (``select`` uses the column g)."""
    if backend == "postgresql":
        return f"{insert} {select} FROM generate_series(1, {int(n)}) AS s(g)"
    return (f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {int(n)}) "
            f"{insert} {select} FROM s")


def _now_params(now: datetime) -> list:
    return [bindparam("now", now, type_=DateTime(timezone=True)),
            bindparam("birth", BIRTH_DATE, type_=Date())]


def bulk_users(engine: Engine, base: int, count: int, now: datetime) -> None:
    """Accounts base+1 .. base+count: verified e-mail, adults, no usable password."""
    backend = engine.dialect.name
    sql = insert_series(
        backend, count,
        "INSERT INTO identity_user (id, email, email_canonical, display_name, password_hash, "
        "role, birth_date, email_verified_at, failed_logins, created_at)",
        f"SELECT {base} + g, 'bench' || ({base} + g) || '@example.org', "
        f"'bench' || ({base} + g) || '@example.org', 'Учасник ' || g, '!', 'resident', "
        ":birth, :now, 0, :now")
    with engine.begin() as conn:
        conn.execute(text(sql).bindparams(*_now_params(now)))
        if backend == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('identity_user', 'id'), "
                              "(SELECT max(id) FROM identity_user))"))


def bulk_residents(engine: Engine, community_id: int, first: int, last: int, now: datetime
                   ) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO community_residency (user_id, community_id, status, address, "
            "claimed_at, decided_at) SELECT id, :community, 'verified', 'вул. Тестова, 1', "
            ":now, :now FROM identity_user WHERE id BETWEEN :first AND :last"
        ).bindparams(*_now_params(now)[:1], community=community_id, first=first, last=last))


def bulk_tokens(engine: Engine, user_ids: Iterable[int], now: datetime, path: Path) -> int:
    """One personal API token per account; the raw tokens go to `path`, one a line."""
    from app.main import load_models
    from app.models import metadata

    load_models()
    table = metadata.tables["identity_api_token"]
    raws, rows = [], []
    for user_id in user_ids:
        raw = "hrm_" + secrets.token_urlsafe(24)
        raws.append(raw)
        rows.append({"user_id": user_id, "name": "bench", "prefix": raw[:10], "created_at": now,
                     "token_hash": hashlib.sha256(raw.encode()).hexdigest()})
    with engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(table.insert(), rows[start:start + 20_000])
    path.write_text("\n".join(raws) + "\n")
    return len(raws)


def bulk_signatures(engine: Engine, petition_id: int, count: int, online_users: tuple[int, int],
                    now: datetime, public_every: int = 10) -> None:
    """`count` signatures: online ones by accounts first..last (every `public_every`-th with
    a public name), the rest on paper without an account. The counters are set to match."""
    backend = engine.dialect.name
    first, last = online_users
    online = max(0, min(count, last - first + 1))
    paper = count - online
    columns = ("INSERT INTO petition_signature (petition_id, user_id, source, public_name, "
               "identity_hash, created_at)")
    with engine.begin() as conn:
        if online:
            conn.execute(text(insert_series(
                backend, online, columns,
                f"SELECT {int(petition_id)}, {first - 1} + g, 'online', "
                f"(g % {public_every} = 0), NULL, :now")).bindparams(*_now_params(now)[:1]))
        if paper:
            conn.execute(text(insert_series(
                backend, paper, columns,
                f"SELECT {int(petition_id)}, NULL, 'paper', (1 = 0), "
                f"'bench-paper-{int(petition_id)}-' || g, :now"
            )).bindparams(*_now_params(now)[:1]))
        public = online // public_every
        conn.execute(text("UPDATE petition SET signature_count = signature_count + :n, "
                          "public_signer_count = public_signer_count + :p WHERE id = :id"),
                     {"n": count, "p": public, "id": petition_id})


def audit_history(engine: Engine, user_ids: range, now: datetime) -> int:
    """A sealed audit log with an entry for each account's registration, as a deployment in
    use has (the bulk accounts above have none): appended and sealed by the application's
    own audit service and sealer, so the chain verifies."""
    from app.audit import service as audit
    from app.audit.sealer import seal_pending
    from app.db import transaction

    step = 5000
    for start in range(user_ids.start, user_ids.stop, step):
        with transaction(engine) as session:
            audit.append_many(session, [
                audit.event("identity.registered", "user", user_id, user_id, at=now)
                for user_id in range(start, min(start + step, user_ids.stop))])
    return seal_pending(engine)


def analyze(engine: Engine) -> None:
    """Fresh planner statistics on PostgreSQL, as autovacuum keeps them on a live database
    (see populate); nothing to do on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


# -- the data set ---------------------------------------------------------------------------

@dataclass
class Population:
    url: str
    backend: str
    community_id: int
    authority_id: int
    user_base: int  # accounts are user_base + 1 .. user_base + users, tokens in that order
    users: int
    tokens_file: str
    sign_petitions: list[int]
    spread_petitions: list[int]
    small_petition: int
    big_petition: int
    small_signatures: int
    big_signatures: int
    moderator_id: int
    author_id: int
    official_id: int
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # Browsers of residents who signed the small petition, logged in: their Cookie headers.
    session_users: list[int] = field(default_factory=list)
    session_cookies: list[str] = field(default_factory=list)

    def user_id(self, n: int) -> int:
        """The account of the n-th token (0-based)."""
        return self.user_base + 1 + n

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _publish_petitions(engine: Engine, community_id: int, authority_id: int, author_id: int,
                       moderator_id: int, count: int, title: str) -> list[int]:
    """Petitions drafted, submitted and published through the petitions service."""
    from app.db import transaction
    from app.identity.models import User
    from petitions.models import PetitionCreate
    from petitions.service import drafting

    ids = []
    with transaction(engine) as session:
        author = session.get(User, author_id)
        moderator = session.get(User, moderator_id)
        for n in range(count):
            petition = drafting.create(session, author, PetitionCreate(
                community_id=community_id, authority_id=authority_id,
                title=f"{title} {n + 1}", text=PETITION_TEXT, category="urban", submit=True))
            drafting.publish(session, moderator, petition.id)
            ids.append(petition.id)
    return ids


def start_sessions(engine: Engine, user_ids: Iterable[int]) -> list[str]:
    """A login session for each account, made by the identity service as a login makes it:
    the Cookie header of each one's browser (the session cookie, and the CSRF cookie that a
    browser has kept since its first page)."""
    from app.db import transaction
    from app.identity import service as identity
    from app.identity.models import User
    from app.web.auth import SESSION_COOKIE
    from app.web.middleware import CSRF_COOKIE

    cookies = []
    with transaction(engine) as session:
        for user_id in user_ids:
            raw = identity.start_session(session, session.get(User, user_id))
            cookies.append(f"{SESSION_COOKIE}={raw}; {CSRF_COOKIE}={secrets.token_urlsafe(32)}")
    return cookies


def populate(url: str, workdir: Path, *, users: int = 20_000, sign_petitions: int = 8,
             small_signatures: int = 10, big_signatures: int = 1_000_000,
             user_base: int = 0, slug: str = "bench", spread_petitions: int = 0,
             sessions: int = 10) -> Population:
    """Migrate a fresh database and fill it; returns what the benchmarks need to know."""
    from app.communities import service as communities
    from app.communities.models import StaffRole
    from app.db import transaction
    from app.identity.models import User
    from app.rules import service as rules

    timings: dict[str, float] = {}
    started = time.perf_counter()
    migrate(url)
    timings["migrate_s"] = round(time.perf_counter() - started, 2)
    engine = engine_for(url)
    now = datetime.now(UTC)
    try:
        step = time.perf_counter()
        # Three extra accounts after the signers: a petition author, a moderator, an official.
        bulk_users(engine, user_base, users + 3, now)
        author_id, moderator_id = user_base + users + 1, user_base + users + 2
        official_id = user_base + users + 3
        with transaction(engine) as session:
            community = communities.create_community(
                session, slug=slug, name="Тестова громада", name_en="Bench community",
                population=1_500_000)
            council = communities.add_authority(session, community, "Тестова міська рада",
                                                name_en="Bench city council")
            # In force since long ago: the budget cycles are set up with the clock moved back.
            rules.change(session, community.id, BENCH_RULES, None, "benchmark rules",
                         effective_from=datetime(2020, 1, 1, tzinfo=UTC))
            community_id, authority_id = community.id, council.id
            communities.grant_staff(session, session.get(User, moderator_id), community,
                                    StaffRole.moderator)
            communities.grant_staff(session, session.get(User, official_id), community,
                                    StaffRole.official, council)
        bulk_residents(engine, community_id, user_base + 1, user_base + users + 3, now)
        tokens_file = workdir / f"tokens-{secrets.token_hex(4)}.txt"
        bulk_tokens(engine, range(user_base + 1, user_base + users + 1), now, tokens_file)
        timings["accounts_s"] = round(time.perf_counter() - step, 2)

        step = time.perf_counter()
        signing = _publish_petitions(engine, community_id, authority_id, author_id,
                                     moderator_id, sign_petitions, "Петиція для підписання")
        small, big = _publish_petitions(engine, community_id, authority_id, author_id,
                                        moderator_id, 2, "Петиція для перегляду")
        spread = _publish_petitions(engine, community_id, authority_id, author_id,
                                    moderator_id, spread_petitions, "Петиція з багатьох")
        timings["petitions_s"] = round(time.perf_counter() - step, 2)

        step = time.perf_counter()
        small_signers = min(users, small_signatures)
        bulk_signatures(engine, small, small_signatures,
                        (user_base + 1, user_base + small_signers), now, public_every=3)
        # Some of the small petition's signers are logged in (the page a signer sees).
        session_users = list(range(user_base + 1, user_base + 1 + min(sessions, small_signers)))
        session_cookies = start_sessions(engine, session_users)
        bulk_signatures(engine, big, big_signatures, (user_base + 1, user_base + users), now)
        timings["big_signatures_s"] = round(time.perf_counter() - step, 2)
        step = time.perf_counter()
        audit_history(engine, range(user_base + 1, user_base + users + 4), now)
        timings["audit_history_s"] = round(time.perf_counter() - step, 2)
        step = time.perf_counter()
        if engine.dialect.name == "postgresql":
            # What autovacuum keeps on a live database: fresh planner statistics. They last
            # beyond this moment: a connection keeps the plan of a statement it prepared (and
            # of a foreign-key check) until the table's statistics change, so a plan made for
            # a table that looked empty (a sequential scan) would serve a whole run while the
            # table grows. Hence the history: no table a run writes starts empty.
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE"))
        else:
            # Move the bulk writes from the WAL into the database file before measuring.
            import sqlite3

            with contextlib.closing(sqlite3.connect(make_url(url).database)) as raw:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        timings["vacuum_s"] = round(time.perf_counter() - step, 2)
    finally:
        engine.dispose()
    timings["total_s"] = round(time.perf_counter() - started, 2)
    return Population(url=url, backend=backend_of(url), community_id=community_id,
                      authority_id=authority_id, user_base=user_base, users=users,
                      tokens_file=str(tokens_file), sign_petitions=signing,
                      spread_petitions=spread,
                      small_petition=small, big_petition=big,
                      small_signatures=small_signatures, big_signatures=big_signatures,
                      moderator_id=moderator_id, author_id=author_id, official_id=official_id,
                      timings=timings, session_users=session_users,
                      session_cookies=session_cookies)


# -- integrity checks -----------------------------------------------------------------------

@contextlib.contextmanager
def reading(url: str) -> Iterator[Any]:
    """A read-only connection: on SQLite a deferred BEGIN, so a check never queues for the
    write lock behind the server's writers (WAL readers see the last committed state)."""
    from app.db import write_intent

    engine = engine_for(url)
    token = write_intent.set(False)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        write_intent.reset(token)
        engine.dispose()


def check_signatures(url: str, petition_ids: list[int], acknowledged: set[tuple[int, int]]
                     ) -> dict[str, Any]:
    """Counters against rows, and every acknowledged (petition, account) against the rows.

    lost_writes: acknowledged (2xx) but not in the table. doubled: an account with two rows
    for one petition. unacknowledged_rows: rows whose answer never arrived (a timeout or a
    dropped connection): not an error, but reported.
    """
    ids = ",".join(str(int(i)) for i in petition_ids) or "0"
    with reading(url) as conn:
        counters = {r[0]: (r[1], r[2]) for r in conn.execute(text(
            f"SELECT id, signature_count, public_signer_count FROM petition "
            f"WHERE id IN ({ids})"))}
        counts = {r[0]: (r[1], r[2] or 0) for r in conn.execute(text(
            f"SELECT petition_id, count(*), sum(CASE WHEN public_name THEN 1 ELSE 0 END) "
            f"FROM petition_signature WHERE petition_id IN ({ids}) GROUP BY petition_id"))}
        present = {(r[0], r[1]) for r in conn.execute(text(
            f"SELECT petition_id, user_id FROM petition_signature "
            f"WHERE petition_id IN ({ids})"))}
        doubled = conn.execute(text(
            f"SELECT count(*) FROM (SELECT petition_id, user_id FROM petition_signature "
            f"WHERE petition_id IN ({ids}) AND user_id IS NOT NULL "
            f"GROUP BY petition_id, user_id HAVING count(*) > 1) AS d")).scalar_one()
        audited = conn.execute(text(
            f"SELECT count(*) FROM audit_entry WHERE action = 'petition.signed' "
            f"AND subject_id IN ({ids})")).scalar_one()
    mismatched = [pid for pid in petition_ids
                  if counters.get(pid, (0, 0)) != counts.get(pid, (0, 0))]
    rows = sum(c for c, _ in counts.values())
    return {
        "acknowledged": len(acknowledged),
        "rows": rows,
        "counter_total": sum(c for c, _ in counters.values()),
        "counters_match": not mismatched,
        "counter_mismatches": len(mismatched),
        "lost_writes": len(acknowledged - present),
        "doubled": int(doubled),
        "unacknowledged_rows": len(present - acknowledged),
        "audit_entries": int(audited),
        "audit_matches_rows": int(audited) == rows,
    }


# -- sealing of the audit log ---------------------------------------------------------------

def audit_mark(url: str) -> int:
    """The id of the last audit entry: the entries a run writes come after it."""
    with reading(url) as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_entry"))
                   .scalar_one())


def seal_delays(url: str, after_id: int, wait_s: float = 5.0, poll_s: float = 0.2
                ) -> dict[str, Any]:
    """How long the audit entries written after `after_id` waited to be sealed into the chain.

    Requests append entries with `seq` NULL; a single sealer later sets `seq`, `hash` and
    `sealed_at`. This waits up to `wait_s` for the sealer to catch up (until no entry of the
    run is unsealed), then takes max(sealed_at - created_at) in SQL. Before the audit log has
    a `sealed_at` column (entries sealed in the request's own transaction) the delay is None
    and `note` says why; `unsealed_rows` then counts entries without `seq` (none).
    """
    from sqlalchemy import inspect

    started = time.perf_counter()
    with reading(url) as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("audit_entry")}
        conn.rollback()
        has_sealed_at = "sealed_at" in columns
        unsealed_sql = text(
            f"SELECT count(*) FROM audit_entry WHERE id > :after AND "
            f"{'sealed_at' if has_sealed_at else 'seq'} IS NULL").bindparams(after=after_id)
        while True:
            # A new read transaction for each look: a SQLite snapshot would never change.
            unsealed = int(conn.execute(unsealed_sql).scalar_one())
            conn.rollback()
            if not unsealed or not has_sealed_at or time.perf_counter() - started >= wait_s:
                break
            time.sleep(poll_s)
        rows = int(conn.execute(text("SELECT count(*) FROM audit_entry WHERE id > :after"),
                                {"after": after_id}).scalar_one())
        delay_max = delay_avg = None
        if has_sealed_at:
            if conn.dialect.name == "postgresql":
                delay = "EXTRACT(EPOCH FROM (sealed_at - created_at)) * 1000"
            else:
                delay = "(julianday(sealed_at) - julianday(created_at)) * 86400000.0"
            found = conn.execute(text(
                f"SELECT max({delay}), avg({delay}) FROM audit_entry "
                f"WHERE id > :after AND sealed_at IS NOT NULL"), {"after": after_id}).one()
            delay_max, delay_avg = (None if v is None else round(float(v), 1) for v in found)
    out: dict[str, Any] = {"rows": rows, "unsealed_rows": unsealed,
                           "delay_max_ms": delay_max, "delay_avg_ms": delay_avg,
                           "waited_s": round(time.perf_counter() - started, 2),
                           "sealed_at_column": has_sealed_at}
    if not has_sealed_at:
        out["note"] = ("audit_entry has no sealed_at column yet: entries are sealed in the "
                       "request's own transaction, so there is no sealing delay to measure")
    return out
