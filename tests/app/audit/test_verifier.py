"""The standalone checker against a real served instance: untouched it passes; an entry changed,
deleted, inserted or reordered in the database, a forged signature, a history rewritten and
signed again by the key holder, a URL that answers HTML and a truncated page each fail, with a
clear message and a non-zero exit.

The instance is `uvicorn app.asgi:app` on a loopback port (tests/safety/crashkit.py), on a
migrated database of its own whose entries were sealed by `hromada`'s sealer with the
deployment's secret. Each tampering is undone afterwards (the audit tables are restored).
"""

from __future__ import annotations

import ast
import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from app.audit import service as audit
from app.audit.models import AuditCheckpoint, AuditEntry
from app.db import build_engine
from app.settings import ROOT
from tests.app.audit.helpers import VERIFIER, verifier
from tests.conftest import drop_database, migrated_database
from tests.safety.crashkit import SECRET, Server, free_port

# Three sealing rounds of five entries: checkpoints at 5, 10 and 15.
SEED = """
from app.main import load_models
load_models()
from app.audit import sealer, service as audit
from app.db import transaction
for round in range({rounds}):
    with transaction() as session:
        for i in range(5):
            audit.append(session, "{action}", "thing", round * 10 + i,
                         (i % 3) + 1 if i % 2 == 0 else None, n=i, note="ä ✓ \\"q\\"\\n")
    sealer.seal_pending()
"""


def hromada_env(url: str) -> dict[str, str]:
    return {**os.environ, "HROMADA_DATABASE_URL": url, "HROMADA_SECRET_KEY": SECRET,
            "HROMADA_ENVIRONMENT": "test"}


def seed(url: str, rounds: int = 3, action: str = "test.acted") -> None:
    """Entries appended and sealed as the deployment does it, with the deployment's secret."""
    done = subprocess.run([sys.executable, "-c", SEED.format(rounds=rounds, action=action)],
                          env=hromada_env(url), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


@dataclass
class Served:
    server: Server
    engine: Engine
    url: str

    @property
    def base(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module")
def served(backend, tmp_path_factory) -> Iterator[Served]:
    url = migrated_database(backend, "published")
    seed(url)
    server = Server(url, tmp_path_factory.mktemp("served"))
    server.start()
    engine = build_engine(url)
    try:
        yield Served(server, engine, url)
    finally:
        server.kill()
        engine.dispose()
        drop_database(url)


@contextlib.contextmanager
def tampered(served: Served, *statements: tuple[str, dict]) -> Iterator[None]:
    """Run SQL against the served database, and put the audit tables back afterwards."""
    tables = (AuditEntry.__table__, AuditCheckpoint.__table__)
    with served.engine.connect() as conn:
        saved = [[dict(row) for row in conn.execute(select(t)).mappings()] for t in tables]
    try:
        with served.engine.begin() as conn:
            for statement, params in statements:
                conn.execute(text(statement), params)
        yield
    finally:
        with served.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
            for table, rows in zip(tables, saved, strict=True):
                conn.execute(insert(table), rows)


def run(served: Served, state: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = verifier().main([served.base, "--state", str(state), "--timeout", "30", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def entry(served: Served, seq: int) -> dict:
    with served.engine.connect() as conn:
        return dict(conn.execute(select(AuditEntry.__table__).where(
            AuditEntry.__table__.c.seq == seq)).mappings().one())


def shift(start: int, end: int, delta: int) -> list[tuple[str, dict]]:
    """Renumber entries start..end by delta, one row at a time (seq is unique)."""
    order = range(end, start - 1, -1) if delta > 0 else range(start, end + 1)
    return [("UPDATE audit_entry SET seq = seq + :d WHERE seq = :s", {"d": delta, "s": s})
            for s in order]


def forged(served: Served, seq: int, prev_hash: str) -> tuple[str, dict]:
    """An entry inserted by hand with a perfectly computed hash (the format is public)."""
    row = entry(served, 1)
    digest = audit.compute_hash(prev_hash, seq, row["created_at"], "test.forged", "thing", 99,
                                None, '{"forged":true}')
    return ("INSERT INTO audit_entry (seq, created_at, action, subject_type, subject_id, data, "
            "format, prev_hash, hash, sealed_at) VALUES (:seq, :at, 'test.forged', 'thing', 99, "
            ":data, 2, :prev, :hash, :at)",
            {"seq": seq, "at": row["created_at"], "prev": prev_hash, "hash": digest,
             "data": '{"forged":true}'})


def test_an_untouched_instance_passes_and_is_remembered(served, tmp_path, capsys):
    state = tmp_path / "state.json"
    code, out, err = run(served, state, capsys=capsys)
    assert code == 0, err
    assert out.startswith("ok: 15 entries and 3 signed checkpoints checked; head 15 ")
    assert "first run for this deployment" in out
    kept = json.loads(state.read_text())["deployments"][served.base]
    assert [c["seq"] for c in kept["checkpoints"]] == [15]
    code, out, err = run(served, state, capsys=capsys)
    assert code == 0, err
    assert "1 checkpoints seen on earlier runs are still part of the log" in out


def test_the_published_key_can_be_pinned(served, tmp_path, capsys):
    public = httpx.get(f"{served.base}/api/v1/audit").json()["public_key"]
    assert run(served, tmp_path / "s", "--key", public, capsys=capsys)[0] == 0
    code, _, err = run(served, tmp_path / "s2", "--key", "ab" * 32, capsys=capsys)
    assert code == 1 and "is not the key you gave" in err


TAMPERING = {
    "changed": (lambda s: [("UPDATE audit_entry SET data = :d WHERE seq = 7", {"d": '{"n":9}'})],
                "entry 7 does not match its hash"),
    "changed actor": (lambda s: [("UPDATE audit_entry SET commitment = :c WHERE seq = 6",
                                  {"c": "e" * 64})], "entry 6 does not match its hash"),
    "deleted": (lambda s: [("DELETE FROM audit_entry WHERE seq = 7", {})],
                "entry 7 is missing"),
    "deleted and renumbered": (
        lambda s: [("DELETE FROM audit_entry WHERE seq = 7", {}), *shift(8, 15, -1)],
        "entry 7 does not link to entry 6"),
    "deleted at the end": (lambda s: [("DELETE FROM audit_entry WHERE seq = 15", {})],
                           "entries 15 to 15 are missing: a signed checkpoint covers entry 15"),
    "deleted at the end with its checkpoint": (
        lambda s: [("DELETE FROM audit_entry WHERE seq = 15", {}),
                   ("DELETE FROM audit_checkpoint WHERE seq = 15", {})],
        "entries 11 to 14 are not covered by a signed checkpoint"),
    "inserted": (lambda s: [*shift(7, 15, +1), forged(s, 7, entry(s, 6)["hash"])],
                 "entry 8 does not link to entry 7"),
    "inserted at the end": (lambda s: [forged(s, 16, entry(s, 15)["hash"])],
                            "entries 16 to 16 are not covered by a signed checkpoint"),
    "reordered": (lambda s: [("UPDATE audit_entry SET seq = 1000 WHERE seq = 7", {}),
                             ("UPDATE audit_entry SET seq = 7 WHERE seq = 8", {}),
                             ("UPDATE audit_entry SET seq = 8 WHERE seq = 1000", {})],
                  "entry 7 does not link to entry 6"),
    "forged signature": (lambda s: [("UPDATE audit_checkpoint SET signature = :x WHERE seq = 10",
                                     {"x": "ab" * 64})],
                         "signature of the checkpoint at entry 10 is not valid"),
    "moved checkpoint": (lambda s: [("UPDATE audit_checkpoint SET head_hash = :h WHERE seq = 10",
                                     {"h": entry(s, 9)["hash"]})],
                         "signature of the checkpoint at entry 10 is not valid"),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_in_the_database_is_caught(served, tmp_path, capsys, how):
    statements, says = TAMPERING[how]
    with tampered(served, *statements(served)):
        code, out, err = run(served, tmp_path / "state.json", capsys=capsys)
    assert code == 1, (out, err)
    assert err.startswith("BROKEN: ") and says in err, err
    assert not (tmp_path / "state.json").exists()  # nothing remembered from a broken log


def test_a_change_rehashed_to_the_end_is_caught_by_the_signatures(served, tmp_path, capsys):
    """Whoever edits the database can recompute every hash after a change (the format is
    public), but cannot sign: the checkpoint at 10 no longer matches."""
    statements, prev = [], entry(served, 6)["hash"]
    for seq in range(7, 16):
        row = entry(served, seq)
        data = '{"n":"changed"}' if seq == 7 else row["data"]
        digest = audit.compute_hash(prev, seq, row["created_at"], row["action"],
                                    row["subject_type"], row["subject_id"], row["commitment"],
                                    data)
        statements.append(("UPDATE audit_entry SET data = :d, prev_hash = :p, hash = :h "
                           "WHERE seq = :s", {"d": data, "p": prev, "h": digest, "s": seq}))
        prev = digest
    with tampered(served, *statements):
        code, _, err = run(served, tmp_path / "state.json", capsys=capsys)
    assert code == 1 and "the history up to entry 10 was rewritten" in err, err


def test_a_history_rewritten_and_signed_again_is_caught_by_what_was_seen(served, tmp_path,
                                                                          capsys):
    """The key holder rewrites the log and signs it again: consistent in itself, so a first
    look passes, but the checkpoint seen before is no longer a prefix of the log."""
    state = tmp_path / "state.json"
    assert run(served, state, capsys=capsys)[0] == 0
    with tampered(served, ("DELETE FROM audit_entry", {}), ("DELETE FROM audit_checkpoint", {})):
        seed(served.url, rounds=3, action="test.rewritten")
        assert run(served, tmp_path / "fresh.json", capsys=capsys)[0] == 0
        code, _, err = run(served, state, capsys=capsys)
    assert code == 1
    assert "the history up to entry 15 was rewritten: the checkpoint seen on" in err
    assert "is no longer a prefix of the log" in err
    with tampered(served, ("DELETE FROM audit_entry", {}), ("DELETE FROM audit_checkpoint", {})):
        seed(served.url, rounds=2)  # a shorter history, signed again
        code, _, err = run(served, state, capsys=capsys)
    assert code == 1 and "entries 11 to 15 were deleted" in err


def test_a_receipt_is_checked_against_the_served_log(served, tmp_path, capsys):
    key = httpx.get(f"{served.base}/api/v1/audit").json()["key_id"]
    commitment = entry(served, 6)["commitment"]
    code, out, err = run(served, tmp_path / "s", "--receipt",
                         f"hromada-receipt:1:{key}:{commitment}", capsys=capsys)
    assert code == 0, err
    assert "receipt: entry 6 " in out and "under the checkpoint at entry 10" in out
    code, _, err = run(served, tmp_path / "s", "--receipt",
                       f"hromada-receipt:1:{'0' * 16}:{commitment}", capsys=capsys)
    assert code == 1 and "another deployment" in err
    code, _, err = run(served, tmp_path / "s", "--receipt", "nonsense", capsys=capsys)
    assert code == 2 and "receipt is malformed" in err


def test_the_bulk_download_holds_the_same_entries(served):
    pages = httpx.get(f"{served.base}/api/v1/audit/entries?limit=1000").json()["items"]
    bulk = httpx.get(f"{served.base}/api/v1/audit/entries.ndjson")
    assert bulk.status_code == 200
    assert bulk.headers["content-type"].startswith("application/x-ndjson")
    assert bulk.headers["x-audit-entries"] == "15"
    assert bulk.headers["x-audit-head"] == pages[-1]["hash"]
    assert [json.loads(line) for line in bulk.text.splitlines()] == pages


def test_the_served_script_is_the_repository_s(served):
    script = httpx.get(f"{served.base}/audit/verify_audit.py")
    assert script.status_code == 200 and script.content == VERIFIER.read_bytes()


def test_hromada_audit_verify_url_runs_the_checker(served, tmp_path):
    command = [sys.executable, "-m", "app.cli", "audit", "verify", "--url", served.base,
               "--state", str(tmp_path / "state.json")]
    env = hromada_env(served.url)
    ok = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: 15 entries")
    with tampered(served, ("DELETE FROM audit_entry WHERE seq = 3", {})):
        broken = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
    assert broken.returncode == 1 and "BROKEN: entry 3 is missing" in broken.stderr
    database = subprocess.run([sys.executable, "-m", "app.cli", "audit", "verify"], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert database.returncode == 0 and database.stdout.startswith("ok: 15 entries")


# -- answers that are not the log ------------------------------------------------------------

class Stub(http.server.BaseHTTPRequestHandler):
    """Answers what the test sets: (status, content type, body, declared length or None)."""

    answers: dict[str, tuple[int, str, bytes, int | None]] = {}

    def do_GET(self):  # the standard library names it so
        path = self.path.split("?")[0]
        status, kind, body, length = self.answers.get(path, self.answers["*"])
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def stub(answers: dict) -> Iterator[str]:
    handler = type("Answers", (Stub,), {"answers": answers})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def real(served: Served, path: str) -> bytes:
    return httpx.get(f"{served.base}{path}").content


@pytest.mark.parametrize("case", ["html", "html error", "truncated body", "cut json",
                                  "not the log", "unreachable"])
def test_an_answer_that_is_not_the_log_exits_2(served, tmp_path, capsys, case):
    page = b"<!doctype html><html><body>Welcome</body></html>"
    meta = real(served, "/api/v1/audit")
    entries = real(served, "/api/v1/audit/entries?limit=1000")
    answers = {
        "html": {"*": (200, "text/html; charset=utf-8", page, None)},
        "html error": {"*": (502, "text/html", page, None)},
        "truncated body": {"/api/v1/audit": (200, "application/json", meta, None),
                           "*": (200, "application/json", entries[:500], len(entries))},
        "cut json": {"/api/v1/audit": (200, "application/json", meta, None),
                     "*": (200, "application/json", entries[:500], None)},
        "not the log": {"*": (200, "application/json", b'{"status": "ok"}', None)},
    }
    state = tmp_path / "state.json"
    if case == "unreachable":
        code = verifier().main([f"http://127.0.0.1:{free_port()}", "--state", str(state),
                                "--timeout", "5"])
    else:
        with stub(answers[case]) as base:
            code = verifier().main([base, "--state", str(state), "--timeout", "10"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("ERROR: "), err
    says = {"html": "answered text/html", "html error": "answered HTTP 502",
            "truncated body": "cut off", "cut json": "not complete JSON",
            "not the log": "not a Hromada audit log", "unreachable": "could not be read"}
    assert says[case] in err
    assert not state.exists()


def test_a_url_that_is_no_deployment_is_refused(capsys):
    assert verifier().main(["ftp://example.org"]) == 2
    assert "not an http(s) address" in capsys.readouterr().err


def test_the_checker_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(VERIFIER.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names) | {"cryptography"}
