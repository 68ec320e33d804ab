"""SQLModel tables of the petitions module and the shapes of its public API.

A petition's stored `status` moves draft -> (sponsoring) -> moderation -> open ->
awaiting_answer -> answered, or ends rejected (moderation) or closed (period over below the
threshold). Two states are derived on read and never stored: an open petition whose collection
period has ended is *closed*, and an awaiting_answer petition whose answer is past due is
*overdue* (see public_status below).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app import clock
from app.accountability.models import ObligationStatus
from app.audit.models import ReceiptPublic
from app.models import Id, Input, fk, utc_field
from app.web.i18n import N_
from petitions.rules import ANSWER

# How the accountability ledger, the audit log and notifications name a petition, and the
# obligation a petition that reached its threshold opens.
SUBJECT_TYPE = "petition"
OBLIGATION_KIND = ANSWER.code


class PetitionStatus(StrEnum):
    draft = "draft"
    sponsoring = "sponsoring"
    moderation = "moderation"
    open = "open"
    awaiting_answer = "awaiting_answer"
    answered = "answered"
    closed = "closed"
    rejected = "rejected"


class PublicStatus(StrEnum):
    """What lists and pages show: the stored status, with the two derived ones."""

    draft = "draft"
    sponsoring = "sponsoring"
    moderation = "moderation"
    open = "open"
    awaiting_answer = "awaiting_answer"
    overdue = "overdue"
    answered = "answered"
    closed = "closed"
    rejected = "rejected"


# The statuses a visitor may filter the public list by: drafts, sponsoring and moderation
# are not listed.
LISTED_STATUSES = (PublicStatus.open, PublicStatus.awaiting_answer, PublicStatus.overdue,
                   PublicStatus.answered, PublicStatus.closed, PublicStatus.rejected)
ListedStatus = Literal[tuple(s.value for s in LISTED_STATUSES)]  # the API's list filter
# The stored statuses behind them (overdue is derived from awaiting_answer).
LISTED = tuple(PetitionStatus(s) for s in LISTED_STATUSES if s in PetitionStatus.__members__)

STATUS_LABELS = {
    PublicStatus.draft: N_("Draft"),
    PublicStatus.sponsoring: N_("Looking for sponsors"),
    PublicStatus.moderation: N_("In moderation"),
    PublicStatus.open: N_("Collecting signatures"),
    PublicStatus.awaiting_answer: N_("Awaiting answer"),
    PublicStatus.overdue: N_("Answer overdue"),
    PublicStatus.answered: N_("Answered"),
    PublicStatus.closed: N_("Closed"),
    PublicStatus.rejected: N_("Rejected"),
}


# The orders of the public list (repository.search knows each).
SORT_LABELS = {"newest": N_("Newest"), "signatures": N_("Most signatures"),
               "deadline": N_("Nearest deadline")}


class Category(StrEnum):
    transport = "transport"
    housing = "housing"
    environment = "environment"
    education = "education"
    health = "health"
    social = "social"
    culture = "culture"
    safety = "safety"
    urban = "urban"
    governance = "governance"
    other = "other"


CATEGORY_LABELS = {
    Category.transport: N_("Transport and roads"),
    Category.housing: N_("Housing and utilities"),
    Category.environment: N_("Environment and green spaces"),
    Category.education: N_("Education"),
    Category.health: N_("Health care"),
    Category.social: N_("Social protection"),
    Category.culture: N_("Culture and sport"),
    Category.safety: N_("Public safety"),
    Category.urban: N_("Streets, parks and public spaces"),
    Category.governance: N_("Local government and transparency"),
    Category.other: N_("Other"),
}


class RejectionReason(StrEnum):
    duplicate = "duplicate"
    outside_competence = "outside_competence"
    unclear = "unclear"
    offensive = "offensive"
    personal_data = "personal_data"


REJECTION_LABELS = {
    RejectionReason.duplicate: N_("Duplicates an existing petition"),
    RejectionReason.outside_competence: N_("Outside the authority's competence"),
    RejectionReason.unclear: N_("The demand is unclear"),
    RejectionReason.offensive: N_("Offensive or unlawful content"),
    RejectionReason.personal_data: N_("Contains personal data"),
}


class Decision(StrEnum):
    supported = "supported"
    partly_supported = "partly_supported"
    not_supported = "not_supported"
    forwarded = "forwarded"


DECISION_LABELS = {
    Decision.supported: N_("Supported"),
    Decision.partly_supported: N_("Partly supported"),
    Decision.not_supported: N_("Not supported"),
    Decision.forwarded: N_("Forwarded to a competent body"),
}

# Decisions that promise something, so the authority reports on implementation.
IMPLEMENTED_DECISIONS = (Decision.supported, Decision.partly_supported)


class Rating(StrEnum):
    yes = "yes"
    partly = "partly"
    no = "no"


RATING_LABELS = {
    Rating.yes: N_("Yes, it addressed the substance"),
    Rating.partly: N_("Partly"),
    Rating.no: N_("No, it did not"),
}


class UpdateStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    delayed = "delayed"
    cancelled = "cancelled"


UPDATE_LABELS = {
    UpdateStatus.planned: N_("Planned"),
    UpdateStatus.in_progress: N_("In progress"),
    UpdateStatus.done: N_("Done"),
    UpdateStatus.delayed: N_("Delayed"),
    UpdateStatus.cancelled: N_("Cancelled"),
}


class SignatureSource(StrEnum):
    online = "online"
    paper = "paper"


# -- tables -------------------------------------------------------------------------------

class Petition(SQLModel, table=True):
    __tablename__ = "petition"
    __table_args__ = (
        Index("ix_petition_status_community", "status", "community_id"),
        Index("ix_petition_status_signature_count", "status", "signature_count"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", ondelete="CASCADE")
    authority_id: int = fk("community_authority.id", ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    title: str = Field(max_length=500)
    text: str = Field(sa_type=Text)
    category: str = Field(max_length=32)
    status: str = Field(default=PetitionStatus.draft, max_length=20)
    # The rule-set version the petition opened under, and what it fixed at submission.
    ruleset_id: int = fk("rules_ruleset.id", index=False)
    threshold: int | None = None
    sponsors_required: int = 0
    # Counters kept exact in the transaction that changes them (atomic UPDATE).
    signature_count: int = 0
    public_signer_count: int = 0
    sponsor_count: int = 0
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    submitted_at: datetime | None = utc_field(nullable=True)
    moderation_due_at: datetime | None = utc_field(nullable=True)
    published_at: datetime | None = utc_field(nullable=True)
    collection_ends_at: datetime | None = utc_field(nullable=True)
    threshold_reached_at: datetime | None = utc_field(nullable=True)
    # Copied from the obligation when it opens, so lists can filter "overdue" in SQL.
    answer_due_at: datetime | None = utc_field(nullable=True)
    answered_at: datetime | None = utc_field(nullable=True)
    closed_at: datetime | None = utc_field(nullable=True)
    rejected_at: datetime | None = utc_field(nullable=True)
    rejection_reason: str | None = Field(default=None, max_length=32)
    rejection_text: str | None = Field(default=None, sa_type=Text)
    moderator_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                  ondelete="SET NULL")
    # Hidden after residents' reports until a moderator decides, or by the decision
    # (app.deliberation): its text is withheld from the public meanwhile.
    hidden_by_moderation: bool = False


def public_status(petition: Petition, now: datetime) -> PublicStatus:
    """The stored status, with "closed" once the period ends and "overdue" once the answer
    is late (both derived from the clock, so they are right the instant they happen)."""
    status = petition.status
    if status == PetitionStatus.open:
        ends = clock.aware(petition.collection_ends_at)
        if ends is not None and ends <= now:
            return PublicStatus.closed
    if status == PetitionStatus.awaiting_answer:
        due = clock.aware(petition.answer_due_at)
        if due is not None and due <= now:
            return PublicStatus.overdue
    return PublicStatus(status)


class PetitionSignature(SQLModel, table=True):
    """One signature. Online: the signer's account. Paper: the account if the signer has one,
    otherwise only a keyed hash of the normalised name, birth date and address."""

    __tablename__ = "petition_signature"
    __table_args__ = (
        UniqueConstraint("petition_id", "user_id"),
        UniqueConstraint("petition_id", "identity_hash"),
        Index("ix_petition_signature_public", "petition_id", "public_name", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    petition_id: int = fk("petition.id", index=False, ondelete="CASCADE")
    user_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    source: str = Field(default=SignatureSource.online, max_length=10)
    public_name: bool = False
    identity_hash: str | None = Field(default=None, max_length=64)
    recorded_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    # The signer's one rating of the answer's substance (yes, partly, no).
    rating: str | None = Field(default=None, max_length=10)
    # A keyed hash of the online signer's client network (app.deliberation.networks), kept
    # for the rules' retention only: the moderators' view of how signatures arrived.
    network_hash: str | None = Field(default=None, max_length=32)
    created_at: datetime = utc_field(default_now=True)


class PetitionInvalidation(SQLModel, table=True):
    """A moderator's invalidation of a set of signatures: the filter, the public reason and
    how many it removed (the signatures themselves are deleted, so the counter stays equal to
    its rows and the signers may sign again)."""

    __tablename__ = "petition_invalidation"

    id: int | None = Field(default=None, primary_key=True)
    petition_id: int = fk("petition.id", ondelete="CASCADE")
    moderator_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                  ondelete="SET NULL")
    reason: str = Field(max_length=500)
    email_domain: str | None = Field(default=None, max_length=254)
    network_hash: str | None = Field(default=None, max_length=32)
    signed_from: datetime | None = utc_field(nullable=True)
    signed_until: datetime | None = utc_field(nullable=True)
    count: int = 0
    public_count: int = 0
    created_at: datetime = utc_field(default_now=True)


class PetitionSponsor(SQLModel, table=True):
    __tablename__ = "petition_sponsor"
    __table_args__ = (UniqueConstraint("petition_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    petition_id: int = fk("petition.id", index=False, ondelete="CASCADE")
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    created_at: datetime = utc_field(default_now=True)


class PetitionAnswer(SQLModel, table=True):
    __tablename__ = "petition_answer"

    id: int | None = Field(default=None, primary_key=True)
    petition_id: int = fk("petition.id", index=False, ondelete="CASCADE", unique=True)
    authority_id: int = fk("community_authority.id", index=False, ondelete="CASCADE")
    official_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                 ondelete="SET NULL")
    decision: str = Field(max_length=20)
    text: str = Field(sa_type=Text)
    planned_steps: str | None = Field(default=None, sa_type=Text)
    planned_by: date | None = None
    forwarded_to: str | None = Field(default=None, max_length=300)
    created_at: datetime = utc_field(default_now=True)


class PetitionImplementationUpdate(SQLModel, table=True):
    """An implementation update posted by the authority after a (partly) supported answer."""

    __tablename__ = "petition_update"

    id: int | None = Field(default=None, primary_key=True)
    petition_id: int = fk("petition.id", ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, index=False,
                               ondelete="SET NULL")
    status: str = Field(max_length=20)
    text: str = Field(sa_type=Text)
    happened_on: date
    created_at: datetime = utc_field(default_now=True)


# -- API shapes ---------------------------------------------------------------------------

class PetitionCreate(Input):
    """A new petition. Length limits are the community's rules, checked by the service."""

    model_config = ConfigDict(extra="forbid")

    community_id: Id
    authority_id: Id
    title: str = PField(max_length=2000)
    text: str = PField(max_length=200_000)
    category: Category
    submit: bool = PField(True, description="Submit at once (false: keep as a draft).")


class SignatureCreate(Input):
    model_config = ConfigDict(extra="forbid")

    public_name: bool = PField(False, description="Show my name in the public signer list.")


class InvalidationCreate(Input):
    """Which signatures to invalidate (every given criterion must hold) and why."""

    model_config = ConfigDict(extra="forbid")

    email_domain: str | None = PField(None, max_length=254,
                                      description="The signers' e-mail domain.")
    network: str | None = PField(None, max_length=32, pattern=r"^[0-9a-f]{32}$",
                                 description="A network's keyed hash, as the arrivals view "
                                             "shows it.")
    signed_from: datetime | None = None
    signed_until: datetime | None = None
    reason: str = PField(max_length=500, description="The public reason.")


class InvalidationResult(BaseModel):
    petition_id: int
    invalidated: int
    signature_count: int
    status: PublicStatus


class RejectionCreate(Input):
    model_config = ConfigDict(extra="forbid")

    reason: RejectionReason
    explanation: str = PField(max_length=5000)


class AnswerCreate(Input):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    text: str = PField(max_length=200_000)
    planned_steps: str | None = PField(None, max_length=20_000)
    planned_by: date | None = None
    forwarded_to: str | None = PField(None, max_length=300)


class RatingCreate(Input):
    model_config = ConfigDict(extra="forbid")

    value: Rating


class UpdateCreate(Input):
    model_config = ConfigDict(extra="forbid")

    status: UpdateStatus
    text: str = PField(max_length=20_000)
    happened_on: date | None = None


class RejectionPublic(BaseModel):
    reason: RejectionReason | None = PField(
        description="Withheld (null) when the petition was rejected as offensive or unlawful.")
    explanation: str | None
    rejected_at: datetime | None


class AnswerPublic(BaseModel):
    decision: Decision
    text: str
    planned_steps: str | None
    planned_by: date | None
    forwarded_to: str | None
    answered_at: datetime
    on_time: bool


class RatingsPublic(BaseModel):
    yes: int
    partly: int
    no: int
    total: int


class UpdatePublic(BaseModel):
    status: UpdateStatus
    text: str
    happened_on: date
    created_at: datetime


class PetitionSummary(BaseModel):
    id: int
    community_id: int
    authority_id: int
    title: str | None = PField(description="Withheld (null) for petitions rejected as "
                                            "offensive or unlawful.")
    category: Category
    status: PublicStatus
    signature_count: int
    threshold: int | None
    published_at: datetime | None
    collection_ends_at: datetime | None
    answer_due_at: datetime | None
    answered_at: datetime | None


class PetitionPublic(PetitionSummary):
    text: str | None = PField(description="Withheld (null) for petitions rejected as offensive "
                                          "or for containing personal data.")
    sponsor_count: int
    sponsors_required: int
    ruleset_id: int
    created_at: datetime
    submitted_at: datetime | None
    moderation_due_at: datetime | None
    threshold_reached_at: datetime | None
    closed_at: datetime | None
    days_left: int | None
    obligation_status: ObligationStatus | None
    answer: AnswerPublic | None
    ratings: RatingsPublic | None
    rejection: RejectionPublic | None
    updates: list[UpdatePublic]


class SignatureResult(BaseModel):
    petition_id: int
    signature_count: int
    threshold: int | None
    status: PublicStatus
    receipt: ReceiptPublic | None = PField(
        None, description="The signer's receipt of their entry in the audit log (after "
                          "signing only).")


class SponsorResult(BaseModel):
    petition_id: int
    sponsor_count: int
    sponsors_required: int
    status: PublicStatus


class ExportRow(BaseModel):
    """One petition in the open-data export: no personal data."""

    id: int
    community: str
    authority: str
    title: str | None
    category: Category
    status: PublicStatus
    signature_count: int
    threshold: int | None
    published_at: datetime | None
    collection_ends_at: datetime | None
    threshold_reached_at: datetime | None
    answer_due_at: datetime | None
    answered_at: datetime | None
    decision: Decision | None
    answered_on_time: bool | None
    rating_yes: int | None
    rating_partly: int | None
    rating_no: int | None
    rejection_reason: RejectionReason | None
