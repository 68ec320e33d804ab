"""Commenting and reporting are rate limited, as pages and through the API: 429 with
Retry-After and the translated message, and nothing written."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.deliberation import service as deliberation
from app.deliberation.models import Comment, CommentCreate, Report
from app.identity import service as identity
from app.web import ratelimit
from app.web.i18n import current_language, gettext
from tests.factories import make_community, make_resident
from tests.petitions.factories import make_petition
from tests.safety.test_web_security import fetch

CASES = [
    ("/discussions/petition/{petition}", "comment", {"body": "Ще один коментар."}),
    ("/api/v1/petitions/{petition}/comments", "comment", {"body": "Ще один коментар."}),
    ("/comments/{comment}/report", "report", {"reason": "spam"}),
    ("/api/v1/comments/{comment}/reports", "report", {"reason": "spam"}),
]


@pytest.mark.parametrize("path, action, body", CASES, ids=[c[0] for c in CASES])
def test_commenting_and_reporting_are_rate_limited(client, db, rate_limits, monkeypatch, path,
                                                   action, body):
    for name in ("rate_comment", "rate_comment_ip", "rate_report", "rate_report_ip"):
        monkeypatch.setattr(rate_limits, name, "0/60")  # nothing allowed: the first is refused
    place = make_community(db)
    petition = make_petition(db, place, "open")
    comment = deliberation.add_comment(db, make_resident(db, place), "petition", petition.id,
                                       CommentCreate(body="Перший коментар."))
    person = make_resident(db, place)
    client.login(person)
    _, raw = identity.create_token(db, person, "limits")
    db.commit()
    url = path.format(petition=petition.id, comment=comment.id)
    if url.startswith("/api/"):
        response = fetch(client, "POST", url, json=body,
                         headers={"Authorization": f"Bearer {raw}"})
    else:
        response = fetch(client, "POST", url, data={**body, "csrf_token": client.csrf()})
    assert response.status_code == 429, response.text[:300]
    assert int(response.headers["Retry-After"]) > 0
    token = current_language.set("uk")
    try:
        assert gettext(ratelimit.MESSAGES[action]) in response.text
    finally:
        current_language.reset(token)
    assert len(db.exec(select(Comment)).all()) == 1
    assert db.exec(select(Report)).all() == []
