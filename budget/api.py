"""JSON API of the participatory budget under /api/v1: the same services as the pages.

Reading is public; writing needs a personal token (`Authorization: Bearer …`). Vote counts
are null while voting is open. Exports (Pabulib, CSV) are published once voting has ended.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from pydantic import Field as PField

from app import clock
from app.audit import service as audit
from app.audit.models import ReceiptPublic
from app.communities.dependencies import CommunityFilter
from app.deliberation.api import comment_routes
from app.models import MAX_ID
from app.web import pagecache
from app.web.auth import ApiUser, BearerToken, OptionalApiUser
from app.web.contract import CsvResponse, make_api_router
from app.web.deps import DbSession, writes
from app.web.paging import CountedPage, window
from app.web.ratelimit import client_ip, rate_limited
from budget import (
    ballot_check,
    ballots,
    cycles,
    exports,
    fraud,
    implementation,
    media,
    permissions,
    projects,
    review,
    supports,
)
from budget import results as budget_results
from budget.dependencies import API, ExportableCycle, OwnBallot, VisibleCycle, VisibleProject
from budget.discussion import SUBJECT_TYPE as PROJECT_SUBJECT
from budget.models import (
    BallotIn,
    BallotInvalidationCreate,
    BallotInvalidationPublic,
    BallotInvalidationResult,
    BallotPublic,
    BallotSummary,
    BudgetCycle,
    BudgetProject,
    CategoryPublic,
    ComparisonPublic,
    CountExplanationPublic,
    CycleCreate,
    CyclePublic,
    CycleRulesPublic,
    CycleSummary,
    DateChange,
    PaperBallotIn,
    PhaseChangePublic,
    ProgressCreate,
    ProjectCreate,
    ProjectFilePublic,
    ProjectPublic,
    ProjectUpdate,
    ResultCategory,
    ResultExplanation,
    ResultProject,
    ResultsPublic,
    ReviewCreate,
    SupportPublic,
    UpdatePublic,
)
from budget.pabulib import exchange
from budget.phases import phase_of, votes_visible

router = make_api_router(tags=["budget"])
CyclePaging = window(default=50, maximum=500)
Paging = window(default=100, maximum=500)


def _summary(cycle: BudgetCycle) -> CycleSummary:
    return CycleSummary(**_summary_fields(cycle))


def _summary_fields(cycle: BudgetCycle) -> dict:
    return {
        "id": cycle.id, "community_id": cycle.community_id, "title": cycle.title,
        "total_funds": cycle.total_funds, "currency": cycle.currency,
        "phase": phase_of(cycle), "source": cycle.source,
        "submission_start": clock.aware(cycle.submission_start),
        "submission_end": clock.aware(cycle.submission_end),
        "supports_end": clock.aware(cycle.supports_end),
        "review_end": clock.aware(cycle.review_end),
        "voting_start": clock.aware(cycle.voting_start),
        "voting_end": clock.aware(cycle.voting_end),
        "results_at": clock.aware(cycle.results_at),
        "results_published_at": clock.aware(cycle.results_published_at),
        "ballot_count": cycle.ballot_count,
    }


def _cycle_public(session, cycle: BudgetCycle) -> CyclePublic:
    rules = cycles.rules_of(session, cycle)
    state = review.review_state(session, cycle)
    return CyclePublic(
        **_summary_fields(cycle), description=cycle.description,
        authority_id=cycle.authority_id, ruleset_id=cycle.ruleset_id,
        rules=CycleRulesPublic(
            voting_method=rules.voting_method, aggregation=rules.aggregation,
            max_choices=rules.max_choices,
            max_choices_per_category=rules.max_choices_per_category,
            cumulative_points=rules.cumulative_points,
            min_vote_threshold=int(rules.min_vote_threshold), minimum_age=rules.minimum_age,
            project_cost_min=rules.project_cost_min, project_cost_max=rules.project_cost_max),
        categories=[CategoryPublic(id=c.id, name=c.name, funds=c.funds,
                                   district_id=c.district_id, aggregation=c.aggregation,
                                   max_choices=c.max_choices)
                    for c in cycles.categories(session, cycle)],
        phase_changes=[PhaseChangePublic(field=c.field, old=clock.aware(c.old),
                                         new=clock.aware(c.new), reason=c.reason,
                                         at=clock.aware(c.at))
                       for c in cycles.phase_changes(session, cycle)],
        ballot_invalidations=[BallotInvalidationPublic(count=i.count, reason=i.reason,
                                                       created_at=clock.aware(i.created_at))
                              for i in fraud.public_invalidations(session, cycle)],
        review_due_at=state.due_at,
        review_obligation_status=state.status)


def _project_public(cycle: BudgetCycle, project: BudgetProject) -> ProjectPublic:
    visible = votes_visible(cycle)
    return ProjectPublic(
        id=project.id, cycle_id=project.cycle_id, category_id=project.category_id,
        external_id=project.external_id, title=project.title,
        description="" if project.hidden_by_moderation else project.description,
        location=project.location,
        latitude=project.latitude, longitude=project.longitude, cost=project.cost,
        revised_cost=project.revised_cost, status=project.status,
        support_count=project.support_count,
        review_reason=project.review_reason, reviewed_at=clock.aware(project.reviewed_at),
        vote_count=project.vote_count if visible else None,
        score=project.score if visible else None,
        implementation_status=project.implementation_status,
        implementation_percent=project.implementation_percent,
        created_at=clock.aware(project.created_at))


def _ballot_public(ballot, choices: dict[int, int], receipt: audit.Receipt | None = None
                   ) -> BallotPublic:
    return BallotPublic(cycle_id=ballot.cycle_id, source=ballot.source, choices=choices,
                        created_at=clock.aware(ballot.created_at),
                        updated_at=clock.aware(ballot.updated_at),
                        receipt=ReceiptPublic.of(receipt) if receipt else None)


def _results_public(results: budget_results.Results) -> ResultsPublic:
    cycle = results.cycle
    return ResultsPublic(
        cycle_id=cycle.id, aggregation=results.rules.aggregation,
        voting_method=results.rules.voting_method, published=results.published,
        published_at=clock.aware(cycle.results_published_at), ballot_count=cycle.ballot_count,
        categories=[ResultCategory(
            category_id=c.category.id, name=c.category.name, funds=c.category.funds,
            spent=c.spent, district_id=c.category.district_id, rule=c.rule or None,
            voters=c.voters,
            projects=[ResultProject(project_id=r.project.id, title=r.project.title,
                                    cost=r.project.effective_cost, votes=r.votes,
                                    score=int(r.score), selected=r.selected,
                                    selected_by_greedy=r.greedy_selected,
                                    explanation=_explanation(c, r))
                      for r in c.projects],
            explanation=_count_explanation(c)) for c in results.categories])


def _cents(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _explanation(c: budget_results.CategoryResult, r: budget_results.ProjectResult
                 ) -> ResultExplanation | None:
    e = r.explanation
    if e is None or c.explanation is None:
        return None
    paid = e.paid_each is not None
    return ResultExplanation(
        reason=e.reason, text=c.why(r), rank=e.rank, votes=e.votes, score=_cents(e.score),
        cost=_cents(e.cost), money_left=_cents(e.money_left), other_project_id=e.other,
        threshold=_cents(e.threshold), paid_each=_cents(e.paid_each),
        paying=e.paying if paid else None, paid_out=e.paid_out if paid else None,
        paid_out_total=_cents(e.paid_out_total) if paid else None,
        supporters_money=_cents(e.supporters_money))


def _count_explanation(c: budget_results.CategoryResult) -> CountExplanationPublic | None:
    e = c.explanation
    if e is None:
        return None
    k = e.comparison
    return CountExplanationPublic(
        rule=e.rule, order=e.order, voters=e.voters, share=_cents(e.share),
        comparison=ComparisonPublic(prefer_equal_shares=k.prefer_equal_shares,
                                    prefer_greedy=k.prefer_greedy, indifferent=k.indifferent,
                                    greedy_kept=k.greedy_kept) if k else None,
        text=c.count_text)



# -- cycles ---------------------------------------------------------------------------------

@router.get("/budgets", response_model=CountedPage[CycleSummary])
def list_cycles(request: Request, response: Response, session: DbSession,
                place: CommunityFilter, paging: CyclePaging):
    """Budget cycles, newest voting first (optionally of one community)."""
    rows, total = cycles.list_cycles(session, place.id if place else None,
                                     offset=paging.offset, limit=paging.limit)
    return paging.page(request, response, [_summary(c) for c, _ in rows], total=total)


@router.post("/budgets", response_model=CyclePublic, status_code=201)
def create_cycle(body: CycleCreate, session: DbSession, user: ApiUser):
    """Create a cycle (officials of the community and administrators)."""
    cycle = cycles.create_cycle(session, user, body)
    return _cycle_public(session, cycle)


@router.get("/budgets/{cycle_id:id}", response_model=CyclePublic)
def get_cycle(session: DbSession, cycle: VisibleCycle):
    return _cycle_public(session, cycle)


@router.post("/budgets/{cycle_id:id}/dates", response_model=CyclePublic)
def move_date(body: DateChange, session: DbSession, user: ApiUser, cycle: API.DatableCycle):
    """Move one future date of the cycle, with a public reason (recorded)."""
    cycles.move_date(session, user, cycle, body.field, body.value, body.reason)
    return _cycle_public(session, cycle)


# -- projects -------------------------------------------------------------------------------

@router.get("/budgets/{cycle_id:id}/projects", response_model=CountedPage[ProjectPublic])
def list_projects(request: Request, response: Response, session: DbSession,
                  cycle: VisibleCycle, paging: Paging):
    """The cycle's projects."""
    return paging.cut(request, response, [
        _project_public(cycle, p) for p in projects.list_projects(session, cycle)])


@router.post("/budgets/{cycle_id:id}/projects", response_model=ProjectPublic, status_code=201)
@rate_limited("create")
def submit_project(request: Request, body: ProjectCreate, session: DbSession, user: ApiUser,
                   cycle: VisibleCycle):
    """Submit a project while submission is open (a verified resident of the community)."""
    return _project_public(cycle, projects.submit_project(session, user, cycle, body))


@router.get("/budgets/{cycle_id:id}/projects/{project_id:id}", response_model=ProjectPublic)
def get_project(cycle: VisibleCycle, project: VisibleProject):
    return _project_public(cycle, project)


@router.put("/budgets/{cycle_id:id}/projects/{project_id:id}", response_model=ProjectPublic)
def edit_project(body: ProjectUpdate, session: DbSession, user: ApiUser, cycle: VisibleCycle,
                 project: API.EditableProject):
    return _project_public(cycle, projects.edit_project(session, user, cycle, project, body))


@router.post("/budgets/{cycle_id:id}/projects/{project_id:id}/review", response_model=ProjectPublic)
def review_project(body: ReviewCreate, session: DbSession, user: ApiUser,
                   cycle: API.ReviewableCycle, project: VisibleProject):
    """Mark a project feasible or not, with a public reason and a revised cost."""
    return _project_public(cycle, review.review_project(session, user, cycle, project, body))


def _support(session, user, cycle: BudgetCycle, project: BudgetProject, on: bool
             ) -> SupportPublic:
    count = supports.support(session, user, cycle, project, on)
    return SupportPublic(project_id=project.id, support_count=count, supported=on)


@router.put("/budgets/{cycle_id:id}/projects/{project_id:id}/support",
            response_model=SupportPublic)
@rate_limited("sign")
def support_project(request: Request, session: DbSession, user: ApiUser, cycle: VisibleCycle,
                    project: VisibleProject):
    """Support a proposal during the supports phase (a verified resident, in a pot open to
    them; once)."""
    return _support(session, user, cycle, project, True)


@router.delete("/budgets/{cycle_id:id}/projects/{project_id:id}/support",
               response_model=SupportPublic)
def withdraw_support(session: DbSession, user: ApiUser, cycle: VisibleCycle,
                     project: VisibleProject):
    """Withdraw your support while the supports phase is open."""
    return _support(session, user, cycle, project, False)


@router.get("/budgets/{cycle_id:id}/projects/{project_id:id}/files",
            response_model=CountedPage[ProjectFilePublic])
def list_files(request: Request, response: Response, session: DbSession,
               project: VisibleProject, paging: Paging):
    """The project's pictures (each in two sizes) and documents."""
    base = projects.project_path(project)
    return paging.cut(request, response, [ProjectFilePublic(
        id=f.id, kind=f.kind, filename=f.filename, caption=f.caption,
        content_type=f.content_type, size=f.size, width=f.width, height=f.height,
        implementation=f.implementation, url=f"{base}/files/{f.id}",
        thumbnail_url=f"{base}/files/{f.id}/thumb" if f.thumb_key else None,
        created_at=clock.aware(f.created_at))
        for f in media.files_of(session, [project])[project.id]])


def _update_public(update) -> UpdatePublic:
    return UpdatePublic(status=update.status, percent=update.percent, text=update.text,
                        happened_on=update.happened_on, created_at=clock.aware(update.created_at))


@router.get("/budgets/{cycle_id:id}/projects/{project_id:id}/updates",
            response_model=CountedPage[UpdatePublic])
def list_updates(request: Request, response: Response, session: DbSession,
                 project: VisibleProject, paging: Paging):
    """The project's implementation reports, oldest first."""
    return paging.cut(request, response, [
        _update_public(u) for u in implementation.updates(session, project)])


@router.post("/budgets/{cycle_id:id}/projects/{project_id:id}/updates", response_model=UpdatePublic,
             status_code=201)
def post_update(body: ProgressCreate, session: DbSession, user: ApiUser, cycle: VisibleCycle,
                project: API.ReportableProject):
    """Report implementation progress (officials); "delivered" closes the obligation."""
    return _update_public(implementation.post_progress(session, user, cycle, project, body))


class BulkRowPublic(BaseModel):
    line: int
    project_id: int
    status: str
    percent: int


class BulkReportPublic(BaseModel):
    applied: int
    rows: list[BulkRowPublic]


@router.post("/budgets/{cycle_id:id}/progress", response_model=BulkReportPublic,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {
                     "type": "object", "required": ["file"],
                     "properties": {"file": {"type": "string", "format": "binary"}}}}}}},
             responses={413: {"description": "The file is too large (`too_large`)."}})
async def bulk_progress(request: Request, cycle_id: int, session: DbSession, user: ApiUser):
    """Report the implementation of many winning projects at once (officials): multipart with
    `file`, a CSV with the header `project_id,status,percent,text,date`. Every row is checked
    first; if any is refused, nothing is applied and `fields` names each refused line."""
    from starlette.concurrency import run_in_threadpool

    from app.communities.views import read_upload

    data, _ = await read_upload(request)
    return await run_in_threadpool(_bulk, session, user, cycle_id, data)


def _bulk(session, user, cycle_id: int, data: bytes) -> BulkReportPublic:
    from budget import bulk

    cycle = cycles.get_cycle(session, cycle_id)
    report = bulk.apply_csv(session, user, cycle, data)
    return BulkReportPublic(applied=len(report.applied), rows=[
        BulkRowPublic(line=r.line, project_id=r.project_id, status=r.status,
                      percent=r.percent) for r in report.applied])


# -- ballots --------------------------------------------------------------------------------

@router.get("/budgets/{cycle_id:id}/ballot", response_model=BallotPublic)
def my_ballot(session: DbSession, ballot: OwnBallot):
    """Your ballot in this cycle."""
    return _ballot_public(ballot, ballots.choices_of(session, ballot))


@router.put("/budgets/{cycle_id:id}/ballot", response_model=BallotPublic)
@rate_limited("vote")
@writes(False)  # the ballot itself goes through the group commit
async def cast_ballot(request: Request, cycle_id: int, body: BallotIn, session: DbSession,
                      token: BearerToken):
    """Cast or change your one ballot: `projects` for approval and knapsack voting, `points`
    ({project id: points}) for cumulative voting. Checked against the cycle's rules."""
    # No thread: the token's holder and every check are read with the batch's (app.batch).
    cast = await ballots.cast_ballot_async(session, ballots.request(
        cycle_id, body.projects, body.points, client_ip(request), token=token))
    return _ballot_public(cast, cast.choices, cast.receipt)


@router.post("/budgets/{cycle_id:id}/ballot/check", response_model=BallotSummary)
@pagecache.keeps_pages
def check_ballot(body: BallotIn, session: DbSession, user: OptionalApiUser, cycle: VisibleCycle):
    """Check a ballot without casting it: what it leaves of the funds, choices or points."""
    pots = cycles.categories(session, cycle)
    check = ballot_check.preview_ballot(session, cycle, body.projects, body.points,
                                        permissions.open_pots(session, user, cycle, pots)
                                        if user is not None else pots)
    return BallotSummary(
        valid=check.valid, errors=[p.text() for p in check.problems], chosen=check.chosen,
        max_choices=check.max_choices, points_used=check.points_used,
        points_total=check.points_total,
        categories=[{"category_id": t.category.id, "name": t.category.name,
                     "funds": t.category.funds, "spent": t.spent, "remaining": t.remaining,
                     "chosen": t.chosen, "choices_left": t.choices_left}
                    for t in check.categories])


@router.post("/budgets/{cycle_id:id}/paper-ballots", response_model=BallotPublic, status_code=201)
def record_paper_ballot(body: PaperBallotIn, session: DbSession, user: ApiUser,
                        cycle: API.PaperCycle):
    """Record a paper ballot from a service centre (officials). The voter is named by the
    e-mail of their account, or by an identity document (kept only as a keyed hash)."""
    ballot = ballots.record_paper_ballot(
        session, user, cycle, projects_in=body.projects, points_in=body.points,
        voter_email=body.voter_email, identity_document=body.identity_document,
        birth_date=body.birth_date)
    return _ballot_public(ballot, ballots.choices_of(session, ballot))


# -- results and exports --------------------------------------------------------------------

@router.get("/budgets/{cycle_id:id}/results", response_model=ResultsPublic)
def results(session: DbSession, cycle: ExportableCycle):
    """Published results, or the provisional count once voting has ended."""
    return _results_public(budget_results.results_for_display(session, cycle))


@router.post("/budgets/{cycle_id:id}/results/publish", response_model=ResultsPublic)
def publish(session: DbSession, user: ApiUser, cycle: API.PublishableCycle):
    """Publish the results (officials, after voting ends): opens one implementation
    obligation per winner."""
    return _results_public(budget_results.publish_results(session, user, cycle))


@router.get("/budgets/{cycle_id:id}/export.pb", response_class=PlainTextResponse)
def export_pabulib(session: DbSession, cycle: ExportableCycle,
                   category: int | None = Query(None, ge=1, le=MAX_ID)):
    """The cycle in the Pabulib format, with anonymous votes (one pot with ?category=: one
    file per pot, as Pabulib keeps one per district)."""
    text = exchange.export_pabulib(session, cycle, category)
    name = f"budget-{cycle.id}-{category}.pb" if category else f"budget-{cycle.id}.pb"
    return PlainTextResponse(text, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def _csv(text: str, name: str) -> CsvResponse:
    return CsvResponse(text, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/budgets/{cycle_id:id}/results.csv", response_class=CsvResponse)
def export_results_csv(session: DbSession, cycle: ExportableCycle):
    """The count by project, as CSV, once voting has ended."""
    return _csv(exports.results_csv(session, cycle), f"budget-{cycle.id}-results.csv")


@router.get("/budgets/{cycle_id:id}/ballots.csv", response_class=CsvResponse)
def export_ballots_csv(session: DbSession, cycle: ExportableCycle):
    """Every ballot, anonymous, as CSV, once voting has ended."""
    return _csv(exports.ballots_csv(session, cycle), f"budget-{cycle.id}-ballots.csv")


# -- comments on projects (the kernel's mechanism, app.deliberation) -------------------------

def _commented_project(project: VisibleProject) -> int:
    return project.id


comment_routes(router, "/budgets/{cycle_id:id}/projects/{project_id:id}", PROJECT_SUBJECT,
               _commented_project, "budget")


class BallotHourPublic(BaseModel):
    start: datetime
    count: int
    burst: bool


class BallotDomainPublic(BaseModel):
    domain: str
    count: int


class BallotNetworkPublic(BaseModel):
    network: str = PField(description="The keyed hash of an IPv4 /24 or IPv6 /48 network.")
    count: int


class BallotArrivalsPublic(BaseModel):
    cycle_id: int
    ballot_count: int
    hours: list[BallotHourPublic]
    domains: list[BallotDomainPublic]
    networks: list[BallotNetworkPublic] = PField(
        description="Online ballots by the keyed hash of the voter's client network, kept "
                    "for the rules' retention only.")


@router.get("/budgets/{cycle_id:id}/arrivals", response_model=BallotArrivalsPublic,
            responses={403: {"description": "Only a moderator of the cycle's community "
                                            "(`forbidden`)."}})
def ballot_arrivals(session: DbSession, user: ApiUser, cycle: VisibleCycle):
    """How the ballots arrived (a moderator of the community): per hour, bursts flagged, by
    the voters' e-mail domain and by their client network."""
    seen = fraud.arrivals(session, user, cycle)
    return BallotArrivalsPublic(
        cycle_id=cycle.id, ballot_count=seen.total,
        hours=[BallotHourPublic(start=h.start, count=h.count, burst=h.burst)
               for h in seen.hours],
        domains=[BallotDomainPublic(domain=d, count=n) for d, n in seen.domains],
        networks=[BallotNetworkPublic(network=k, count=n) for k, n in seen.networks])


@router.post("/budgets/{cycle_id:id}/ballots/invalidations",
             response_model=BallotInvalidationResult, status_code=201,
             responses={403: {"description": "Only a moderator of the cycle's community "
                                             "(`forbidden`)."},
                        409: {"description": "Voting has not opened, the results are "
                                             "published (final), or the cycle is imported "
                                             "(`conflict`)."},
                        422: {"description": "A malformed filter or reason, or a filter that "
                                             "matches no ballot or every ballot (`invalid`)."}})
def invalidate_ballots(body: BallotInvalidationCreate, session: DbSession, user: ApiUser,
                       cycle: API.InvalidatableCycle):
    """Invalidate the online ballots a filter matches (a moderator; every given criterion
    must hold: e-mail domain, network hash, `cast_from` included to `cast_until` excluded)
    with a public reason, from the opening of voting until the results are published. The
    ballots and their choices are removed and every count drops at once; the voters are told
    and may vote again while voting is open. Returns how many were invalidated."""
    done = fraud.invalidate(session, user, cycle, body)
    return BallotInvalidationResult(cycle_id=cycle.id, invalidated=done.invalidation.count,
                                    ballot_count=done.cycle.ballot_count)
