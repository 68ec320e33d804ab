"""JSON API of consultations (mounted under /api/v1): the same services as the pages.

Reading is public (a token only shows drafts to the authority's officials); every write needs
a personal token. Routes load and authorise through consultations/dependencies.py, by the
token only. Errors come back as {"error", "message", "fields"} with their HTTP status.
"""

from __future__ import annotations

from fastapi import File, Query, Request, Response, UploadFile
from pydantic import BaseModel

from app.audit import service as audit
from app.audit.models import ReceiptPublic
from app.clock import aware
from app.deliberation.api import comment_routes
from app.deliberation.models import CasePublic
from app.exceptions import NotFound
from app.models import MAX_ID
from app.web.auth import ApiUser, OptionalApiUser
from app.web.contract import make_api_router
from app.web.deps import DbSession
from app.web.i18n import N_
from app.web.paging import CountedPage, window
from app.web.ratelimit import rate_limited
from consultations import permissions, uploads
from consultations.dependencies import (
    ApiCallerConsultation,
    ApiEditableConsultation,
    ApiVisibleConsultation,
)
from consultations.models import (
    SUBJECT_TYPE,
    AnswerPublic,
    AttachmentPublic,
    Consultation,
    ConsultationCreate,
    ConsultationDetail,
    ConsultationOrganisation,
    ConsultationPublic,
    ConsultationResponse,
    ConsultationStatement,
    ConsultationUpdate,
    ContributionPublic,
    GroupPublic,
    HideIn,
    InvitationPublic,
    MemberPublic,
    OpinionMapPublic,
    OptionPublic,
    OrganisationIn,
    OrganisationPublic,
    Phase,
    QuestionCreate,
    QuestionKind,
    QuestionPublic,
    RatingIn,
    RatingSummary,
    RedactIn,
    ReportIn,
    ReportItemPublic,
    ReportPublic,
    ResponseEdit,
    ResponseIn,
    ResponsePublic,
    ResultsPublic,
    RowPublic,
    SectionContributionsPublic,
    SectionPublic,
    StatementIn,
    StatementPublic,
    StatementStanding,
    VoteIn,
)
from consultations.service import (
    contributions,
    discussion,
    drafting,
    invitations,
    mapping,
    organisations,
    outcome,
    reading,
    responding,
)
from consultations.service.reading import CleanAnswer, QuestionView

router = make_api_router(tags=["consultations"])
Paging = window(default=100, maximum=500)
ListPaging = window(default=20, maximum=100)


class Deleted(BaseModel):
    deleted: bool = True


# -- shaping ------------------------------------------------------------------------------

def _public(c: Consultation) -> ConsultationPublic:
    return ConsultationPublic(
        id=c.id, community_id=c.community_id, authority_id=c.authority_id, title=c.title,
        summary=c.summary, phase=reading.phase(c), start_date=c.start_date, end_date=c.end_date,
        starts_at=aware(c.starts_at), ends_at=aware(c.ends_at),
        stakeholders=list(c.stakeholders or []), stage=c.stage, evidence_id=c.evidence_id,
        topics=list(c.topics or []), public_at=aware(c.public_at), ruleset_id=c.ruleset_id,
        published_at=aware(c.published_at), reported_at=aware(c.reported_at),
        response_count=c.response_count, comment_count=c.comment_count,
        statement_count=c.statement_count, invitation_count=c.invitation_count)


def _question(view: QuestionView) -> QuestionPublic:
    q = view.question
    return QuestionPublic(id=q.id, position=q.position, kind=q.kind, prompt=q.prompt,
                          required=q.required, condition_option_id=q.condition_option_id,
                          options=[OptionPublic(id=o.id, position=o.position, label=o.label)
                                   for o in view.options])


def _detail(session, c: Consultation) -> ConsultationDetail:
    return ConsultationDetail(
        **_public(c).model_dump(), body=c.body,
        sections=[SectionPublic(id=s.id, number=s.number, title=s.title, body=s.body,
                                html=s.html, comment_count=s.comment_count)
                  for s in reading.sections(session, c)],
        questions=[_question(v) for v in reading.questions(session, c)],
        attachments=[AttachmentPublic(id=a.id, filename=a.filename,
                                      content_type=a.content_type, size=a.size,
                                      url=f"/consultations/{c.id}/attachments/{a.id}")
                     for a in reading.attachments(session, c)])


def _answers(views: dict[int, QuestionView], answers: dict[int, CleanAnswer]
             ) -> list[AnswerPublic]:
    out = []
    for qid, answer in answers.items():
        view = views.get(qid)
        kind = view.question.kind if view is not None else None
        value = None
        if kind == QuestionKind.scale and answer.option_ids:
            value = next((o.position for o in view.options if o.id == answer.option_ids[0]),
                         None)
        rows = ([RowPublic(option_id=o, value=v) for o, v in answer.chosen().items()]
                if kind == QuestionKind.matrix else [])
        out.append(AnswerPublic(question_id=qid,
                                option_ids=[] if rows else list(answer.option_ids),
                                value=value, rows=rows, number=answer.number, day=answer.day,
                                text=answer.text))
    return out


def _response(session, c: Consultation, r: ConsultationResponse,
              receipt: audit.Receipt | None = None) -> ResponsePublic:
    views = {v.question.id: v for v in reading.questions(session, c)}
    out = _answers(views, responding.answers_by_question(session, r))
    return ResponsePublic(id=r.id, consultation_id=r.consultation_id,
                          organisation_id=r.organisation_id, category=r.category,
                          publication=r.publication, submitted_at=aware(r.submitted_at),
                          updated_at=aware(r.updated_at), answers=out,
                          receipt=ReceiptPublic.of(receipt) if receipt else None)


def _organisation(o: ConsultationOrganisation) -> OrganisationPublic:
    return OrganisationPublic(id=o.id, community_id=o.community_id, name=o.name,
                              category=o.category, code=o.code, topics=list(o.topics or []),
                              verified=o.verified)


def _statement(s: ConsultationStatement) -> StatementPublic:
    return StatementPublic(id=s.id, body=s.body, agree=s.agree_count,
                           disagree=s.disagree_count, passed=s.pass_count,
                           created_at=aware(s.created_at))


def _map(c: Consultation, view: mapping.MapView) -> OpinionMapPublic:
    def standing(items) -> list[StatementStanding]:
        return [StatementStanding(statement_id=s.statement_id,
                                  body=view.bodies.get(s.statement_id, ""),
                                  agree_by_group=list(s.agree_by_group)) for s in items]

    r = view.result
    return OpinionMapPublic(consultation_id=c.id, participants=r.participants, votes=r.votes,
                            groups=[GroupPublic(number=g.number, size=g.size, x=g.x, y=g.y)
                                    for g in r.groups],
                            divisive=standing(r.divisive), consensus=standing(r.consensus))


def _report(session, c: Consultation) -> ReportPublic | None:
    view = outcome.report_of(session, c)
    if view is None:
        return None
    return ReportPublic(consultation_id=c.id, summary=view.report.summary,
                        decision_url=view.report.decision_url,
                        published_at=aware(view.report.published_at), on_time=view.on_time,
                        items=[ReportItemPublic(section_id=i.section_id,
                                                question_id=i.question_id,
                                                statement_id=i.statement_id, outcome=i.outcome,
                                                explanation=i.explanation) for i in view.items],
                        sections=_section_contributions(session, c, view.report.synopsis),
                        ratings=reading.rating_summary(c))


def _section_contributions(session, c: Consultation, figures: dict
                           ) -> list[SectionContributionsPublic]:
    """Per section of the text, the frozen comment counts by stakeholder category."""
    if "sections" not in figures:  # frozen before these figures existed: none, not zeros
        return []
    by_section = figures["sections"]
    return [SectionContributionsPublic(section_id=s.id,
                                       comments=sum(by_section.get(str(s.id), {}).values()),
                                       by_category=dict(by_section.get(str(s.id), {})))
            for s in reading.sections(session, c)]


# -- consultations ------------------------------------------------------------------------

@router.get("/consultations", response_model=CountedPage[ConsultationPublic])
def list_consultations(request: Request, response: Response, session: DbSession,
                       user: OptionalApiUser, paging: ListPaging,
                       community_id: int | None = Query(None, ge=1, le=MAX_ID),
                       phase: Phase | None = Query(None)):
    """Published consultations, newest first, and the drafts of the caller's authorities."""
    items, total = reading.listing(session, user, community_id=community_id,
                                   phase_filter=phase.value if phase else None,
                                   offset=paging.offset, per_page=paging.limit)
    return paging.page(request, response, [_public(c) for c in items], total=total)


@router.post("/consultations", response_model=ConsultationDetail, status_code=201)
def create_consultation(session: DbSession, user: ApiUser, data: ConsultationCreate):
    return _detail(session, drafting.create(session, user, data))


# Organisations come before /consultations/{id} so that their paths are not taken for ids.

@router.get("/consultations/organisations/mine",
            response_model=CountedPage[OrganisationPublic])
def my_organisations(request: Request, response: Response, session: DbSession,
                     user: ApiUser, paging: Paging):
    """The organisations the caller registered."""
    return paging.cut(request, response, [
        _organisation(o) for o in organisations.organisations_of(session, user)])


@router.get("/consultations/organisations", response_model=CountedPage[OrganisationPublic])
def organisation_register(request: Request, response: Response, session: DbSession,
                          paging: Paging, community_id: int = Query(ge=1, le=MAX_ID)):
    """The register of a community's verified organisations, by name."""
    return paging.cut(request, response, [
        _organisation(o) for o in organisations.public_register(session, community_id)])


@router.post("/consultations/organisations", response_model=OrganisationPublic,
             status_code=201)
def register_organisation(session: DbSession, user: ApiUser, data: OrganisationIn):
    """Register an organisation (its EDRPOU code, category and fields of interest); the caller
    becomes its contact, and an official of the community verifies it."""
    return _organisation(organisations.register_organisation(session, user, data))


@router.post("/consultations/organisations/{organisation_id:id}/members",
             response_model=MemberPublic, status_code=201)
def join_organisation(session: DbSession, user: ApiUser, organisation_id: int):
    """Ask to act on the organisation's behalf; its contact confirms."""
    member = organisations.join(session, user, organisation_id)
    return MemberPublic(organisation_id=organisation_id, user_id=user.id,
                        name=user.display_name, status=member.status)


@router.get("/consultations/organisations/{organisation_id:id}/members",
            response_model=CountedPage[MemberPublic])
def organisation_members(request: Request, response: Response, session: DbSession,
                         user: ApiUser, paging: Paging, organisation_id: int):
    """Who acts, or asked to act, for the organisation: for its contact."""
    org = organisations.get(session, organisation_id)
    permissions.check_confirm_member(session, user, org)
    return paging.cut(request, response, [
        MemberPublic(organisation_id=org.id, user_id=m.user_id, name=name, status=m.status)
        for m, name in organisations.members(session, org)])


@router.post("/consultations/organisations/{organisation_id:id}/members/{user_id:id}/confirm",
             response_model=MemberPublic)
def confirm_member(session: DbSession, user: ApiUser, organisation_id: int, user_id: int):
    member = organisations.confirm_member(session, user, organisation_id, user_id)
    return MemberPublic(organisation_id=organisation_id, user_id=member.user_id, name=None,
                        status=member.status)


@router.post("/consultations/organisations/{organisation_id:id}/verify",
             response_model=OrganisationPublic)
def verify_organisation(session: DbSession, user: ApiUser, organisation_id: int):
    return _organisation(organisations.verify_organisation(session, user, organisation_id))


@router.get("/consultations/{consultation_id:id}", response_model=ConsultationDetail)
def get_consultation(session: DbSession, c: ApiVisibleConsultation):
    return _detail(session, c)


@router.patch("/consultations/{consultation_id:id}", response_model=ConsultationDetail)
def update_consultation(session: DbSession, user: ApiUser, c: ApiEditableConsultation,
                        data: ConsultationUpdate):
    return _detail(session, drafting.update(session, user, c, data))


@router.post("/consultations/{consultation_id:id}/publish", response_model=ConsultationPublic)
def publish_consultation(session: DbSession, user: ApiUser, c: ApiEditableConsultation):
    return _public(drafting.publish(session, user, c))


# -- questions ----------------------------------------------------------------------------

@router.get("/consultations/{consultation_id:id}/questions",
            response_model=CountedPage[QuestionPublic])
def list_questions(request: Request, response: Response, session: DbSession,
                   c: ApiVisibleConsultation, paging: Paging):
    """The questionnaire, in order."""
    return paging.cut(request, response, [_question(v) for v in reading.questions(session, c)])


@router.post("/consultations/{consultation_id:id}/questions", response_model=QuestionPublic,
             status_code=201)
def add_question(session: DbSession, user: ApiUser, c: ApiEditableConsultation,
                 data: QuestionCreate):
    question = drafting.add_question(session, user, c, data)
    return _question(reading.question_of(reading.questions(session, c), question.id))


@router.delete("/consultations/{consultation_id:id}/questions/{question_id:id}",
               response_model=Deleted)
def delete_question(session: DbSession, user: ApiUser, c: ApiEditableConsultation,
                    question_id: int):
    drafting.delete_question(session, user, c, question_id)
    return Deleted()


# -- responses ----------------------------------------------------------------------------

@router.post("/consultations/{consultation_id:id}/responses", response_model=ResponsePublic,
             status_code=201)
@rate_limited("vote")
def submit_response(request: Request, session: DbSession, user: ApiUser,
                    c: ApiCallerConsultation, data: ResponseIn):
    """Answer the questionnaire while the consultation is open."""
    done = responding.respond(session, user, c, data)
    return _response(session, c, done.response, done.receipt)


@router.get("/consultations/{consultation_id:id}/responses/mine",
            response_model=CountedPage[ResponsePublic])
def my_responses(request: Request, response: Response, session: DbSession, user: ApiUser,
                 c: ApiCallerConsultation, paging: Paging):
    """The caller's responses to the consultation (theirs, and their organisations')."""
    return paging.cut(request, response, [
        _response(session, c, r) for r in responding.responses_of(session, user, c)])


@router.put("/consultations/{consultation_id:id}/responses/{response_id:id}",
            response_model=ResponsePublic)
def edit_response(session: DbSession, user: ApiUser, c: ApiCallerConsultation,
                  response_id: int, data: ResponseEdit):
    return _response(session, c, responding.edit_response(session, user, c, response_id,
                                                          data))


@router.post("/consultations/{consultation_id:id}/responses/{response_id:id}/papers/"
             "{question_id:id}", response_model=ResponsePublic, status_code=201)
def upload_paper(session: DbSession, user: ApiUser, c: ApiCallerConsultation,
                 response_id: int, question_id: int, file: UploadFile = File(...)):
    """Upload (or replace) the position paper answering a question of one's response: a PDF
    of at most 10 MB, while the consultation is open."""
    data = file.file.read(uploads.MAX_BYTES + 1)
    responding.attach_paper(session, user, c, response_id, question_id,
                            file.filename or "paper.pdf", data)
    return _response(session, c, responding.own_response(session, user, c, response_id))


# -- comments on the sections (the kernel's mechanism, app.deliberation) -------------------

def _commented_consultation(c: ApiVisibleConsultation) -> int:
    return c.id


comment_routes(router, "/consultations/{consultation_id:id}", SUBJECT_TYPE,
               _commented_consultation, "consultations", anchor="section_id",
               voice="organisation_id")


@router.post("/consultations/{consultation_id:id}/comments/{comment_id:id}/hide",
             response_model=CasePublic)
def hide_comment(session: DbSession, user: ApiUser, c: ApiCallerConsultation, comment_id: int,
                 data: HideIn):
    """A moderator hides a comment at once, with a public reason (the moderation's decision;
    its author is told and may appeal)."""
    case = discussion.hide_comment(session, user, c, comment_id, data.reason)
    return CasePublic.model_validate(case, from_attributes=True)


# -- invitations, public contributions ---------------------------------------------------

@router.get("/consultations/{consultation_id:id}/invitations",
            response_model=CountedPage[InvitationPublic])
def list_invitations(request: Request, response: Response, session: DbSession,
                     c: ApiVisibleConsultation, paging: Paging):
    """Who was invited, and whether they answered: public."""
    return paging.cut(request, response, [
        InvitationPublic(organisation_id=i.organisation.id, name=i.organisation.name,
                         category=i.organisation.category, invited_at=aware(i.invited_at),
                         answered=i.answered)
        for i in invitations.invitations(session, c)])


@router.get("/consultations/{consultation_id:id}/contributions",
            response_model=CountedPage[ContributionPublic])
def list_contributions(request: Request, response: Response, session: DbSession,
                       c: ApiVisibleConsultation, paging: Paging):
    """Every published contribution, once the consultation has closed (none before)."""
    views = {v.question.id: v for v in reading.questions(session, c)}
    items = contributions.contributions(session, c)
    return paging.cut(request, response, [
        ContributionPublic(id=x.response.id, category=x.response.category, author=x.author,
                           organisation=x.organisation, invited=x.response.invited,
                           submitted_at=aware(x.response.submitted_at),
                           answers=_answers(views, x.answers)) for x in items])


@router.post("/consultations/{consultation_id:id}/contributions/{response_id:id}/redact",
             response_model=Deleted)
def redact_contribution(session: DbSession, user: ApiUser, c: ApiCallerConsultation,
                        response_id: int, data: RedactIn):
    """A moderator takes personal data out of a free-text answer before publication."""
    contributions.redact(session, user, c, response_id, data)
    return Deleted()


# -- the opinion map ----------------------------------------------------------------------

@router.get("/consultations/{consultation_id:id}/statements",
            response_model=CountedPage[StatementPublic])
def list_statements(request: Request, response: Response, session: DbSession,
                    c: ApiVisibleConsultation, paging: Paging):
    return paging.cut(request, response, [_statement(s)
                                          for s in mapping.statements(session, c)])


@router.post("/consultations/{consultation_id:id}/statements", response_model=StatementPublic,
             status_code=201)
@rate_limited("create")
def add_statement(request: Request, session: DbSession, user: ApiUser,
                  c: ApiCallerConsultation, data: StatementIn):
    """A short statement (5 to 280 characters) for others to agree or disagree with."""
    return _statement(mapping.add_statement(session, user, c, data))


@router.post("/consultations/{consultation_id:id}/statements/{statement_id:id}/vote",
             response_model=StatementPublic, status_code=201)
@rate_limited("vote")
def vote_statement(request: Request, session: DbSession, user: ApiUser,
                   c: ApiCallerConsultation, statement_id: int, data: VoteIn):
    """Agree, disagree or pass, once per statement."""
    mapping.vote(session, user, c, statement_id, data.vote)
    statement = mapping.statement_of(session, c, statement_id)
    return _statement(statement)


@router.get("/consultations/{consultation_id:id}/map", response_model=OpinionMapPublic)
def opinion_map(session: DbSession, c: ApiVisibleConsultation):
    """The groups of participants by their votes, the statements that divide them and those
    most of every group agrees with."""
    return _map(c, mapping.opinion_map(session, c))


# -- results, report, rating --------------------------------------------------------------

@router.get("/consultations/{consultation_id:id}/results", response_model=ResultsPublic)
def get_results(session: DbSession, c: ApiVisibleConsultation):
    return reading.results(session, c)


@router.get("/consultations/{consultation_id:id}/report", response_model=ReportPublic)
def get_report(session: DbSession, c: ApiVisibleConsultation):
    report = _report(session, c)
    if report is None:
        raise NotFound(N_("The outcome report has not been published yet."))
    return report


@router.post("/consultations/{consultation_id:id}/report", response_model=ReportPublic,
             status_code=201)
def publish_report(session: DbSession, user: ApiUser, c: ApiCallerConsultation,
                   data: ReportIn):
    outcome.publish_report(session, user, c, data)
    return _report(session, c)


@router.post("/consultations/{consultation_id:id}/rating", response_model=RatingSummary,
             status_code=201)
def rate(session: DbSession, user: ApiUser, c: ApiCallerConsultation, data: RatingIn):
    outcome.rate(session, user, c, data.value)
    session.refresh(c)
    return reading.rating_summary(c)
