"""A route's write intent: its method says it, or it declares it (a GET that writes begins with
the write lock like a form post, instead of upgrading a read snapshot)."""

from __future__ import annotations

from app.identity.views import router
from app.web.deps import Route


def test_the_email_confirmation_link_begins_as_a_writer():
    routes = {(r.path, tuple(sorted(r.methods))): r for r in router.routes
              if isinstance(r, Route)}
    assert routes[("/verify-email", ("GET",))].writes
    assert not routes[("/login", ("GET",))].writes
    assert routes[("/login", ("POST",))].writes
