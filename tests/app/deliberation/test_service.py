"""Comments, reports, auto-hide, decisions, appeals and blocks, through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.deliberation import service
from app.deliberation.models import (
    COMMENT,
    CaseState,
    Comment,
    CommentCreate,
    CommentOrder,
    CommentState,
    Decision,
)
from app.exceptions import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from app.notifications.models import Message
from petitions.service import signing
from tests.factories import make_official, make_resident, make_user

PETITION = "petition"


def comment(db, user, subject_id, body="Підтримую: перехід потрібен дітям.", parent_id=None):
    return service.add_comment(db, user, PETITION, subject_id,
                               CommentCreate(body=body, parent_id=parent_id))


def actions(db) -> list[str]:
    return [e.action for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_comments_and_replies_one_level_deep(db, world):
    top = comment(db, world.resident, world.petition.id)
    reply = comment(db, world.author, world.petition.id, "Дякую!", parent_id=top.id)
    db.refresh(top)
    assert top.reply_count == 1
    with pytest.raises(InvalidInput) as refused:
        comment(db, world.resident, world.petition.id, "Відповідь на відповідь",
                parent_id=reply.id)
    assert "parent_id" in refused.value.fields
    page = service.discussion(db, None, PETITION, world.petition.id)
    assert [v.comment.id for v in page.threads] == [top.id]
    assert [v.comment.id for v in page.threads[0].replies] == [reply.id]
    assert "deliberation.commented" in actions(db)


def test_an_item_without_anchors_voices_or_choices_takes_plain_named_comments(db, world):
    """A petition's space declares no anchors, no voices and only named publication: an
    anchor asked for is not kept, any other publication or a voice is refused."""
    written = service.add_comment(db, world.resident, PETITION, world.petition.id,
                                  CommentCreate(body="Підтримую.", anchor_id=7))
    assert (written.anchor_id, written.voice_id, written.publication) == (None, None, "named")
    with pytest.raises(InvalidInput) as refused:
        service.add_comment(db, world.resident, PETITION, world.petition.id,
                            CommentCreate(body="Анонімно.", publication="anonymous"))
    assert "publication" in refused.value.fields
    with pytest.raises(Forbidden):
        service.add_comment(db, world.resident, PETITION, world.petition.id,
                            CommentCreate(body="Від організації.", voice_id=1))
    page = service.discussion(db, None, PETITION, world.petition.id, anchor_id=7)
    assert [v.comment.id for v in page.threads] == [written.id]  # no such anchor: all
    assert page.anchors == {} and page.voices == {} and page.publications == ("named",)
    assert service.public_comment(page.threads[0])["author"] is not None


def test_an_official_comments_for_their_authority(db, world):
    official = make_official(db, world.place, world.place.department)
    written = comment(db, official, world.petition.id, "Управління розгляне питання.")
    assert written.authority_id == world.place.department.id
    page = service.discussion(db, None, PETITION, world.petition.id, lang="en")
    assert page.threads[0].authority == world.place.department.name_en


@pytest.mark.parametrize("body", ["", " ", "x", "я" * 4001])
def test_empty_or_too_long_comments_are_refused(db, world, body):
    with pytest.raises(InvalidInput) as refused:
        comment(db, world.resident, world.petition.id, body)
    assert "body" in refused.value.fields
    assert db.exec(select(Comment)).all() == []


def test_who_may_comment_is_a_rule(db, world):
    stranger = make_user(db)  # a confirmed e-mail, no residency
    with pytest.raises(Forbidden):
        comment(db, stranger, world.petition.id)
    with pytest.raises(NotAuthenticated):
        comment(db, None, world.petition.id)
    with pytest.raises(NotFound):
        comment(db, world.resident, 999_999)


def test_no_comments_on_a_closed_petition(db, world, clock):
    from app import clock as app_clock

    clock.set(app_clock.aware(world.petition.collection_ends_at) + timedelta(minutes=1))
    with pytest.raises(Conflict):
        comment(db, world.resident, world.petition.id)


def test_most_supported_first_and_one_support_each(db, world):
    first = comment(db, world.resident, world.petition.id, "Перший коментар")
    second = comment(db, world.author, world.petition.id, "Другий коментар")
    service.support(db, world.resident, second.id)
    with pytest.raises(Conflict):
        service.support(db, world.resident, second.id)
    with pytest.raises(Conflict):
        service.support(db, world.author, second.id)  # one's own
    page = service.discussion(db, None, PETITION, world.petition.id,
                              order=CommentOrder.supported)
    assert [v.comment.id for v in page.threads] == [second.id, first.id]
    newest = service.discussion(db, None, PETITION, world.petition.id, limit=1)
    assert [v.comment.id for v in newest.threads] == [second.id] and newest.has_more


def test_reports_hide_pending_review_then_keep_or_hide_and_appeal(db, world):
    written = comment(db, world.author, world.petition.id, "Сусід з квартири 5 — шахрай!")
    with pytest.raises(Conflict):  # one's own
        service.report(db, world.author, COMMENT, written.id, "offensive")
    case = service.report(db, world.resident, COMMENT, written.id, "offensive")
    assert case.report_count == 1 and not case.hidden
    with pytest.raises(Conflict):  # a second report of the same
        service.report(db, world.resident, COMMENT, written.id, "spam")
    case = service.report(db, make_resident(db, world.place), COMMENT, written.id, "spam")
    db.refresh(written)
    assert case.hidden and case.state == CaseState.pending  # the rules' 2 reports
    assert written.state == CommentState.pending
    assert "deliberation.hidden_by_reports" in actions(db)
    assert [i.case.id for i in service.queue(db, world.moderator, world.place.community.id)
            ] == [case.id]
    with pytest.raises(Forbidden):
        service.queue(db, world.resident, world.place.community.id)
    with pytest.raises(InvalidInput):  # hiding needs a public reason
        service.decide(db, world.moderator, case.id, Decision.hide, "")
    service.decide(db, world.moderator, case.id, Decision.hide, "Образа іншого мешканця.")
    db.refresh(written)
    assert written.state == CommentState.hidden
    assert written.public_reason == "Образа іншого мешканця."
    told = db.exec(select(Message).where(Message.user_id == world.author.id)).all()
    assert any("Образа іншого мешканця." in m.body for m in told)
    with pytest.raises(Forbidden):
        service.appeal(db, world.resident, case.id, "Це не мій коментар, але він чесний.")
    service.appeal(db, world.author, case.id, "Я назвав факт, а не образив; прошу повернути.")
    with pytest.raises(Conflict):
        service.appeal(db, world.author, case.id, "І ще раз прошу переглянути рішення.")
    with pytest.raises(Conflict):  # another moderator decides the appeal
        service.decide(db, world.moderator, case.id, Decision.keep)
    other = make_moderator_of(db, world)
    service.decide(db, other, case.id, Decision.redact, "Прибрано номер квартири.")
    db.refresh(written)
    assert written.state == CommentState.redacted and written.body == ""
    assert service.case_for(db, world.author, case.id).state == CaseState.closed
    with pytest.raises(Conflict):
        service.appeal(db, world.author, case.id, "Прошу ще раз переглянути рішення.")
    assert {"deliberation.decided", "deliberation.appealed"} <= set(actions(db))


def make_moderator_of(db, world):
    from tests.factories import make_moderator

    return make_moderator(db, world.place)


def test_a_petition_itself_may_be_reported(db, world):
    case = service.report(db, world.resident, PETITION, world.petition.id, "off_topic")
    assert case.subject_type == PETITION and case.author_id == world.author.id
    assert not service.is_hidden(db, PETITION, world.petition.id)
    service.report(db, make_resident(db, world.place), PETITION, world.petition.id, "spam")
    assert service.is_hidden(db, PETITION, world.petition.id)
    db.refresh(world.petition)
    assert world.petition.hidden_by_moderation  # the module withholds its text meanwhile
    from petitions.service import reading

    assert reading.detail(db, None, world.petition.id).show_text is False
    assert reading.detail(db, world.author, world.petition.id).show_text is True
    with pytest.raises(InvalidInput):  # only a comment's text is redacted here
        service.decide(db, world.moderator, case.id, Decision.redact, "Персональні дані.")
    service.decide(db, world.moderator, case.id, Decision.keep)
    assert not service.is_hidden(db, PETITION, world.petition.id)
    db.refresh(world.petition)
    assert not world.petition.hidden_by_moderation


def test_a_blocked_account_keeps_its_signature_but_cannot_act(db, world, clock):
    signing.sign(db, world.resident, world.petition.id)
    service.block(db, world.moderator, world.place.community.id, world.resident.id,
                  "Розсилав спам у коментарях.", 7)
    with pytest.raises(Conflict):
        service.block(db, world.moderator, world.place.community.id, world.resident.id,
                      "Ще раз, те саме порушення.", 7)
    db.refresh(world.petition)
    assert world.petition.signature_count == 1  # valid when cast
    with pytest.raises(Forbidden) as refused:
        comment(db, world.resident, world.petition.id)
    assert "Розсилав спам" in refused.value.text()
    with pytest.raises(Forbidden):
        signing.withdraw(db, world.resident, world.petition.id)
    with pytest.raises(Forbidden):
        service.report(db, world.resident, PETITION, world.petition.id, "spam")
    listed = service.blocks(db, world.moderator, world.place.community.id)
    assert [b.user_id for b, _name in listed] == [world.resident.id]
    with pytest.raises(Forbidden):
        service.block(db, world.resident, world.place.community.id, world.author.id,
                      "Не подобається мені.", 1)
    clock.advance(days=8)
    comment(db, world.resident, world.petition.id)  # the block has ended
    assert "deliberation.blocked" in actions(db)


def test_a_block_for_good_and_its_lifting(db, world):
    found = service.block(db, world.moderator, world.place.community.id, world.author.id,
                          "Погрози іншим мешканцям.", None)
    assert found.ends_at is None
    with pytest.raises(Forbidden):
        comment(db, world.author, world.petition.id)
    service.lift_block(db, world.moderator, found.id)
    comment(db, world.author, world.petition.id)


def test_disposable_mailboxes_are_refused_at_registration(db, tmp_path, monkeypatch):
    from app.identity import service as identity
    from app.settings import get_settings

    def register(email):
        return identity.register(db, identity.Registration(
            email=email, password="a-long-passphrase-9", display_name="Тимчасова Пошта"))

    for email in ("someone@mailinator.com", "x@sub.yopmail.com"):
        with pytest.raises(InvalidInput) as refused:
            register(email)
        assert "email" in refused.value.fields
    operator = tmp_path / "disposable.txt"
    operator.write_text("# ours\nthrowaway.example\n", encoding="utf-8")
    monkeypatch.setattr(get_settings(), "disposable_domains_file", str(operator))
    with pytest.raises(InvalidInput):
        register("a@throwaway.example")
    assert register("a@keeps.example").email == "a@keeps.example"


def test_a_digest_is_off_by_default_and_gathers_what_one_follows(db, world, clock):
    from app.deliberation import digests
    from app.deliberation.models import DigestFrequency

    assert digests.frequency_of(db, world.resident) == DigestFrequency.off
    top = comment(db, world.resident, world.petition.id, "Чи буде світлофор?")  # follows it
    digests.choose(db, world.resident, "daily")
    with pytest.raises(InvalidInput):
        digests.choose(db, world.resident, "hourly")
    clock.advance(hours=2)
    comment(db, world.author, world.petition.id, "Так, і острівець безпеки.", parent_id=top.id)
    comment(db, make_resident(db, world.place), world.petition.id, "Підтримую петицію.")
    assert digests.send_due(db) == 0  # not a day yet
    clock.advance(days=1)
    assert digests.send_due(db) == 1
    mail = db.exec(select(Message).where(Message.user_id == world.resident.id,
                                         Message.dedupe_key.like("digest:%"))).one()
    assert f"#comment-{top.id + 1}" in mail.body and "/discussions/petition/" in mail.body
    clock.advance(days=1)
    assert digests.send_due(db) == 0  # nothing new: no e-mail


def test_the_right_of_access_and_erasure_cover_deliberation(db, world):
    from app.deliberation import digests
    from app.privacy import service as privacy

    comment(db, world.resident, world.petition.id, "Мій коментар про перехід.")
    digests.choose(db, world.resident, "weekly")
    data = privacy.export(db, world.resident)["deliberation"]
    assert [c["body"] for c in data["comments"]] == ["Мій коментар про перехід."]
    assert data["digest"] == "weekly"
    privacy.erase_account(db, world.resident)
    assert digests.frequency_of(db, world.resident).value == "off"
    page = service.discussion(db, None, PETITION, world.petition.id)
    assert page.threads[0].author is None  # kept in its thread, under no name
