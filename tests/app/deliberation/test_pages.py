"""The pages of deliberation without JavaScript (POST, 303) and with htmx (the `comments`
fragment): comment, reply, support, report, the queue and its decision, appeal, block."""

from __future__ import annotations

from sqlmodel import select

from app.deliberation.models import Case, Comment, CommentState
from tests.factories import make_resident


def test_comment_without_javascript_and_with_htmx(client, db, world):
    client.login(world.resident)
    url = f"/discussions/petition/{world.petition.id}"
    answer = client.submit(url, {"body": "<script>alert(1)</script> Потрібен перехід!"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/petitions/{world.petition.id}#comment-")
    page = client.get(f"/petitions/{world.petition.id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Потрібен перехід!" in page.text
    assert "<script>alert(1)" not in page.text
    fragment = client.submit(url, {"body": "Ще один коментар."}, htmx=True,
                             headers={"HX-Target": "comments"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="comments"')
    assert "Ще один коментар." in fragment.text and "<html" not in fragment.text


def test_bad_comments_are_refused_with_a_message_and_nothing_written(client, db, world):
    client.login(world.resident)
    url = f"/discussions/petition/{world.petition.id}"
    for body in ("", "x" * 100_001):
        answer = client.submit(url, {"body": body})
        assert answer.status_code == 422, body[:10]
        assert 'aria-invalid="true"' in answer.text or "too long" in answer.text.lower() \
            or "довг" in answer.text
    top = db.exec(select(Comment)).all()
    assert top == []
    first = client.submit(url, {"body": "Перший коментар."})
    assert first.status_code == 303
    parent = db.exec(select(Comment)).one()
    reply = client.submit(url, {"body": "Відповідь.", "parent_id": str(parent.id)})
    assert reply.status_code == 303
    child = db.exec(select(Comment).where(Comment.parent_id == parent.id)).one()
    deeper = client.submit(url, {"body": "Глибше.", "parent_id": str(child.id)})
    assert deeper.status_code == 422
    anonymous = client.__class__(client.app, db)
    assert anonymous.submit(url, {"body": "Анонім."}).status_code in (401, 303)


def test_report_auto_hide_review_appeal_and_block_through_pages(make_client, db, world):
    author, first, second = make_client(), make_client(), make_client()
    author.login(world.author)
    author.submit(f"/discussions/petition/{world.petition.id}",
                  {"body": "Сусід з квартири 5 — шахрай!"})
    written = db.exec(select(Comment)).one()
    first.login(world.resident)
    assert first.submit(f"/comments/{written.id}/report",
                        {"reason": "offensive"}).status_code == 303
    assert first.submit(f"/comments/{written.id}/report",
                        {"reason": "spam"}).status_code == 409
    second.login(make_resident(db, world.place))
    second.submit(f"/comments/{written.id}/report", {"reason": "personal_data"})
    db.refresh(written)
    assert written.state == CommentState.pending
    page = first.get(f"/petitions/{world.petition.id}")
    assert "Сусід з квартири 5" not in page.text
    moderator = make_client()
    moderator.login(world.moderator)
    slug = world.place.community.slug
    queue = moderator.get(f"/communities/{slug}/moderation")
    assert queue.status_code == 200 and "Сусід з квартири 5" in queue.text
    assert first.get(f"/communities/{slug}/moderation").status_code == 403
    case = db.exec(select(Case)).one()
    refused = moderator.submit(f"/moderation/cases/{case.id}", {"decision": "hide"})
    assert refused.status_code == 422
    done = moderator.submit(f"/moderation/cases/{case.id}",
                            {"decision": "hide", "reason": "Образа іншого мешканця."})
    assert done.status_code == 303
    assert "Образа іншого мешканця." in author.get(f"/petitions/{world.petition.id}").text
    mine = author.get(f"/moderation/cases/{case.id}")
    assert mine.status_code == 200 and 'name="text"' in mine.text
    assert first.get(f"/moderation/cases/{case.id}").status_code == 404
    appealed = author.submit(f"/moderation/cases/{case.id}/appeal",
                             {"text": "Я назвав факт, а не образив; прошу повернути."})
    assert appealed.status_code == 303
    assert author.submit(f"/moderation/cases/{case.id}/appeal",
                         {"text": "Ще раз прошу переглянути рішення."}).status_code == 409
    blocked = moderator.submit(f"/communities/{slug}/blocks", {
        "user_id": str(world.author.id), "reason": "Образи сусідів у коментарях.",
        "days": "7"})
    assert blocked.status_code == 303
    listing = moderator.get(f"/communities/{slug}/blocks")
    assert "Образи сусідів у коментарях." in listing.text
    refused = author.submit(f"/discussions/petition/{world.petition.id}",
                            {"body": "Я знову тут."})
    assert refused.status_code == 403 and "Образи сусідів" in refused.text
