"""Tables of deliberation and moderation, and the shapes of their API.

A comment belongs to an item of a module, named as the audit log and notifications name it
(`subject_type`, `subject_id`); the module's `CommentSpace` (app.modules) says where that
item lives and whether comments are open on it now. Reports and moderation decisions are about
a comment or an item of a module; one `deliberation_case` per reported thing holds its state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict
from pydantic import Field as PField
from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models import Id, Input, fk, utc_field
from app.web.i18n import N_

COMMENT = "comment"  # the subject type of a comment in reports, the audit log, notifications


class CommentState(StrEnum):
    visible = "visible"
    pending = "pending"  # hidden by reports, waiting for a moderator
    hidden = "hidden"  # hidden by a moderator, with a public reason
    redacted = "redacted"  # its text removed (personal data)


class ReportReason(StrEnum):
    spam = "spam"
    offensive = "offensive"
    personal_data = "personal_data"
    off_topic = "off_topic"


REASON_LABELS = {
    ReportReason.spam: N_("Spam or advertising"),
    ReportReason.offensive: N_("Offensive or abusive"),
    ReportReason.personal_data: N_("Reveals personal data"),
    ReportReason.off_topic: N_("Off topic"),
}


class Decision(StrEnum):
    keep = "keep"
    hide = "hide"
    redact = "redact"  # delete personal data


DECISION_LABELS = {
    Decision.keep: N_("Keep it: it breaks no rule"),
    Decision.hide: N_("Hide it, with a public reason"),
    Decision.redact: N_("Delete the personal data in it"),
}


class CaseState(StrEnum):
    open = "open"  # reported, below the number of reports that hides it
    pending = "pending"  # hidden by reports until a moderator decides
    decided = "decided"
    appealed = "appealed"  # the author appealed: back in the queue
    closed = "closed"  # the appeal was decided: final


QUEUE_STATES = (CaseState.open, CaseState.pending, CaseState.appealed)


class Publication(StrEnum):
    """How a comment's author is shown: by name, without it, or not to the public at all (its
    author, the item's authority and the moderators still read it). A module's space says
    which of these it offers; the first is the default."""

    named = "named"
    anonymous = "anonymous"
    unpublished = "unpublished"


PUBLICATION_LABELS = {
    Publication.named: N_("Publish with my name"),
    Publication.anonymous: N_("Publish anonymously"),
    Publication.unpublished: N_("Do not publish (not shown to the public)"),
}


class CommentOrder(StrEnum):
    newest = "newest"
    supported = "supported"


class Comment(SQLModel, table=True):
    __tablename__ = "deliberation_comment"
    __table_args__ = (
        Index("ix_deliberation_comment_subject", "subject_type", "subject_id", "parent_id",
              "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=40)
    subject_id: int
    community_id: int = fk("community.id", ondelete="CASCADE")
    parent_id: int | None = fk("deliberation_comment.id", nullable=True, index=False,
                               ondelete="CASCADE")
    user_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    # The authority an official wrote for ("Department of Roads answered").
    authority_id: int | None = fk("community_authority.id", nullable=True, index=False,
                                  ondelete="SET NULL")
    # Where in the item it is about (a consultation's section): one of the anchors its space
    # declares; a reply is on its thread's anchor.
    anchor_id: int | None = None
    # The party the author writes for (an organisation they act for), one of the voices the
    # space lets them use: shown as the author's public name.
    voice_id: int | None = None
    publication: str = Field(default=Publication.named, max_length=12)
    body: str = Field(sa_type=Text)
    state: str = Field(default=CommentState.visible, max_length=12)
    public_reason: str | None = Field(default=None, max_length=500)
    # Counters kept exact in the transaction that changes them.
    support_count: int = 0
    reply_count: int = 0
    created_at: datetime = utc_field(default_now=True)


class CommentSupport(SQLModel, table=True):
    __tablename__ = "deliberation_support"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = fk("deliberation_comment.id", index=False, ondelete="CASCADE")
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    created_at: datetime = utc_field(default_now=True)


class Case(SQLModel, table=True):
    """The moderation of one reported thing: its reports, the decision, the appeal."""

    __tablename__ = "deliberation_case"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),
                      Index("ix_deliberation_case_queue", "community_id", "state", "id"))

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=40)
    subject_id: int
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, index=False,
                               ondelete="SET NULL")
    state: str = Field(default=CaseState.open, max_length=12)
    report_count: int = 0
    hidden: bool = False  # hidden now (by reports, or by a decision)
    decision: str | None = Field(default=None, max_length=12)
    public_reason: str | None = Field(default=None, max_length=500)
    decided_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                   ondelete="SET NULL")
    decided_at: datetime | None = utc_field(nullable=True)
    appeal_text: str | None = Field(default=None, sa_type=Text)
    appealed_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(default_now=True)


class Report(SQLModel, table=True):
    __tablename__ = "deliberation_report"
    __table_args__ = (UniqueConstraint("case_id", "reporter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = fk("deliberation_case.id", index=False, ondelete="CASCADE")
    reporter_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    reason: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc_field(default_now=True)


class Block(SQLModel, table=True):
    """An account may not act in a community until `ends_at` (None: for good) or until
    lifted."""

    __tablename__ = "deliberation_block"
    __table_args__ = (Index("ix_deliberation_block_user", "user_id", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", ondelete="CASCADE")
    user_id: int = fk("identity_user.id", index=False, ondelete="CASCADE")
    reason: str = Field(max_length=500)
    ends_at: datetime | None = utc_field(nullable=True)
    created_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                   ondelete="SET NULL")
    created_at: datetime = utc_field(default_now=True)
    lifted_at: datetime | None = utc_field(nullable=True)


class DigestFrequency(StrEnum):
    off = "off"
    daily = "daily"
    weekly = "weekly"


DIGEST_LABELS = {
    DigestFrequency.off: N_("No digest"),
    DigestFrequency.daily: N_("Every day"),
    DigestFrequency.weekly: N_("Every week"),
}


class Digest(SQLModel, table=True):
    """A person's choice of a digest of what they follow (none unless they ask), and when the
    last one covered up to."""

    __tablename__ = "deliberation_digest"

    user_id: int = fk("identity_user.id", index=False, ondelete="CASCADE", primary_key=True)
    frequency: str = Field(default=DigestFrequency.off, max_length=8)
    covered_until: datetime = utc_field(default_now=True)


# -- API shapes ---------------------------------------------------------------------------

class CommentCreate(Input):
    model_config = ConfigDict(extra="forbid")

    body: str = PField(max_length=100_000)
    parent_id: Id | None = PField(None, description="The comment this one replies to.")
    anchor_id: Id | None = PField(None, description="Where in the item (where the item "
                                                    "has anchors; a reply takes its thread's).")
    voice_id: Id | None = PField(None, description="The party the author writes for.")
    publication: Publication | None = PField(None, description="How the author is shown "
                                             "(the item's first choice when left out).")


class ReportCreate(Input):
    model_config = ConfigDict(extra="forbid")

    reason: ReportReason
    note: str = PField("", max_length=500)


class ModerationCreate(Input):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str = PField("", max_length=500,
                         description="The public reason (required to hide or redact).")


class AppealCreate(Input):
    model_config = ConfigDict(extra="forbid")

    text: str = PField(max_length=4000)


class BlockCreate(Input):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    reason: str = PField(max_length=500)
    days: int | None = PField(None, ge=1, le=3650,
                              description="How long; null blocks for good.")


class CommentPublic(SQLModel):
    id: int
    parent_id: int | None
    anchor_id: int | None = None
    voice_id: int | None = None
    publication: Publication = Publication.named
    author: str | None = PField(description="The author's public name (the voice's when "
                                            "written for one); null when anonymous, "
                                            "unpublished or erased.")
    authority: str | None = PField(description="The authority an official wrote for.")
    body: str | None = PField(description="Null while hidden or after redaction.")
    state: CommentState
    hidden: bool = PField(False, description="Hidden by reports or a moderator.")
    public_reason: str | None
    support_count: int
    reply_count: int
    created_at: datetime
    replies: list[CommentPublic] = []


class ReportResult(SQLModel):
    case_id: int
    report_count: int
    hidden: bool


class CasePublic(SQLModel):
    id: int
    subject_type: str
    subject_id: int
    state: CaseState
    report_count: int
    hidden: bool
    decision: Decision | None
    public_reason: str | None


class BlockPublic(SQLModel):
    id: int
    community_id: int
    user_id: int
    reason: str
    ends_at: datetime | None
    created_at: datetime


OrderParam = Literal[tuple(o.value for o in CommentOrder)]
