"""A GET that writes declares it, so SQLite begins it with the write lock instead of upgrading
a read snapshot (which fails when another writer committed in between)."""

from __future__ import annotations

from app.identity.views import router
from app.web.deps import TransactionalRoute


def test_the_email_confirmation_link_begins_as_a_writer():
    routes = {r.path: r for r in router.routes if isinstance(r, TransactionalRoute)}
    assert routes["/verify-email"].always_writes
    assert not routes["/login"].always_writes
