"""A test browser: keeps cookies, adds the CSRF token to forms, logs people in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.web.middleware import CSRF_COOKIE, csrf_token_for

TOKEN_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class Browser(TestClient):
    def __init__(self, app, db: Session):
        super().__init__(app, base_url="http://testserver", follow_redirects=False)
        self.db = db
        self.user = None

    def request(self, *args, **kwargs):
        # The test's setup still unflushed is written before the request, as a commit of
        # another process would be: a page the cache answers without any session sees it too.
        if self.db.new or self.db.dirty or self.db.deleted:
            self.db.flush()
        return super().request(*args, **kwargs)

    def csrf(self) -> str:
        if not self.cookies.get(CSRF_COOKIE):
            self.get("/healthz")
        return csrf_token_for(self.cookies.get(CSRF_COOKIE))

    def submit(self, url: str, data: dict | None = None, *, htmx: bool = False,
               csrf: bool = True, **kwargs):
        """POST a form as the page would: with the CSRF token (unless csrf=False)."""
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", {}) or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data, headers=headers, **kwargs)

    def login(self, user) -> Browser:
        """Log in directly through the identity service (the login form has its own tests)."""
        from app.identity import service as identity_service
        from app.web.auth import SESSION_COOKIE

        raw = identity_service.start_session(self.db, user)
        self.db.flush()
        self.cookies.set(SESSION_COOKIE, raw)
        self.user = user
        return self

    def api(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}
