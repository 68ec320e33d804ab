"""Every query of the consultations module."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, update
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from app.communities.models import Authority, Community, Staff, StaffRole
from app.deliberation.models import Comment, CommentState
from app.identity.models import User
from consultations.models import (
    SUBJECT_TYPE,
    Category,
    Consultation,
    ConsultationAnswer,
    ConsultationAttachment,
    ConsultationInvitation,
    ConsultationOption,
    ConsultationOrganisation,
    ConsultationOrganisationMember,
    ConsultationQuestion,
    ConsultationRating,
    ConsultationReport,
    ConsultationReportItem,
    ConsultationResponse,
    ConsultationSection,
    ConsultationStatement,
    ConsultationVote,
    MemberStatus,
    Publication,
    Status,
)

# -- counters -----------------------------------------------------------------------------


def bump(session: Session, model, row_id: int, **deltas: int) -> None:
    """Atomic `SET n = n + delta` on one row; the in-memory copy is expired, not guessed."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    table = model.__table__.c
    values = {name: table[name] + delta for name, delta in deltas.items()}
    session.exec(update(model).where(model.id == row_id).values(**values)
                 .execution_options(synchronize_session=False))
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        session.expire(loaded, list(deltas))


def _all_of(session: Session, model, consultation_id: int, *order) -> list:
    """Every row of `model` that belongs to the consultation, in `order`."""
    return list(session.exec(select(model).where(model.consultation_id == consultation_id)
                             .order_by(*order)))


# -- consultations ------------------------------------------------------------------------


def consultation(session: Session, consultation_id: int) -> Consultation | None:
    return session.get(Consultation, consultation_id)


def listing(session: Session, *, community_id: int | None, phase: str | None,
            now: datetime, draft_authority_ids: Iterable[int] = (), offset: int = 0,
            limit: int = 20) -> tuple[list[Consultation], int]:
    """Published (and reported) consultations, plus drafts of the given authorities."""
    visible = Consultation.status != Status.draft
    drafts = list(draft_authority_ids)
    if drafts:
        visible = or_(visible, Consultation.authority_id.in_(drafts))
    query = select(Consultation).where(visible)
    if community_id is not None:
        query = query.where(Consultation.community_id == community_id)
    published = Consultation.status == Status.published
    if phase == "draft":
        query = query.where(Consultation.status == Status.draft)
    elif phase == "scheduled":
        query = query.where(published, Consultation.starts_at > now)
    elif phase == "open":
        query = query.where(published, Consultation.starts_at <= now, Consultation.ends_at > now)
    elif phase == "closed":
        query = query.where(published, Consultation.ends_at <= now)
    elif phase == "reported":
        query = query.where(Consultation.status == Status.reported)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Consultation.ends_at.desc(), Consultation.id.desc())
                        .offset(offset).limit(limit))
    return list(rows), total


def expired_unclosed(session: Session, now: datetime) -> list[Consultation]:
    query = (select(Consultation)
             .where(Consultation.status == Status.published, Consultation.ends_at <= now,
                    Consultation.closed_at.is_(None))
             .order_by(Consultation.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def published_with_places(session: Session) -> list[tuple[Consultation, str, str]]:
    """(consultation, community's address name, authority's name) of every published or
    reported consultation, by id: the open data."""
    rows = session.exec(select(Consultation, Community.slug, Authority.name)
                        .join(Community, Community.id == Consultation.community_id)
                        .join(Authority, Authority.id == Consultation.authority_id)
                        .where(Consultation.status != Status.draft)
                        .order_by(Consultation.id))
    return [(c, slug, name) for c, slug, name in rows]


def ended_option_counts(session: Session, now: datetime) -> list[tuple]:
    """Every option's counter of every question of every consultation that has ended, with
    its consultation, community and question, in questionnaire order: the open data."""
    q, o = ConsultationQuestion, ConsultationOption
    return list(session.exec(
        select(Consultation.id, Community.slug, Consultation.title, q.id, q.position, q.kind,
               q.prompt, q.answer_count, o.id, o.position, o.label, o.count)
        .join(Community, Community.id == Consultation.community_id)
        .join(q, q.consultation_id == Consultation.id)
        .join(o, o.question_id == q.id)
        .where(Consultation.status != Status.draft, Consultation.ends_at <= now)
        .order_by(Consultation.id, q.position, q.id, o.position, o.id)).all())


# -- sections -----------------------------------------------------------------------------


def sections(session: Session, consultation_id: int) -> list[ConsultationSection]:
    return _all_of(session, ConsultationSection, consultation_id, ConsultationSection.number)


def section(session: Session, section_id: int) -> ConsultationSection | None:
    return session.get(ConsultationSection, section_id)


def delete_sections(session: Session, consultation_id: int) -> None:
    session.exec(delete(ConsultationSection)
                 .where(ConsultationSection.consultation_id == consultation_id))


def most_discussed(session: Session, consultation_id: int, limit: int = 5
                   ) -> list[ConsultationSection]:
    return list(session.exec(
        select(ConsultationSection)
        .where(ConsultationSection.consultation_id == consultation_id,
               ConsultationSection.comment_count > 0)
        .order_by(ConsultationSection.comment_count.desc(), ConsultationSection.number)
        .limit(limit)))


# -- questions ----------------------------------------------------------------------------


def questions(session: Session, consultation_id: int) -> list[ConsultationQuestion]:
    return _all_of(session, ConsultationQuestion, consultation_id,
                   ConsultationQuestion.position, ConsultationQuestion.id)


def question(session: Session, question_id: int) -> ConsultationQuestion | None:
    return session.get(ConsultationQuestion, question_id)


def options_for(session: Session, question_ids: list[int]
                ) -> dict[int, list[ConsultationOption]]:
    out: dict[int, list[ConsultationOption]] = {qid: [] for qid in question_ids}
    if question_ids:
        for option in session.exec(
                select(ConsultationOption)
                .where(ConsultationOption.question_id.in_(question_ids))
                .order_by(ConsultationOption.question_id, ConsultationOption.position)):
            out[option.question_id].append(option)
    return out


def next_question_position(session: Session, consultation_id: int) -> int:
    top = session.exec(select(func.max(ConsultationQuestion.position))
                       .where(ConsultationQuestion.consultation_id == consultation_id)).one()
    return (top or 0) + 1


def delete_question(session: Session, question_id: int) -> None:
    options = select(ConsultationOption.id).where(ConsultationOption.question_id == question_id)
    session.exec(update(ConsultationQuestion)
                 .where(ConsultationQuestion.condition_option_id.in_(options))
                 .values(condition_option_id=None)
                 .execution_options(synchronize_session=False))
    session.exec(delete(ConsultationOption)
                 .where(ConsultationOption.question_id == question_id))
    session.exec(delete(ConsultationQuestion).where(ConsultationQuestion.id == question_id))


# -- attachments --------------------------------------------------------------------------


def attachments(session: Session, consultation_id: int) -> list[ConsultationAttachment]:
    return _all_of(session, ConsultationAttachment, consultation_id, ConsultationAttachment.id)


def attachment(session: Session, attachment_id: int) -> ConsultationAttachment | None:
    return session.get(ConsultationAttachment, attachment_id)


def delete_attachment(session: Session, attachment_id: int) -> None:
    session.exec(delete(ConsultationAttachment)
                 .where(ConsultationAttachment.id == attachment_id))


# -- organisations ------------------------------------------------------------------------


def organisation(session: Session, organisation_id: int) -> ConsultationOrganisation | None:
    return session.get(ConsultationOrganisation, organisation_id)


def organisations_of(session: Session, user_id: int) -> list[ConsultationOrganisation]:
    return list(session.exec(select(ConsultationOrganisation)
                             .where(ConsultationOrganisation.user_id == user_id)
                             .order_by(ConsultationOrganisation.name)))


def organisations_acted_for(session: Session, user_id: int) -> list[ConsultationOrganisation]:
    """Those the person registered, and those whose contact confirmed them as a member."""
    member = (select(ConsultationOrganisationMember.organisation_id)
              .where(ConsultationOrganisationMember.user_id == user_id,
                     ConsultationOrganisationMember.status == MemberStatus.confirmed))
    return list(session.exec(select(ConsultationOrganisation)
                             .where(or_(ConsultationOrganisation.user_id == user_id,
                                        ConsultationOrganisation.id.in_(member)))
                             .order_by(ConsultationOrganisation.name,
                                       ConsultationOrganisation.id)))


def member(session: Session, organisation_id: int, user_id: int
           ) -> ConsultationOrganisationMember | None:
    return session.exec(select(ConsultationOrganisationMember).where(
        ConsultationOrganisationMember.organisation_id == organisation_id,
        ConsultationOrganisationMember.user_id == user_id)).first()


def is_member(session: Session, organisation_id: int, user_id: int) -> bool:
    return member(session, organisation_id, user_id) is not None


def is_confirmed_member(session: Session, organisation_id: int, user_id: int) -> bool:
    found = member(session, organisation_id, user_id)
    return found is not None and found.status == MemberStatus.confirmed


def members(session: Session, organisation_id: int
            ) -> list[tuple[ConsultationOrganisationMember, str | None]]:
    return [(m, name) for m, name in session.exec(
        select(ConsultationOrganisationMember, User.display_name)
        .join(User, User.id == ConsultationOrganisationMember.user_id)
        .where(ConsultationOrganisationMember.organisation_id == organisation_id)
        .order_by(ConsultationOrganisationMember.id))]


def register(session: Session, community_id: int) -> list[ConsultationOrganisation]:
    """The verified organisations of a community: its public register."""
    return list(session.exec(select(ConsultationOrganisation)
                             .where(ConsultationOrganisation.community_id == community_id,
                                    ConsultationOrganisation.verified.is_(True))
                             .order_by(ConsultationOrganisation.name,
                                       ConsultationOrganisation.id)))


def organisations_by_ids(session: Session, ids: Iterable[int]
                         ) -> list[ConsultationOrganisation]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(ConsultationOrganisation)
                             .where(ConsultationOrganisation.id.in_(ids))
                             .order_by(ConsultationOrganisation.id)))


# -- invitations --------------------------------------------------------------------------


def invitation(session: Session, consultation_id: int, organisation_id: int
               ) -> ConsultationInvitation | None:
    return session.exec(select(ConsultationInvitation).where(
        ConsultationInvitation.consultation_id == consultation_id,
        ConsultationInvitation.organisation_id == organisation_id)).first()


def invitations(session: Session, consultation_id: int
                ) -> list[tuple[ConsultationInvitation, ConsultationOrganisation]]:
    return [(i, o) for i, o in session.exec(
        select(ConsultationInvitation, ConsultationOrganisation)
        .join(ConsultationOrganisation,
              ConsultationOrganisation.id == ConsultationInvitation.organisation_id)
        .where(ConsultationInvitation.consultation_id == consultation_id)
        .order_by(ConsultationOrganisation.name, ConsultationOrganisation.id))]


def calls_for_evidence(session: Session, authority_ids: list[int]) -> list[Consultation]:
    if not authority_ids:
        return []
    return list(session.exec(select(Consultation).where(
        Consultation.authority_id.in_(authority_ids), Consultation.stage == "evidence",
        Consultation.status != Status.draft).order_by(Consultation.id.desc()).limit(50)))


def evidence_followers(session: Session, evidence_id: int) -> list[Consultation]:
    """The consultations on a draft that follow a call for evidence."""
    return list(session.exec(select(Consultation).where(Consultation.evidence_id == evidence_id)
                             .order_by(Consultation.id)))


# -- the opinion map ----------------------------------------------------------------------


def statement(session: Session, statement_id: int) -> ConsultationStatement | None:
    return session.get(ConsultationStatement, statement_id)


def statement_by_key(session: Session, consultation_id: int, key: str
                     ) -> ConsultationStatement | None:
    return session.exec(select(ConsultationStatement).where(
        ConsultationStatement.consultation_id == consultation_id,
        ConsultationStatement.body_key == key)).first()


def statements(session: Session, consultation_id: int) -> list[ConsultationStatement]:
    return list(session.exec(select(ConsultationStatement)
                             .where(ConsultationStatement.consultation_id == consultation_id,
                                    ConsultationStatement.hidden_at.is_(None))
                             .order_by(ConsultationStatement.id)))


def vote(session: Session, statement_id: int, user_id: int) -> ConsultationVote | None:
    return session.exec(select(ConsultationVote).where(
        ConsultationVote.statement_id == statement_id,
        ConsultationVote.user_id == user_id)).first()


def votes_of_user(session: Session, consultation_id: int, user_id: int) -> dict[int, int]:
    return dict(session.exec(select(ConsultationVote.statement_id, ConsultationVote.value)
                             .where(ConsultationVote.consultation_id == consultation_id,
                                    ConsultationVote.user_id == user_id)).all())


def latest_vote_id(session: Session, consultation_id: int) -> int:
    return session.exec(select(func.max(ConsultationVote.id))
                        .where(ConsultationVote.consultation_id == consultation_id)).one() or 0


def all_votes(session: Session, consultation_id: int) -> list[tuple[int, int, int]]:
    """(user, statement, value) of every vote: the opinion map's matrix."""
    return [tuple(row) for row in session.exec(
        select(ConsultationVote.user_id, ConsultationVote.statement_id, ConsultationVote.value)
        .where(ConsultationVote.consultation_id == consultation_id))]


# -- the synopsis -------------------------------------------------------------------------


def option_counts_by_category(session: Session, consultation_id: int
                              ) -> list[tuple[int, str, bool, int]]:
    """(option, respondent category, invited, responses) of every chosen option: the
    synopsis's figures, computed once when the report is published."""
    r, a = ConsultationResponse, ConsultationAnswer
    return [tuple(row) for row in session.exec(
        select(a.option_id, r.category, r.invited, func.count())
        .join(r, r.id == a.response_id)
        .where(r.consultation_id == consultation_id, a.option_id.is_not(None))
        .group_by(a.option_id, r.category, r.invited))]


def comment_counts_by_category(session: Session, consultation_id: int, authority_id: int
                               ) -> list[tuple[int, str, bool, int]]:
    """(section, author category, invited, comments) of the visible comments on the text, in
    one grouped query: a person for themselves counts as a resident, an organisation under
    its category (invited ones apart); the authority's own replies are not contributions."""
    k, o, i = Comment, ConsultationOrganisation, ConsultationInvitation
    category = func.coalesce(o.category, Category.resident.value)
    invited = i.id.is_not(None)
    official = exists().where(Staff.user_id == k.user_id, Staff.authority_id == authority_id,
                              Staff.role == StaffRole.official)
    return [(section_id, cat, bool(inv), n) for section_id, cat, inv, n in session.exec(
        select(k.anchor_id, category, invited, func.count())
        .outerjoin(o, o.id == k.voice_id)
        .outerjoin(i, and_(i.consultation_id == k.subject_id, i.organisation_id == k.voice_id))
        .where(k.subject_type == SUBJECT_TYPE, k.subject_id == consultation_id,
               k.anchor_id.is_not(None), k.state == CommentState.visible,
               or_(k.voice_id.is_not(None), ~official))
        .group_by(k.anchor_id, category, invited))]


def organisation_by_code(session: Session, community_id: int, code: str
                         ) -> ConsultationOrganisation | None:
    return session.exec(select(ConsultationOrganisation).where(
        ConsultationOrganisation.community_id == community_id,
        ConsultationOrganisation.code == code)).first()


def unverified_organisations(session: Session, community_ids: Iterable[int] | None
                             ) -> list[ConsultationOrganisation]:
    query = select(ConsultationOrganisation).where(ConsultationOrganisation.verified.is_(False))
    if community_ids is not None:
        query = query.where(ConsultationOrganisation.community_id.in_(list(community_ids)))
    return list(session.exec(query.order_by(ConsultationOrganisation.created_at,
                                            ConsultationOrganisation.id)))


# -- responses ----------------------------------------------------------------------------


def response(session: Session, response_id: int) -> ConsultationResponse | None:
    return session.get(ConsultationResponse, response_id)


def response_by_key(session: Session, consultation_id: int, key: str
                    ) -> ConsultationResponse | None:
    return session.exec(select(ConsultationResponse).where(
        ConsultationResponse.consultation_id == consultation_id,
        ConsultationResponse.respondent_key == key)).first()


def responses_of_user(session: Session, consultation_id: int, user_id: int
                      ) -> list[ConsultationResponse]:
    return list(session.exec(select(ConsultationResponse).where(
        ConsultationResponse.consultation_id == consultation_id,
        ConsultationResponse.user_id == user_id).order_by(ConsultationResponse.id)))


def answer(session: Session, answer_id: int) -> ConsultationAnswer | None:
    return session.get(ConsultationAnswer, answer_id)


def published_papers(session: Session, consultation_id: int) -> dict[tuple[int, int], int]:
    rows = session.exec(
        select(ConsultationAnswer.response_id, ConsultationAnswer.question_id,
               ConsultationAnswer.id)
        .join(ConsultationResponse, ConsultationResponse.id == ConsultationAnswer.response_id)
        .where(ConsultationResponse.consultation_id == consultation_id,
               ConsultationResponse.publication != Publication.none,
               ConsultationAnswer.file_key.is_not(None)))
    return {(r, q): a for r, q, a in rows}


def typed_values(session: Session, question: ConsultationQuestion) -> list:
    """The answers of a number or date question, in order (the results' lowest, median and
    highest; as many rows as the question's answer_count)."""
    column = ConsultationAnswer.number if question.kind == "number" else ConsultationAnswer.day
    return list(session.exec(select(column).where(ConsultationAnswer.question_id == question.id,
                                                  column.is_not(None)).order_by(column)))


def answers(session: Session, response_id: int) -> list[ConsultationAnswer]:
    return list(session.exec(select(ConsultationAnswer)
                             .where(ConsultationAnswer.response_id == response_id)
                             .order_by(ConsultationAnswer.question_id, ConsultationAnswer.id)))


def delete_answers(session: Session, response_id: int, question_id: int) -> None:
    session.exec(delete(ConsultationAnswer).where(ConsultationAnswer.response_id == response_id,
                                                  ConsultationAnswer.question_id == question_id))


def is_participant(session: Session, consultation_id: int, user_id: int) -> bool:
    responded = exists().where(ConsultationResponse.consultation_id == consultation_id,
                               ConsultationResponse.user_id == user_id)
    commented = exists().where(Comment.subject_type == SUBJECT_TYPE,
                               Comment.subject_id == consultation_id, Comment.user_id == user_id)
    return bool(session.exec(select(or_(responded, commented))).one())


def published_contributions(session: Session, consultation_id: int
                            ) -> list[tuple[ConsultationResponse, str | None, str | None]]:
    """Responses whose authors chose to publish them, with the person's and organisation's
    names (the caller drops them for anonymous ones). Unpublished responses never leave SQL."""
    rows = session.exec(
        select(ConsultationResponse, User.display_name, User.erased_at,
               ConsultationOrganisation.name)
        .join(User, User.id == ConsultationResponse.user_id)
        .outerjoin(ConsultationOrganisation,
                   ConsultationOrganisation.id == ConsultationResponse.organisation_id)
        .where(ConsultationResponse.consultation_id == consultation_id,
               ConsultationResponse.publication != Publication.none)
        .order_by(ConsultationResponse.id))
    return [(r, None if erased else name, org) for r, name, erased, org in rows]


def answers_of_responses(session: Session, response_ids: list[int]
                         ) -> dict[int, list[ConsultationAnswer]]:
    out: dict[int, list[ConsultationAnswer]] = {rid: [] for rid in response_ids}
    for start in range(0, len(response_ids), 500):
        chunk = response_ids[start:start + 500]
        for answer in session.exec(
                select(ConsultationAnswer).where(ConsultationAnswer.response_id.in_(chunk))
                .order_by(ConsultationAnswer.response_id, ConsultationAnswer.id)):
            out[answer.response_id].append(answer)
    return out


# -- report and ratings -------------------------------------------------------------------


def report(session: Session, consultation_id: int) -> ConsultationReport | None:
    return session.exec(select(ConsultationReport)
                        .where(ConsultationReport.consultation_id == consultation_id)).first()


def report_items(session: Session, report_id: int) -> list[ConsultationReportItem]:
    return list(session.exec(select(ConsultationReportItem)
                             .where(ConsultationReportItem.report_id == report_id)
                             .order_by(ConsultationReportItem.id)))


def rating(session: Session, consultation_id: int, user_id: int) -> ConsultationRating | None:
    return session.exec(select(ConsultationRating).where(
        ConsultationRating.consultation_id == consultation_id,
        ConsultationRating.user_id == user_id)).first()


# -- seed ---------------------------------------------------------------------------------


def by_title(session: Session, community_id: int, title: str) -> Consultation | None:
    return session.exec(select(Consultation).where(Consultation.community_id == community_id,
                                                   Consultation.title == title)).first()


# -- personal data ------------------------------------------------------------------------


def responses_by_user(session: Session, user_id: int) -> list[ConsultationResponse]:
    return list(session.exec(select(ConsultationResponse)
                             .where(ConsultationResponse.user_id == user_id)
                             .order_by(ConsultationResponse.id)))


def ratings_of_user(session: Session, user_id: int) -> list[ConsultationRating]:
    return list(session.exec(select(ConsultationRating)
                             .where(ConsultationRating.user_id == user_id)
                             .order_by(ConsultationRating.id)))


def memberships_of_user(session: Session, user_id: int
                        ) -> list[ConsultationOrganisationMember]:
    return list(session.exec(select(ConsultationOrganisationMember)
                             .where(ConsultationOrganisationMember.user_id == user_id)
                             .order_by(ConsultationOrganisationMember.id)))


def statements_of_user(session: Session, user_id: int) -> list[ConsultationStatement]:
    return list(session.exec(select(ConsultationStatement)
                             .where(ConsultationStatement.user_id == user_id)
                             .order_by(ConsultationStatement.id)))


def votes_by_user(session: Session, user_id: int) -> list[ConsultationVote]:
    return list(session.exec(select(ConsultationVote).where(ConsultationVote.user_id == user_id)
                             .order_by(ConsultationVote.id)))


def unname_contributions(session: Session, user_id: int) -> None:
    """Contributions published with the person's name stay, without it."""
    session.exec(update(ConsultationResponse)
                 .where(ConsultationResponse.user_id == user_id,
                        ConsultationResponse.publication == Publication.named)
                 .values(publication=Publication.anonymous)
                 .execution_options(synchronize_session=False))
