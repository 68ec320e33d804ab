"""Uploaded files, behind one small interface: `put`, `read`, `remove`.

Two backends, chosen by the setting `storage_backend`:

- "database": the bytes in the `stored_file` table (bytea on PostgreSQL), so every app node
  reads what any node stored, with no shared disk; a file weighs at most `storage_max_bytes`
  (and never more than the table's hard limit).
- "disk": files under `upload_dir/<namespace>/`, for `make run` on SQLite (one node).
- "auto" (the default): the database on PostgreSQL, the disk on SQLite.

Both follow the caller's transaction: what `put` wrote disappears again when the transaction
rolls back, and what `remove` removes goes only when it commits, so a failed request leaves no
file behind and a successful one no dangling reference. Keys are random (`<32 hex>.<ext>`);
the original file name, if any, is the caller's to keep. A caller keeps the key in its own row
and serves the bytes itself (as a download or an image), with the content type it checked.

On the database backend a key that has no row is looked up on the disk too, so files a disk
deployment stored before it moved to PostgreSQL stay readable.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.exceptions import InvalidInput, NotFound
from app.settings import get_settings
from app.storage import repository as repo
from app.storage.models import HARD_LIMIT
from app.web.i18n import N_

__all__ = ["backend", "limit_bytes", "put", "read", "remove"]

_NAMESPACE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_KEY = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,5}")
# session.info keys: the disk files this transaction wrote, and those it removes on commit
_WRITTEN = "storage_written"
_DOOMED = "storage_doomed"


def backend(session: Session) -> str:
    """"database" or "disk", for the session's database."""
    chosen = get_settings().storage_backend
    if chosen != "auto":
        return chosen
    return "database" if session.get_bind().dialect.name == "postgresql" else "disk"


def limit_bytes() -> int:
    """The most one stored file may weigh."""
    return min(get_settings().storage_max_bytes, HARD_LIMIT)


def _checked(namespace: str, key: str | None = None) -> None:
    if not _NAMESPACE.fullmatch(namespace) or (key is not None and not _KEY.fullmatch(key)):
        raise ValueError(f"not a storage name: {namespace!r} {key!r}")


def _path(namespace: str, key: str) -> Path:
    return Path(get_settings().upload_dir) / namespace / key


def put(session: Session, namespace: str, data: bytes, *, ext: str,
        content_type: str = "application/octet-stream") -> str:
    """Store the bytes under a new random key and return it. InvalidInput (the form's "file"
    field) when the file is larger than the store takes."""
    _checked(namespace)
    if not re.fullmatch(r"[a-z0-9]{1,5}", ext):
        raise ValueError(f"not an extension: {ext!r}")
    limit = limit_bytes()
    if len(data) > limit:
        message = N_("The file is too large (at most {mb} MB).")
        raise InvalidInput(message, fields={"file": message}, mb=limit // (1024 * 1024))
    key = f"{secrets.token_hex(16)}.{ext}"
    if backend(session) == "database":
        repo.insert(session, namespace, key, content_type, data)
        session.flush()
        return key
    session.connection()  # the transaction the file's fate follows has begun
    path = _path(namespace, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as fh:
        fh.write(data)
    session.info.setdefault(_WRITTEN, []).append(path)
    return key


def read(session: Session, namespace: str, key: str) -> bytes:
    """The bytes stored under the key; NotFound when there are none."""
    try:
        _checked(namespace, key)
    except ValueError:
        raise NotFound(N_("The file is missing.")) from None
    if backend(session) == "database":
        data = repo.data_of(session, namespace, key)
        if data is not None:
            return bytes(data)
    try:
        return _path(namespace, key).read_bytes()
    except OSError:
        raise NotFound(N_("The file is missing.")) from None


def remove(session: Session, namespace: str, key: str) -> None:
    """Remove the file when the transaction commits (nothing when there is none)."""
    try:
        _checked(namespace, key)
    except ValueError:
        return
    session.connection()
    if backend(session) == "database":
        repo.delete_file(session, namespace, key)
    # On the disk (either backend: a file stored before a move to the database), once committed.
    session.info.setdefault(_DOOMED, []).append(_path(namespace, key))


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_rollback(session: OrmSession, previous) -> None:
    if previous.parent is not None:  # a savepoint inside the transaction: not the end of it
        return
    session.info.pop(_DOOMED, None)
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)
