"""SQLModel tables of the participatory-budget module and the shapes of its public API.

A cycle's *phase* is never stored: it is read from its dates and the clock (phases.phase_of),
so a cycle moves from submission to review to voting the instant a date passes, with no job.
The one stored step is publication of the results (results_published_at), an act of an
official, after which the cycle is in implementation.

Money is whole hryvnias (or whatever unit the cycle's currency names): costs and funds are
integers, so "within the funds" is exact. An imported Pabulib election keeps its original
META (which may carry a fractional budget) in `meta`, and exports it back unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.accountability.models import ObligationStatus
from app.audit.models import ReceiptPublic
from app.deliberation.invalidation import NETWORK_PATTERN
from app.models import Id, Input, fk, utc_field
from app.web.i18n import N_
from budget.tally import Reason


class Phase(StrEnum):
    upcoming = "upcoming"
    submission = "submission"
    supports = "supports"
    review = "review"
    voting = "voting"
    results = "results"
    implementation = "implementation"


PHASE_LABELS = {
    Phase.upcoming: N_("Not started"),
    Phase.submission: N_("Submission of projects"),
    Phase.supports: N_("Supports for projects"),
    Phase.review: N_("Review of projects"),
    Phase.voting: N_("Voting"),
    Phase.results: N_("Counting the votes"),
    Phase.implementation: N_("Results and implementation"),
}


class ProjectStatus(StrEnum):
    submitted = "submitted"
    not_supported = "not_supported"  # too few supports to go to review
    feasible = "feasible"
    unfeasible = "unfeasible"
    selected = "selected"
    not_selected = "not_selected"


PROJECT_STATUS_LABELS = {
    ProjectStatus.submitted: N_("Awaiting review"),
    ProjectStatus.not_supported: N_("Not enough supports"),
    ProjectStatus.feasible: N_("Feasible"),
    ProjectStatus.unfeasible: N_("Not feasible"),
    ProjectStatus.selected: N_("Selected for funding"),
    ProjectStatus.not_selected: N_("Not selected"),
}

# Projects that are on the ballot (and, after publication, were on it).
ON_BALLOT = (ProjectStatus.feasible, ProjectStatus.selected, ProjectStatus.not_selected)


class CycleSource(StrEnum):
    """Where a cycle comes from: run here, or imported from a Pabulib file (historical)."""

    hromada = "hromada"
    pabulib = "pabulib"


class BallotSource(StrEnum):
    online = "online"
    paper = "paper"
    imported = "import"


class ImplementationStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    delayed = "delayed"
    delivered = "delivered"
    cancelled = "cancelled"


IMPLEMENTATION_LABELS = {
    ImplementationStatus.planned: N_("Planned"),
    ImplementationStatus.in_progress: N_("In progress"),
    ImplementationStatus.delayed: N_("Delayed"),
    ImplementationStatus.delivered: N_("Delivered"),
    ImplementationStatus.cancelled: N_("Cancelled"),
}

# The dates an administrator may move, in their required order.
DateField = Literal["submission_start", "submission_end", "supports_end", "review_end",
                    "voting_start", "voting_end", "results_at"]
DATE_FIELDS: tuple[str, ...] = get_args(DateField)
DATE_LABELS = {
    "submission_start": N_("Submission opens"),
    "submission_end": N_("Submission closes"),
    "supports_end": N_("Supports close"),
    "review_end": N_("Review ends"),
    "voting_start": N_("Voting opens"),
    "voting_end": N_("Voting closes"),
    "results_at": N_("Results announced"),
}

VOTING_METHOD_LABELS = {
    "approval": N_("approval"),
    "knapsack": N_("knapsack (within the funds)"),
    "cumulative": N_("cumulative points"),
    "ordinal": N_("ranking"),
    "choose-1": N_("one project"),
}
AGGREGATION_LABELS = {
    "greedy": N_("greedy by votes"),
    "greedy-no-skip": N_("greedy without skipping"),
    "greedy-threshold": N_("greedy with a vote threshold"),
    "equal-shares": N_("method of equal shares"),
    "greedy-exclusive": N_("greedy with exclusive projects"),
    "equal-shares-comparison": N_("method of equal shares, compared with counting by votes"),
    "equal-shares-basic": N_("method of equal shares without completion"),
    "equal-shares-basic-comparison": N_("method of equal shares without completion, compared "
                                        "with counting by votes"),
}


# -- tables -------------------------------------------------------------------------------

class BudgetCycle(SQLModel, table=True):
    """One participatory budget of one community: funds, dates, and the rules it opened under.

    `source` is "hromada" for a cycle run here and "pabulib" for an imported historical
    election; an imported cycle's method and rule come from its file (kept in `meta`), not
    from the community's rules, because they describe what happened elsewhere.
    """

    __tablename__ = "budget_cycle"
    __table_args__ = (Index("ix_budget_cycle_community_voting", "community_id", "voting_end"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    authority_id: int = fk("community_authority.id", index=False, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    total_funds: int = Field(sa_type=BigInteger)
    currency: str = Field(default="UAH", max_length=8)
    ruleset_id: int = fk("rules_ruleset.id", index=False)
    source: str = Field(default=CycleSource.hromada, max_length=10)
    meta: dict | None = Field(default=None,
                              sa_column=Column(JSON(none_as_null=True), nullable=True))
    submission_start: datetime = utc_field()
    submission_end: datetime = utc_field()
    # The end of the supports phase (after submission), when the cycle's rules have one.
    supports_end: datetime | None = utc_field(nullable=True)
    review_end: datetime = utc_field()
    voting_start: datetime = utc_field()
    voting_end: datetime = utc_field()
    results_at: datetime = utc_field()
    results_published_at: datetime | None = utc_field(nullable=True)
    # What publication computed, kept so the results page never recounts the ballots: per
    # category the winners, the greedy outcome (for comparison) and every project's score.
    results: dict | None = Field(default=None,
                                 sa_column=Column(JSON(none_as_null=True), nullable=True))
    # Counter kept exact in the transaction that adds a ballot.
    ballot_count: int = 0
    created_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                   ondelete="SET NULL")
    created_at: datetime = utc_field(default_now=True)


class BudgetCategory(SQLModel, table=True):
    """A pot of the cycle's funds: city-wide (no district), or one district's (only its
    residents vote for its projects), or a pool such as "small" and "large" projects. A pot
    may have its own rule and its own limit of choices; None takes the cycle's."""

    __tablename__ = "budget_category"
    __table_args__ = (UniqueConstraint("cycle_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("budget_cycle.id", index=False, ondelete="CASCADE")
    name: str = Field(max_length=120)
    funds: int = Field(sa_type=BigInteger)
    position: int = 0
    district_id: int | None = fk("community_district.id", nullable=True, ondelete="RESTRICT")
    aggregation: str | None = Field(default=None, max_length=40)
    max_choices: int | None = None


class BudgetProject(SQLModel, table=True):
    __tablename__ = "budget_project"
    __table_args__ = (
        Index("ix_budget_project_cycle_status", "cycle_id", "status"),
        UniqueConstraint("cycle_id", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("budget_cycle.id", index=False, ondelete="CASCADE")
    category_id: int = fk("budget_category.id", ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    # The project's id in an imported Pabulib file (None for projects submitted here).
    external_id: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    location: str = Field(default="", max_length=300)  # the address, as typed
    latitude: float | None = None  # a point picked on the map (WGS 84)
    longitude: float | None = None
    cost: int = Field(sa_type=BigInteger)
    revised_cost: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(default=ProjectStatus.submitted, max_length=16)
    review_reason: str | None = Field(default=None, sa_type=Text)
    reviewed_at: datetime | None = utc_field(nullable=True)
    reviewed_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    # Counters kept exact in the transaction that casts or changes a ballot.
    vote_count: int = 0
    score: int = 0
    support_count: int = 0  # kept exact in the transaction that adds or withdraws a support
    implementation_status: str | None = Field(default=None, max_length=16)
    implementation_percent: int = 0
    # Hidden after residents' reports until a moderator decides, or by the decision
    # (app.deliberation): its description is withheld from the public meanwhile.
    hidden_by_moderation: bool = False
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)

    @property
    def effective_cost(self) -> int:
        """What the project costs on the ballot: the reviewed cost when there is one."""
        return self.revised_cost if self.revised_cost is not None else self.cost


class BudgetSupport(SQLModel, table=True):
    """A verified resident's support of a proposal in the supports phase: one per resident and
    project (the primary key)."""

    __tablename__ = "budget_support"

    project_id: int = Field(foreign_key="budget_project.id", primary_key=True,
                            ondelete="CASCADE")
    user_id: int = Field(foreign_key="identity_user.id", primary_key=True, index=True,
                         ondelete="CASCADE")
    created_at: datetime = utc_field(default_now=True)


class FileKind(StrEnum):
    image = "image"
    document = "document"


class BudgetProjectFile(SQLModel, table=True):
    """A photo, drawing or document of a project. An image is kept in two sizes re-encoded
    from the upload (`key`: large, `thumb_key`: small), with no metadata; a document (PDF) as
    uploaded. The bytes are in the kernel's file store (app.storage)."""

    __tablename__ = "budget_project_file"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = fk("budget_project.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)
    filename: str = Field(max_length=200)
    caption: str = Field(default="", max_length=200)
    content_type: str = Field(max_length=120)
    size: int
    key: str = Field(max_length=80, unique=True)
    thumb_key: str | None = Field(default=None, max_length=80)
    width: int | None = None
    height: int | None = None
    # Added during implementation (a photo of the works), not with the proposal.
    implementation: bool = False
    uploaded_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    created_at: datetime = utc_field(default_now=True)


class BudgetBallot(SQLModel, table=True):
    """One voter's ballot in one cycle. Online: the voter's account. Paper: the account when
    the voter has one, otherwise a keyed hash of their identity document. Imported Pabulib
    ballots are anonymous (neither)."""

    __tablename__ = "budget_ballot"
    __table_args__ = (
        UniqueConstraint("cycle_id", "voter_user_id"),
        UniqueConstraint("cycle_id", "paper_identity_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("budget_cycle.id", index=False, ondelete="CASCADE")
    voter_user_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    paper_identity_hash: str | None = Field(default=None, max_length=64)
    source: str = Field(default=BallotSource.online, max_length=8)
    recorded_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    # A keyed hash of the online voter's client network (app.deliberation.networks), kept for
    # the rules' retention only: the moderators' view of how ballots arrived.
    network_hash: str | None = Field(default=None, max_length=32)
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)


class BudgetBallotInvalidation(SQLModel, table=True):
    """A moderator's invalidation of a set of a cycle's online ballots: the filter, the public
    reason and how many it removed (the ballots and their choices are deleted, so every
    counter stays equal to its rows and the voters may vote again while voting is open)."""

    __tablename__ = "budget_ballot_invalidation"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("budget_cycle.id", ondelete="CASCADE")
    moderator_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                  ondelete="SET NULL")
    reason: str = Field(max_length=500)
    email_domain: str | None = Field(default=None, max_length=254)
    network_hash: str | None = Field(default=None, max_length=32)
    cast_from: datetime | None = utc_field(nullable=True)
    cast_until: datetime | None = utc_field(nullable=True)
    count: int = 0
    created_at: datetime = utc_field(default_now=True)


class BudgetBallotChoice(SQLModel, table=True):
    """A project on a ballot with its points (1 for approval and knapsack). `rank` keeps the
    order of an imported ordinal vote (1 = first)."""

    __tablename__ = "budget_ballot_choice"

    ballot_id: int = Field(foreign_key="budget_ballot.id", primary_key=True, ondelete="CASCADE")
    project_id: int = Field(foreign_key="budget_project.id", primary_key=True, index=True,
                            ondelete="CASCADE")
    points: int = 1
    rank: int | None = None


class BudgetPhaseChange(SQLModel, table=True):
    """A moved date: which, from what, to what, by whom and why."""

    __tablename__ = "budget_phase_change"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("budget_cycle.id", ondelete="CASCADE")
    field: str = Field(max_length=20)
    old: datetime = utc_field()
    new: datetime = utc_field()
    actor_id: int | None = fk("identity_user.id", nullable=True, index=False,
                              ondelete="SET NULL")
    reason: str = Field(max_length=500)
    at: datetime = utc_field(default_now=True)


class BudgetImplementationUpdate(SQLModel, table=True):
    __tablename__ = "budget_implementation_update"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = fk("budget_project.id", ondelete="CASCADE")
    author_id: int | None = fk("identity_user.id", nullable=True, index=False,
                               ondelete="SET NULL")
    status: str = Field(max_length=16)
    percent: int = 0
    text: str = Field(sa_type=Text)
    happened_on: date
    created_at: datetime = utc_field(default_now=True)


# -- input shapes (API bodies and parsed forms) ---------------------------------------------

# The rules a pot may count by (those of the community's rules: budget.rules.AggregationRule).
PotRule = Literal["greedy", "greedy-no-skip", "greedy-threshold", "equal-shares",
                  "equal-shares-comparison"]

class CategoryIn(Input):
    """A pot: its name and funds; its district (None: city-wide); its own rule and limit of
    choices (None: the cycle's)."""

    model_config = ConfigDict(extra="forbid")

    name: str = PField(min_length=1, max_length=120)
    funds: int = PField(ge=1, le=10**13)
    district_id: Id | None = None
    aggregation: PotRule | None = None
    max_choices: int | None = PField(None, ge=1, le=100)


class CycleCreate(Input):
    """A new cycle. Dates are local calendar days: a phase starts at the beginning of its day
    in Kyiv time. With no categories the whole fund is one pool."""

    model_config = ConfigDict(extra="forbid")

    community_id: Id
    authority_id: Id | None = PField(None, description="Defaults to the community's council.")
    title: str = PField(min_length=5, max_length=200)
    description: str = PField("", max_length=20_000)
    total_funds: int = PField(ge=1, le=10**13)
    submission_start: date
    submission_end: date
    supports_end: date | None = PField(None, description="Required when the community's "
                                       "rules have a supports phase, refused otherwise.")
    review_end: date
    voting_start: date
    voting_end: date
    results_at: date
    categories: list[CategoryIn] = PField(default_factory=list, max_length=20)


# How a cycle's voters vote: the rules' methods, and for an imported election its file's
# `vote_type` (budget.pabulib.format.VOTE_TYPES).
CycleVoteType = Literal["approval", "knapsack", "cumulative", "choose-1", "ordinal", "scoring"]
AGGREGATION = ("The rule that selects the winners: greedy, greedy-no-skip, greedy-threshold or "
               "equal-shares; for an imported election, the rule its file names.")


class DateChange(Input):
    model_config = ConfigDict(extra="forbid")

    field: DateField
    value: date
    reason: str = PField(max_length=500)


class ProjectCreate(Input):
    model_config = ConfigDict(extra="forbid")

    category_id: Id
    title: str = PField(min_length=5, max_length=300)
    description: str = PField(min_length=20, max_length=20_000)
    location: str = PField("", max_length=300)
    latitude: float | None = PField(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = PField(None, ge=-180, le=180, allow_inf_nan=False)
    cost: int = PField(ge=0, le=10**13)


class ProjectUpdate(ProjectCreate):
    pass


class ReviewCreate(Input):
    model_config = ConfigDict(extra="forbid")

    feasible: bool
    reason: str = PField("", max_length=10_000)
    revised_cost: int | None = PField(None, ge=1, le=10**13)


# A project's points on a ballot: at most what cumulative voting can give (BudgetRules).
Points = Annotated[int, PField(ge=0, le=1000)]


class BallotIn(Input):
    """Project id -> points. For approval and knapsack every value is 1 (or use `projects`)."""

    model_config = ConfigDict(extra="forbid")

    projects: list[Id] = PField(default_factory=list, max_length=1000)
    points: dict[Id, Points] = PField(default_factory=dict, max_length=1000)


class BallotInvalidationCreate(Input):
    """Which online ballots of the cycle to invalidate (every given criterion must hold) and
    why. The window is on when a ballot was first cast (start included, end excluded)."""

    model_config = ConfigDict(extra="forbid")

    email_domain: str | None = PField(None, max_length=254,
                                      description="The voters' e-mail domain.")
    network: str | None = PField(None, max_length=32, pattern=NETWORK_PATTERN,
                                 description="A network's keyed hash, as the arrivals view "
                                             "shows it.")
    cast_from: datetime | None = None
    cast_until: datetime | None = None
    reason: str = PField(max_length=500, description="The public reason.")


class BallotInvalidationResult(BaseModel):
    cycle_id: int
    invalidated: int = PField(description="How many ballots were removed.")
    ballot_count: int = PField(description="The cycle's ballots afterwards.")


class BallotInvalidationPublic(BaseModel):
    """The public record of an invalidation (the filter itself stays with the moderators)."""

    count: int
    reason: str
    created_at: datetime


class PaperBallotIn(BallotIn):
    voter_email: str | None = PField(None, max_length=254)
    identity_document: str | None = PField(None, max_length=64)
    birth_date: date | None = None


class ProgressCreate(Input):
    model_config = ConfigDict(extra="forbid")

    status: ImplementationStatus
    percent: int = PField(ge=0, le=100)
    text: str = PField(min_length=3, max_length=20_000)
    happened_on: date | None = None


# -- public shapes --------------------------------------------------------------------------

class CategoryPublic(BaseModel):
    id: int
    name: str
    funds: int
    district_id: int | None = PField(None, description="The district whose residents vote in "
                                     "this pot; null for a city-wide pot.")
    aggregation: str | None = PField(None, description="The pot's own rule (null: the "
                                     "cycle's).")
    max_choices: int | None = PField(None, description="The pot's own limit of choices.")


class PhaseChangePublic(BaseModel):
    field: DateField
    old: datetime
    new: datetime
    reason: str
    at: datetime


class CycleSummary(BaseModel):
    id: int
    community_id: int
    title: str
    total_funds: int
    currency: str
    phase: Phase
    source: CycleSource
    submission_start: datetime
    submission_end: datetime
    supports_end: datetime | None
    review_end: datetime
    voting_start: datetime
    voting_end: datetime
    results_at: datetime
    results_published_at: datetime | None
    ballot_count: int


class CycleRulesPublic(BaseModel):
    voting_method: CycleVoteType
    aggregation: str = PField(description=AGGREGATION)
    max_choices: int | None
    max_choices_per_category: bool
    cumulative_points: int | None
    min_vote_threshold: int
    minimum_age: int
    project_cost_min: int
    project_cost_max: int


class CyclePublic(CycleSummary):
    description: str
    authority_id: int
    ruleset_id: int
    rules: CycleRulesPublic
    categories: list[CategoryPublic]
    phase_changes: list[PhaseChangePublic]
    ballot_invalidations: list[BallotInvalidationPublic] = PField(
        default_factory=list, description="Moderators' invalidations of sets of ballots: "
        "how many and why (public).")
    review_due_at: datetime | None
    review_obligation_status: ObligationStatus | None


HIDDEN_WHILE_VOTING = "Hidden (null) while voting is open."


class ProjectPublic(BaseModel):
    id: int
    cycle_id: int
    category_id: int
    external_id: str | None
    title: str
    description: str
    location: str
    latitude: float | None
    longitude: float | None
    cost: int
    revised_cost: int | None
    status: ProjectStatus
    support_count: int
    review_reason: str | None
    reviewed_at: datetime | None
    vote_count: int | None = PField(description=HIDDEN_WHILE_VOTING)
    score: int | None = PField(description=HIDDEN_WHILE_VOTING)
    implementation_status: ImplementationStatus | None
    implementation_percent: int
    created_at: datetime


class SupportPublic(BaseModel):
    project_id: int
    support_count: int
    supported: bool = PField(description="Whether the token's owner supports the proposal.")


class ProjectFilePublic(BaseModel):
    id: int
    kind: FileKind
    filename: str
    caption: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    implementation: bool = PField(description="Added during implementation (a photo of the "
                                  "works).")
    url: str = PField(description="The large image, or the document (a download).")
    thumbnail_url: str | None
    created_at: datetime


class BallotPublic(BaseModel):
    cycle_id: int
    source: BallotSource
    choices: dict[int, int]
    created_at: datetime
    updated_at: datetime
    receipt: ReceiptPublic | None = PField(
        None, description="The voter's receipt of this ballot's entry in the audit log (in "
                          "the answer to casting or changing it only).")


class BallotSummary(BaseModel):
    """What the ballot leaves: per category, funds or choices still free."""

    valid: bool
    errors: list[str]
    chosen: int
    max_choices: int | None
    points_used: int
    points_total: int | None
    categories: list[dict]


class ResultExplanation(BaseModel):
    """Why the project was funded or not: the count's own step, in figures and in words.
    Amounts are rounded to the cent."""

    reason: Reason = PField(description="The step of the count that decided: funded, free "
                            "(costs nothing), no-votes, below-threshold, too-expensive (more "
                            "than the money left at its turn), stopped (counting had stopped "
                            "at other_project_id), excluded (other_project_id, an alternative, "
                            "was funded), supporters-short (equal shares: its supporters had "
                            "too little of their shares left).")
    text: str = PField(description="The explanation in the language of the request.")
    rank: int | None = PField(description="Place in the order of the greedy count, or the "
                              "round in which equal shares funded the project.")
    votes: int
    score: float
    cost: float
    money_left: float = PField(description="Money of the funds left when the project was "
                               "considered (for equal shares: when it was funded, or when "
                               "counting ended).")
    other_project_id: int | None = None
    threshold: float | None = None
    paid_each: float | None = PField(None, description="Equal shares: what each supporter "
                                     "who could paid.")
    paying: int | None = PField(None, description="Equal shares: supporters who paid "
                                "paid_each.")
    paid_out: int | None = PField(None, description="Equal shares: supporters who had less "
                                  "than paid_each left and paid all they had.")
    paid_out_total: float | None = PField(None, description="What those paid together.")
    supporters_money: float | None = PField(None, description="Equal shares, a project not "
                                            "funded: what its supporters had left of their "
                                            "shares when counting ended.")


class ComparisonPublic(BaseModel):
    """The comparison step: voters for whom each outcome funds more of their projects."""

    prefer_equal_shares: int
    prefer_greedy: int
    indifferent: int
    greedy_kept: bool


class CountExplanationPublic(BaseModel):
    """What explains a category's count as a whole."""

    rule: str
    order: str = PField(description="What greedy counting ordered the projects by: votes or "
                        "points.")
    voters: int
    share: float | None = PField(description="Equal shares: each voter's share of the funds "
                                 "in the run that decided.")
    comparison: ComparisonPublic | None
    text: str


class ResultProject(BaseModel):
    project_id: int
    title: str
    cost: int
    votes: int
    score: int
    selected: bool
    selected_by_greedy: bool | None = None
    explanation: ResultExplanation | None = PField(
        None, description="Null for results published before explanations were kept.")


class ResultCategory(BaseModel):
    """A pot's count: its district (null: city-wide), its rule, its voters (ballots with a
    choice in it) and its projects."""

    category_id: int
    name: str
    funds: int
    spent: int
    district_id: int | None = None
    rule: str | None = PField(None, description="The rule the pot was counted by.")
    voters: int | None = PField(None, description="Ballots with a choice in this pot "
                                "(null for results published before it was kept).")
    projects: list[ResultProject]
    explanation: CountExplanationPublic | None = None


class ResultsPublic(BaseModel):
    cycle_id: int
    aggregation: str = PField(description=AGGREGATION)
    voting_method: CycleVoteType
    published: bool
    published_at: datetime | None
    ballot_count: int
    categories: list[ResultCategory]


class UpdatePublic(BaseModel):
    status: ImplementationStatus
    percent: int
    text: str
    happened_on: date
    created_at: datetime
