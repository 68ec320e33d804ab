"""SQLModel tables of the consultations module, and the shapes the API reads and writes.

A consultation is a draft until an official publishes it; from then on its phase (scheduled,
open, closed) is computed from its dates and the clock, until the outcome report is published.
Headline numbers (responses, per-option choices, per-category respondents, comments, ratings)
are counter columns kept exact in the transaction that changes them.
"""

from __future__ import annotations

from datetime import date, datetime
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


class QuestionKind(StrEnum):
    single = "single"
    multiple = "multiple"
    scale = "scale"
    text = "text"


QUESTION_KIND_LABELS = {
    QuestionKind.single: N_("Single choice"),
    QuestionKind.multiple: N_("Multiple choice"),
    QuestionKind.scale: N_("Scale 1–5"),
    QuestionKind.text: N_("Free text"),
}
SCALE = (1, 2, 3, 4, 5)


class Category(StrEnum):
    """Respondent categories: a resident, or the category of a registered organisation."""

    resident = "resident"
    ngo = "ngo"
    business = "business"
    academic = "academic"
    public_body = "public_body"


ORGANISATION_CATEGORIES = (Category.ngo, Category.business, Category.academic,
                           Category.public_body)
CATEGORY_LABELS = {
    Category.resident: N_("Residents"),
    Category.ngo: N_("Civil society organisations"),
    Category.business: N_("Businesses"),
    Category.academic: N_("Academic institutions"),
    Category.public_body: N_("Public bodies"),
}


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
    rating_yes: int = 0
    rating_partly: int = 0
    rating_no: int = 0

    def category_count(self, category: str) -> int:
        return getattr(self, f"{category}_count")


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


class ConsultationOption(SQLModel, table=True):
    """A choice of a question (scale questions get the options 1 to 5) and its counter."""

    __tablename__ = "consultation_option"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = fk("consultation_question.id", ondelete="CASCADE")
    position: int
    label: str = Field(max_length=200)
    count: int = 0


class ConsultationOrganisation(SQLModel, table=True):
    """A registered organisation: a profile attached to a user account, verified by an official."""

    __tablename__ = "consultation_organisation"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    name: str = Field(max_length=200)
    category: str = Field(max_length=16)
    code: str = Field(max_length=20)
    verified: bool = False
    verified_at: datetime | None = utc_field(nullable=True)
    verified_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    created_at: datetime = utc_field(default_now=True)


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
    submitted_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)


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


class ConsultationComment(SQLModel, table=True):
    __tablename__ = "consultation_comment"
    __table_args__ = (Index("ix_consultation_comment_section", "section_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = fk("consultation.id", ondelete="CASCADE")
    section_id: int = fk("consultation_section.id", index=False, ondelete="CASCADE")
    parent_id: int | None = fk("consultation_comment.id", nullable=True, ondelete="CASCADE")
    user_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    publication: str = Field(max_length=16)
    body: str = Field(max_length=4000)
    created_at: datetime = utc_field(default_now=True)
    hidden_at: datetime | None = utc_field(nullable=True)
    hidden_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                  ondelete="SET NULL")
    hidden_reason: str | None = Field(default=None, max_length=500)


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


class ConsultationReportItem(SQLModel, table=True):
    """The outcome for one section or one question, and why."""

    __tablename__ = "consultation_report_item"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = fk("consultation_report.id", ondelete="CASCADE")
    section_id: int | None = fk("consultation_section.id", nullable=True, index=False,
                                ondelete="CASCADE")
    question_id: int | None = fk("consultation_question.id", nullable=True, index=False,
                                 ondelete="CASCADE")
    outcome: str = Field(max_length=16)
    explanation: str = Field(max_length=3000)


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


class ConsultationCreate(SQLModel, Input):
    community_id: Id
    authority_id: Id
    title: str = Field(min_length=5, max_length=200)
    summary: str = Field(min_length=10, max_length=2000)
    body: str = Field(min_length=10, max_length=200_000)
    stakeholders: list[str] = Field(default_factory=list, max_length=20)
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


class AnswerIn(SQLModel, Input):
    """One question's answer: option ids for choices, a value 1–5 for a scale, or text."""

    question_id: Id
    option_ids: list[Id] = Field(default_factory=list, max_length=30)
    value: int | None = Field(default=None, ge=SCALE[0], le=SCALE[-1])
    text: str | None = Field(default=None, max_length=5000)


class ResponseIn(SQLModel, Input):
    organisation_id: Id | None = None
    publication: Publication = Publication.named
    answers: list[AnswerIn] = Field(default_factory=list, max_length=50)


class ResponseEdit(SQLModel, Input):
    publication: Publication | None = None
    answers: list[AnswerIn] = Field(default_factory=list, max_length=50)


class CommentIn(SQLModel, Input):
    section_id: Id
    parent_id: Id | None = None
    body: str = Field(min_length=2, max_length=4000)
    publication: Publication = Publication.named


class HideIn(SQLModel, Input):
    reason: str = Field(min_length=5, max_length=500)


class OrganisationIn(SQLModel, Input):
    community_id: Id
    name: str = Field(min_length=2, max_length=200)
    category: Category
    code: str = Field(min_length=2, max_length=20)


class ReportItemIn(SQLModel, Input):
    section_id: Id | None = None
    question_id: Id | None = None
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
    ruleset_id: int | None
    published_at: datetime | None
    reported_at: datetime | None
    response_count: int
    comment_count: int


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


class AnswerPublic(SQLModel):
    question_id: int
    option_ids: list[int]
    value: int | None
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


class CommentPublic(SQLModel):
    id: int
    section_id: int
    parent_id: int | None
    author: str | None  # None: anonymous
    body: str | None  # None: hidden by a moderator
    hidden: bool
    hidden_reason: str | None
    created_at: datetime


class OptionResult(SQLModel):
    option_id: int
    label: str
    count: int
    percent: float


class QuestionResult(SQLModel):
    question_id: int
    prompt: str
    kind: QuestionKind
    answer_count: int
    options: list[OptionResult]
    average: float | None


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
    outcome: Outcome
    explanation: str


class ReportPublic(SQLModel):
    consultation_id: int
    summary: str
    decision_url: str
    published_at: datetime
    on_time: bool | None
    items: list[ReportItemPublic]
    ratings: RatingSummary


class OrganisationPublic(SQLModel):
    id: int
    community_id: int
    name: str
    category: Category
    code: str
    verified: bool
