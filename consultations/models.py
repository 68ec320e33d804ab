"""SQLModel tables of the consultations module, and the shapes the API reads and writes.

A consultation is a draft until an official publishes it; from then on its phase (scheduled,
open, closed) is computed from its dates and the clock, until the outcome report is published.
Headline numbers (responses, per-option choices, per-category respondents, comments, ratings)
are counter columns kept exact in the transaction that changes them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.audit.models import ReceiptPublic
from app.models import Id, Input, fk, utc_field
from app.web.i18n import N_
from consultations.rules import REPORT

SUBJECT_TYPE = "consultation"
OBLIGATION_KIND = REPORT.code


class Status(StrEnum):
    """What is stored. The phase a reader sees is computed (see service/reading.py: phase)."""

    draft = "draft"
    published = "published"
    reported = "reported"


class Phase(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    open = "open"
    closed = "closed"  # ended, awaiting the outcome report
    reported = "reported"


PHASE_LABELS = {
    Phase.draft: N_("Draft"),
    Phase.scheduled: N_("Scheduled"),
    Phase.open: N_("Open"),
    Phase.closed: N_("Closed, awaiting the report"),
    Phase.reported: N_("Outcome reported"),
}


class Stage(StrEnum):
    """The Commission's two stages: a call for evidence before any draft exists, then the
    consultation on the draft."""

    evidence = "evidence"
    draft = "draft"


STAGE_LABELS = {
    Stage.evidence: N_("Call for evidence"),
    Stage.draft: N_("Consultation on the draft"),
}


class QuestionKind(StrEnum):
    single = "single"
    multiple = "multiple"
    scale = "scale"
    text = "text"
    ranking = "ranking"  # options put in order, 1 = first
    matrix = "matrix"  # options are rows, each answered on the scale 1–5
    number = "number"
    date = "date"
    paper = "paper"  # a position paper: a PDF uploaded through the kernel's file store


QUESTION_KIND_LABELS = {
    QuestionKind.single: N_("Single choice"),
    QuestionKind.multiple: N_("Multiple choice"),
    QuestionKind.scale: N_("Scale 1–5"),
    QuestionKind.text: N_("Free text"),
    QuestionKind.ranking: N_("Ranking"),
    QuestionKind.matrix: N_("Matrix (a scale 1–5 per row)"),
    QuestionKind.number: N_("Number"),
    QuestionKind.date: N_("Date"),
    QuestionKind.paper: N_("Position paper (PDF)"),
}
# Kinds whose options are the things answered (rows of a matrix, items of a ranking).
OPTION_KINDS = (QuestionKind.single, QuestionKind.multiple, QuestionKind.ranking,
                QuestionKind.matrix)
SCALE = (1, 2, 3, 4, 5)


class Category(StrEnum):
    """Respondent categories: a resident, or the category of a registered organisation."""

    resident = "resident"
    ngo = "ngo"
    business = "business"
    academic = "academic"
    public_body = "public_body"
    union = "union"
    other = "other"


ORGANISATION_CATEGORIES = (Category.ngo, Category.business, Category.academic,
                           Category.union, Category.public_body, Category.other)
CATEGORY_LABELS = {
    Category.resident: N_("Residents"),
    Category.ngo: N_("NGOs and associations"),
    Category.business: N_("Businesses"),
    Category.academic: N_("Experts and academic institutions"),
    Category.public_body: N_("Public bodies"),
    Category.union: N_("Trade unions"),
    Category.other: N_("Other organisations"),
}


class Topic(StrEnum):
    """Fields of interest: an organisation names its own, a consultation those it concerns;
    where they meet, the organisation is invited."""

    environment = "environment"
    transport = "transport"
    education = "education"
    health = "health"
    social = "social"
    culture = "culture"
    economy = "economy"
    housing = "housing"
    governance = "governance"
    digital = "digital"
    safety = "safety"
    youth = "youth"


TOPIC_LABELS = {
    Topic.environment: N_("Environment"),
    Topic.transport: N_("Transport"),
    Topic.education: N_("Education"),
    Topic.health: N_("Health"),
    Topic.social: N_("Social protection"),
    Topic.culture: N_("Culture"),
    Topic.economy: N_("Economy and business"),
    Topic.housing: N_("Housing and utilities"),
    Topic.governance: N_("Local government"),
    Topic.digital: N_("Digital services"),
    Topic.safety: N_("Public safety"),
    Topic.youth: N_("Youth and sport"),
}


class MemberStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"


class Vote(StrEnum):
    agree = "agree"
    disagree = "disagree"
    skip = "pass"


VOTE_VALUES = {Vote.agree: 1, Vote.disagree: -1, Vote.skip: 0}
VOTE_LABELS = {Vote.agree: N_("Agree"), Vote.disagree: N_("Disagree"), Vote.skip: N_("Pass")}


class Publication(StrEnum):
    """How a contribution is published: with the name, without it, or not at all."""

    named = "named"
    anonymous = "anonymous"
    none = "none"


PUBLICATION_LABELS = {
    Publication.named: N_("Publish with my name"),
    Publication.anonymous: N_("Publish anonymously"),
    Publication.none: N_("Do not publish (not shown to the public)"),
}


class Outcome(StrEnum):
    accepted = "accepted"
    partly_accepted = "partly_accepted"
    rejected = "rejected"


OUTCOME_LABELS = {
    Outcome.accepted: N_("Accepted"),
    Outcome.partly_accepted: N_("Partly accepted"),
    Outcome.rejected: N_("Rejected"),
}


class Rating(StrEnum):
    yes = "yes"
    partly = "partly"
    no = "no"


RATING_LABELS = {
    Rating.yes: N_("Yes, my input was considered"),
    Rating.partly: N_("Partly"),
    Rating.no: N_("No, it was not considered"),
}


# -- tables -------------------------------------------------------------------------------

class Consultation(SQLModel, table=True):
    __tablename__ = "consultation"
    __table_args__ = (
        Index("ix_consultation_community_status", "community_id", "status"),
        Index("ix_consultation_status_ends", "status", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    authority_id: int = fk("community_authority.id", ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, index=False,
                               ondelete="SET NULL")
    title: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    body: str = Field(default="", sa_type=Text)  # the draft text, Markdown
    stakeholders: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The two stages: a call for evidence, and the consultation on the draft that follows it.
    stage: str = Field(default=Stage.draft, max_length=16)
    evidence_id: int | None = fk("consultation.id", nullable=True, ondelete="SET NULL")
    topics: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    invited_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The rules' priority window, fixed at publication: for this many days from the start
    # only invited stakeholders may answer (see `public_at`).
    priority_days: int = 0
    status: str = Field(default=Status.draft, max_length=16)
    start_date: date
    end_date: date
    # The instants the local start day begins and the local end day ends (Europe/Kyiv).
    starts_at: datetime = utc_field()
    ends_at: datetime = utc_field()
    ruleset_id: int | None = fk("rules_ruleset.id", nullable=True, index=False,
                                ondelete="RESTRICT")
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    published_at: datetime | None = utc_field(nullable=True)
    closed_at: datetime | None = utc_field(nullable=True)  # set by close_expired
    reported_at: datetime | None = utc_field(nullable=True)
    # Counters, exact in the same transaction.
    response_count: int = 0
    comment_count: int = 0
    resident_count: int = 0
    ngo_count: int = 0
    business_count: int = 0
    academic_count: int = 0
    public_body_count: int = 0
    union_count: int = 0
    other_count: int = 0
    invitation_count: int = 0
    statement_count: int = 0
    vote_count: int = 0
    rating_yes: int = 0
    rating_partly: int = 0
    rating_no: int = 0

    def category_count(self, category: str) -> int:
        return getattr(self, f"{category}_count")

    @property
    def public_at(self) -> datetime:
        """When everyone may answer (the start, unless the rules give a priority window)."""
        return self.starts_at + timedelta(days=self.priority_days)


class ConsultationSection(SQLModel, table=True):
    """A numbered part of the draft text, split on its first- and second-level headings."""

    __tablename__ = "consultation_section"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, ondelete="CASCADE")
    number: int
    title: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_type=Text)  # Markdown
    html: str = Field(default="", sa_type=Text)  # rendered with raw HTML disabled
    comment_count: int = 0  # visible comments


class ConsultationAttachment(SQLModel, table=True):
    __tablename__ = "consultation_attachment"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", ondelete="CASCADE")
    filename: str = Field(max_length=200)
    stored_name: str = Field(max_length=80, unique=True)
    content_type: str = Field(max_length=120)
    size: int
    uploaded_at: datetime = utc_field(default_now=True)


class ConsultationQuestion(SQLModel, table=True):
    __tablename__ = "consultation_question"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", ondelete="CASCADE")
    position: int
    kind: str = Field(max_length=16)
    prompt: str = Field(max_length=500)
    required: bool = True
    answer_count: int = 0  # responses that answer it
    # Shown (and answerable) only when this option of an earlier question was chosen. No
    # foreign key (options already refer to their question: the two would form a cycle);
    # deleting the earlier question clears it (repository.delete_question).
    condition_option_id: int | None = None


class ConsultationOption(SQLModel, table=True):
    """A choice of a question (scale questions get the options 1 to 5) and its counter."""

    __tablename__ = "consultation_option"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = fk("consultation_question.id", ondelete="CASCADE")
    position: int
    label: str = Field(max_length=200)
    count: int = 0
    # Ranking: the sum of the ranks given; matrix: the sum of the values given (the average
    # is total / count, O(1) to read).
    total: int = 0


class ConsultationOrganisation(SQLModel, table=True):
    """A registered organisation: a profile attached to a user account, verified by an official."""

    __tablename__ = "consultation_organisation"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    name: str = Field(max_length=200)
    category: str = Field(max_length=16)
    code: str = Field(max_length=20)  # EDRPOU: 8 digits, the last a check digit
    topics: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    verified: bool = False
    verified_at: datetime | None = utc_field(nullable=True)
    verified_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    created_at: datetime = utc_field(default_now=True)


class ConsultationOrganisationMember(SQLModel, table=True):
    """A person who acts on an organisation's behalf, once its contact (the person who
    registered it) confirms them."""

    __tablename__ = "consultation_organisation_member"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = fk("consultation_organisation.id", index=False, ondelete="CASCADE")
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    status: str = Field(default=MemberStatus.pending, max_length=16)
    requested_at: datetime = utc_field(default_now=True)
    confirmed_at: datetime | None = utc_field(nullable=True)


class ConsultationInvitation(SQLModel, table=True):
    """An organisation invited to a consultation, by its fields of interest or by name."""

    __tablename__ = "consultation_invitation"
    __table_args__ = (UniqueConstraint("consultation_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, ondelete="CASCADE")
    organisation_id: int = fk("consultation_organisation.id", ondelete="CASCADE")
    invited_at: datetime = utc_field(default_now=True)
    answered_at: datetime | None = utc_field(nullable=True)


class ConsultationResponse(SQLModel, table=True):
    """One respondent's answers. respondent_key ("u:<user>" or "o:<organisation>") is unique
    per consultation: a person answers once for themselves and once for each organisation."""

    __tablename__ = "consultation_response"
    __table_args__ = (UniqueConstraint("consultation_id", "respondent_key"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, ondelete="CASCADE")
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    organisation_id: int | None = fk("consultation_organisation.id", nullable=True,
                                     ondelete="SET NULL")
    respondent_key: str = Field(max_length=24)
    category: str = Field(max_length=16)
    publication: str = Field(max_length=16)
    invited: bool = False  # answered for an invited organisation: its own place in the report
    submitted_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    # A moderator removed personal data from its free text before publication.
    moderated_at: datetime | None = utc_field(nullable=True)


class ConsultationAnswer(SQLModel, table=True):
    """A chosen option (one row per choice) or a free-text answer of a response."""

    __tablename__ = "consultation_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id", "option_id"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = fk("consultation_response.id", index=False, ondelete="CASCADE")
    question_id: int = fk("consultation_question.id", ondelete="CASCADE")
    option_id: int | None = fk("consultation_option.id", nullable=True, index=False,
                               ondelete="CASCADE")
    text: str | None = Field(default=None, max_length=5000)
    public_text: str | None = Field(default=None, max_length=5000)  # the moderated text
    value: int | None = None  # the rank (ranking) or the scale value of a row (matrix)
    number: float | None = None
    day: date | None = None
    file_key: str | None = Field(default=None, max_length=80)  # a position paper's key


class ConsultationReport(SQLModel, table=True):
    """The outcome report: "you said, we did"."""

    __tablename__ = "consultation_report"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, unique=True, ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, index=False,
                               ondelete="SET NULL")
    summary: str = Field(max_length=5000)
    decision_url: str = Field(max_length=500)
    published_at: datetime = utc_field(default_now=True)
    # The figures of the synopsis, frozen when the report is published: per question and
    # option, how many said what, by stakeholder category; invitations answered or not.
    synopsis: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ConsultationReportItem(SQLModel, table=True):
    """The outcome for one section or one question, and why."""

    __tablename__ = "consultation_report_item"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = fk("consultation_report.id", ondelete="CASCADE")
    section_id: int | None = fk("consultation_section.id", nullable=True, index=False,
                                ondelete="CASCADE")
    question_id: int | None = fk("consultation_question.id", nullable=True, index=False,
                                 ondelete="CASCADE")
    # A proposal: a statement of the map of opinion the authority answers (optional ones).
    statement_id: int | None = fk("consultation_statement.id", nullable=True, index=False,
                                  ondelete="CASCADE")
    outcome: str = Field(max_length=16)
    explanation: str = Field(max_length=3000)


class ConsultationStatement(SQLModel, table=True):
    """A short statement of the opinion map, that others agree with, disagree with or pass."""

    __tablename__ = "consultation_statement"
    __table_args__ = (UniqueConstraint("consultation_id", "body_key"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, ondelete="CASCADE")
    user_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    body: str = Field(max_length=280)
    body_key: str = Field(max_length=280)  # lower case, single spaces: finds duplicates
    agree_count: int = 0
    disagree_count: int = 0
    pass_count: int = 0
    created_at: datetime = utc_field(default_now=True)
    hidden_at: datetime | None = utc_field(nullable=True)


class ConsultationVote(SQLModel, table=True):
    """One participant's one vote on a statement: 1 agree, -1 disagree, 0 pass."""

    __tablename__ = "consultation_vote"
    __table_args__ = (UniqueConstraint("statement_id", "user_id"),
                      Index("ix_consultation_vote_consultation", "consultation_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, ondelete="CASCADE")
    statement_id: int = fk("consultation_statement.id", index=False, ondelete="CASCADE")
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    value: int
    created_at: datetime = utc_field(default_now=True)


class ConsultationRating(SQLModel, table=True):
    """A participant's one rating of whether their input was considered."""

    __tablename__ = "consultation_rating"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", index=False, ondelete="CASCADE")
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    value: str = Field(max_length=8)
    created_at: datetime = utc_field(default_now=True)


# -- input shapes (forms and API) ---------------------------------------------------------

class QuestionCreate(SQLModel, Input):
    kind: QuestionKind
    prompt: str = Field(min_length=3, max_length=500)
    required: bool = True
    options: list[str] = Field(default_factory=list, max_length=30)
    # Shown only after this answer: the position of an earlier question (1 = first) and of
    # one of its options.
    shown_if_question: int | None = Field(default=None, ge=1, le=50)
    shown_if_option: int | None = Field(default=None, ge=1, le=30)


class ConsultationCreate(SQLModel, Input):
    community_id: Id
    authority_id: Id
    title: str = Field(min_length=5, max_length=200)
    summary: str = Field(min_length=10, max_length=2000)
    body: str = Field(min_length=10, max_length=200_000)
    stakeholders: list[str] = Field(default_factory=list, max_length=20)
    stage: Stage = Stage.draft
    evidence_id: Id | None = Field(default=None, description="The call for evidence this "
                                   "consultation on the draft follows.")
    topics: list[Topic] = Field(default_factory=list, max_length=12)
    organisation_ids: list[Id] = Field(default_factory=list, max_length=100,
                                       description="Organisations invited by name.")
    start_date: date
    end_date: date
    questions: list[QuestionCreate] = Field(default_factory=list, max_length=50)


class ConsultationUpdate(SQLModel, Input):
    title: str | None = Field(default=None, min_length=5, max_length=200)
    summary: str | None = Field(default=None, min_length=10, max_length=2000)
    body: str | None = Field(default=None, min_length=10, max_length=200_000)
    stakeholders: list[str] | None = Field(default=None, max_length=20)
    start_date: date | None = None
    end_date: date | None = None


class RowIn(SQLModel, Input):
    """A matrix row's value on the scale."""

    option_id: Id
    value: int = Field(ge=SCALE[0], le=SCALE[-1])


class AnswerIn(SQLModel, Input):
    """One question's answer: option ids for choices (in order of preference for a ranking),
    a value 1–5 for a scale, a value per row for a matrix, a number, a date, or text."""

    question_id: Id
    option_ids: list[Id] = Field(default_factory=list, max_length=30)
    value: int | None = Field(default=None, ge=SCALE[0], le=SCALE[-1])
    rows: list[RowIn] = Field(default_factory=list, max_length=30)
    number: float | None = Field(default=None, ge=-1e12, le=1e12)
    day: date | None = None
    text: str | None = Field(default=None, max_length=5000)


class ResponseIn(SQLModel, Input):
    """An answer for oneself is published without the name unless one chooses otherwise; an
    organisation's is always published with its name."""

    organisation_id: Id | None = None
    publication: Publication = Publication.anonymous
    answers: list[AnswerIn] = Field(default_factory=list, max_length=50)


class ResponseEdit(SQLModel, Input):
    publication: Publication | None = None
    answers: list[AnswerIn] = Field(default_factory=list, max_length=50)


class HideIn(SQLModel, Input):
    reason: str = Field(min_length=5, max_length=500)


class OrganisationIn(SQLModel, Input):
    community_id: Id
    name: str = Field(min_length=2, max_length=200)
    category: Category
    code: str = Field(min_length=2, max_length=20, description="EDRPOU: 8 digits.")
    topics: list[Topic] = Field(default_factory=list, max_length=12)


class StatementIn(SQLModel, Input):
    body: str = Field(min_length=1, max_length=5000)


class VoteIn(SQLModel, Input):
    vote: Vote


class RedactIn(SQLModel, Input):
    """The free text of an answer with the personal data taken out."""

    question_id: Id
    text: str = Field(max_length=5000)


class ReportItemIn(SQLModel, Input):
    section_id: Id | None = None
    question_id: Id | None = None
    statement_id: Id | None = Field(default=None, description="A statement of the map of "
                                    "opinion (a proposal): optional, unlike sections and "
                                    "questions.")
    outcome: Outcome
    explanation: str = Field(min_length=3, max_length=3000)


class ReportIn(SQLModel, Input):
    summary: str = Field(min_length=10, max_length=5000)
    decision_url: str = Field(min_length=8, max_length=500)
    items: list[ReportItemIn] = Field(default_factory=list, max_length=200)


class RatingIn(SQLModel, Input):
    value: Rating


# -- output shapes (API) ------------------------------------------------------------------

class ConsultationPublic(SQLModel):
    id: int
    community_id: int
    authority_id: int
    title: str
    summary: str
    phase: Phase
    start_date: date
    end_date: date
    starts_at: datetime
    ends_at: datetime
    stakeholders: list[str]
    stage: Stage
    evidence_id: int | None
    topics: list[Topic]
    public_at: datetime | None
    ruleset_id: int | None
    published_at: datetime | None
    reported_at: datetime | None
    response_count: int
    comment_count: int
    statement_count: int
    invitation_count: int


class SectionPublic(SQLModel):
    id: int
    number: int
    title: str
    body: str
    html: str
    comment_count: int


class OptionPublic(SQLModel):
    id: int
    position: int
    label: str


class QuestionPublic(SQLModel):
    id: int
    position: int
    kind: QuestionKind
    prompt: str
    required: bool
    options: list[OptionPublic]
    condition_option_id: int | None


class AttachmentPublic(SQLModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class ConsultationDetail(ConsultationPublic):
    body: str
    sections: list[SectionPublic]
    questions: list[QuestionPublic]
    attachments: list[AttachmentPublic]


class RowPublic(SQLModel):
    option_id: int
    value: int


class AnswerPublic(SQLModel):
    question_id: int
    option_ids: list[int]
    value: int | None
    rows: list[RowPublic] = []
    number: float | None = None
    day: date | None = None
    text: str | None


class ResponsePublic(SQLModel):
    id: int
    consultation_id: int
    organisation_id: int | None
    category: Category
    publication: Publication
    submitted_at: datetime
    updated_at: datetime
    answers: list[AnswerPublic]
    receipt: ReceiptPublic | None = Field(
        default=None, description="The respondent's receipt of the response's entry in the "
                                  "audit log (in the answer to submitting it only).")


class OptionResult(SQLModel):
    option_id: int
    label: str
    count: int
    percent: float
    average: float | None = None  # ranking: the average rank; matrix: the row's average


class QuestionResult(SQLModel):
    question_id: int
    prompt: str
    kind: QuestionKind
    answer_count: int
    options: list[OptionResult]
    average: float | None
    # Number and date questions: the lowest, the median and the highest answer.
    lowest: str | None = None
    median: str | None = None
    highest: str | None = None
    # ... and how many answers fall in each of a few ranges (numbers) or months (dates).
    ranges: list[OptionResult] = []


class CategoryCount(SQLModel):
    category: Category
    count: int


class SectionActivity(SQLModel):
    section_id: int
    number: int
    title: str
    comment_count: int


class RatingSummary(SQLModel):
    yes: int
    partly: int
    no: int
    total: int


class ResultsPublic(SQLModel):
    consultation_id: int
    phase: Phase
    response_count: int
    categories: list[CategoryCount]
    questions: list[QuestionResult]
    most_discussed: list[SectionActivity]
    ratings: RatingSummary


class ReportItemPublic(SQLModel):
    section_id: int | None
    question_id: int | None
    statement_id: int | None = None
    outcome: Outcome
    explanation: str


class SectionContributionsPublic(SQLModel):
    """The synopsis's figures for one section of the text, frozen when the report was
    published: how many comments, by stakeholder category."""

    section_id: int
    comments: int
    by_category: dict[str, int] = Field(
        description="Comments per stakeholder category (resident or an organisation's "
                    "category); those written for invited organisations under \"invited\".")


class ReportPublic(SQLModel):
    consultation_id: int
    summary: str
    decision_url: str
    published_at: datetime
    on_time: bool | None
    items: list[ReportItemPublic]
    sections: list[SectionContributionsPublic] = Field(default_factory=list)
    ratings: RatingSummary


class OrganisationPublic(SQLModel):
    id: int
    community_id: int
    name: str
    category: Category
    code: str
    topics: list[Topic]
    verified: bool


class MemberPublic(SQLModel):
    organisation_id: int
    user_id: int
    name: str | None
    status: MemberStatus


class InvitationPublic(SQLModel):
    organisation_id: int
    name: str
    category: Category
    invited_at: datetime
    answered: bool


class ContributionPublic(SQLModel):
    id: int
    category: Category
    author: str | None  # the organisation's name, the person's if they chose it, or None
    organisation: str | None
    invited: bool
    submitted_at: datetime
    answers: list[AnswerPublic]


class StatementPublic(SQLModel):
    id: int
    body: str
    agree: int
    disagree: int
    passed: int
    created_at: datetime


class GroupPublic(SQLModel):
    number: int
    size: int
    x: float
    y: float


class StatementStanding(SQLModel):
    statement_id: int
    body: str
    agree_by_group: list[float]


class OpinionMapPublic(SQLModel):
    consultation_id: int
    participants: int
    votes: int
    groups: list[GroupPublic]
    divisive: list[StatementStanding]
    consensus: list[StatementStanding]
