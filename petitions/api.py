"""The petitions JSON API under /api/v1: the same services as the pages, Bearer tokens only.

Errors are JSON {"error", "message", "fields"} with the status of the domain error: 401 no
token, 403 wrong role, 404 unknown or invisible petition, 409 wrong state or a second
signature, sponsorship or rating, 422 invalid input.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Literal

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from app import clock
from app.audit import service as audit
from app.audit.models import ReceiptPublic
from app.communities.dependencies import CommunityFilter
from app.deliberation.api import comment_routes
from app.models import Input
from app.web import pagecache
from app.web.auth import ApiUser, BearerToken, OptionalApiUser
from app.web.contract import CsvResponse, make_api_router
from app.web.deps import DbSession, writes
from app.web.paging import CountedPage, window
from app.web.ratelimit import client_ip, rate_limited
from petitions.dependencies import ApiPetition
from petitions.models import (
    SORT_LABELS,
    SUBJECT_TYPE,
    AnswerCreate,
    Category,
    ExportRow,
    InvalidationCreate,
    InvalidationResult,
    ListedStatus,
    Petition,
    PetitionCreate,
    PetitionPublic,
    PetitionSummary,
    RatingCreate,
    RatingsPublic,
    RejectionCreate,
    SignatureCreate,
    SignatureResult,
    SponsorResult,
    UpdateCreate,
    UpdatePublic,
    public_status,
)
from petitions.service import drafting, fraud, outcome, reading, signing

router = make_api_router(tags=["petitions"])
Paging = window(default=20, maximum=100)
ExportPaging = window(default=1000, maximum=1000)


class PaperSignatureCreate(Input):
    model_config = ConfigDict(extra="forbid")

    full_name: str = PField(min_length=3, max_length=200)
    birth_date: date
    address: str = PField(min_length=5, max_length=300)
    email: str = PField("", max_length=254,
                        description="The signer's account e-mail, when they have one.")


def _public(session, user, petition_id: int) -> PetitionPublic:
    return reading.to_public(reading.detail(session, user, petition_id, actions=False))


def _signatures(petition: Petition, receipt: audit.Receipt | None = None) -> SignatureResult:
    return SignatureResult(petition_id=petition.id, signature_count=petition.signature_count,
                           threshold=petition.threshold,
                           status=public_status(petition, clock.now()),
                           receipt=ReceiptPublic.of(receipt) if receipt else None)


@router.get("/petitions", response_model=CountedPage[PetitionSummary])
def list_petitions(request: Request, response: Response, session: DbSession,
                   place: CommunityFilter, paging: Paging,
                   status: ListedStatus | None = None, category: Category | None = None,
                   q: str | None = Query(None, max_length=200),
                   sort: Literal[tuple(SORT_LABELS)] = "newest"):
    """Published petitions; `q` searches title and text."""
    result = reading.listing(session, community=place.slug if place else None, status=status,
                             category=category, q=q, sort=sort, offset=paging.offset,
                             size=paging.limit)
    return paging.page(request, response,
                       [reading.to_summary(p, result.now) for p, _, _ in result.rows],
                       total=result.total)


@router.post("/petitions", response_model=PetitionPublic, status_code=201)
@rate_limited("create")
def create_petition(request: Request, body: PetitionCreate, session: DbSession,
                    user: ApiUser):
    """Draft a petition (a verified resident of the community); submitted unless
    `submit` is false."""
    petition = drafting.create(session, user, body)
    return _public(session, user, petition.id)


@router.get("/petitions/export.csv", response_class=CsvResponse)
def export_csv(session: DbSession):
    """Every published petition and its outcome, without personal data (open data)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = list(ExportRow.model_fields)
    writer.writerow(names)
    for row in reading.export(session):
        data = row.model_dump(mode="json")
        writer.writerow(["" if data[n] is None else data[n] for n in names])
    return CsvResponse(buffer.getvalue(), headers={
        "Content-Disposition": 'attachment; filename="petitions.csv"'})


@router.get("/petitions/export.json", response_model=CountedPage[ExportRow])
def export_json(request: Request, response: Response, session: DbSession,
                paging: ExportPaging):
    """The same export as JSON."""
    return paging.cut(request, response, list(reading.export(session)))


@router.get("/petitions/{petition_id:id}", response_model=PetitionPublic)
def get_petition(petition_id: int, session: DbSession, user: OptionalApiUser):
    """Status, signature count, threshold, deadlines, answer and substance ratings."""
    return _public(session, user, petition_id)


@router.post("/petitions/{petition_id:id}/submit", response_model=PetitionPublic)
def submit(petition_id: int, session: DbSession, user: ApiUser):
    """Submit a draft (its author): to sponsoring or straight to moderation, per the rules."""
    drafting.submit(session, user, petition_id)
    return _public(session, user, petition_id)


@router.post("/petitions/{petition_id:id}/sponsors", response_model=SponsorResult,
             status_code=201)
def sponsor(petition_id: int, session: DbSession, user: ApiUser):
    """Sponsor a petition that looks for sponsors (a verified resident, not the author)."""
    petition = drafting.sponsor(session, user, petition_id)
    return SponsorResult(petition_id=petition.id, sponsor_count=petition.sponsor_count,
                         sponsors_required=petition.sponsors_required,
                         status=public_status(petition, clock.now()))


@router.post("/petitions/{petition_id:id}/publish", response_model=PetitionPublic)
def publish(petition_id: int, session: DbSession, user: ApiUser):
    """Publish a petition in moderation (a moderator of its community)."""
    drafting.publish(session, user, petition_id)
    return _public(session, user, petition_id)


@router.post("/petitions/{petition_id:id}/reject", response_model=PetitionPublic)
def reject(petition_id: int, body: RejectionCreate, session: DbSession, user: ApiUser):
    """Reject a petition in moderation with a coded reason and an explanation."""
    drafting.reject(session, user, petition_id, body.reason, body.explanation)
    return _public(session, user, petition_id)


@router.post("/petitions/{petition_id:id}/signatures", response_model=SignatureResult,
             status_code=201)
@rate_limited("sign")
@writes(False)  # the signature itself goes through the group commit
async def sign(request: Request, petition_id: int, body: SignatureCreate, session: DbSession,
               token: BearerToken):
    """Sign (a verified resident of the community of the minimum age; once)."""
    # No thread: the token's holder and every check are read with the batch's (app.batch).
    signed = await signing.sign_async(session, signing.request(
        petition_id, body.public_name, client_ip(request), token=token))
    if signed.reached_threshold:
        pagecache.invalidate()  # a hot write, but the petition now awaits an answer
    return _signatures(signed.petition, signed.receipt)


@router.delete("/petitions/{petition_id:id}/signatures/me", response_model=SignatureResult)
@pagecache.keeps_pages
def withdraw(session: DbSession, user: ApiUser, petition: ApiPetition):
    """Withdraw my signature while the petition collects signatures."""
    signing.withdraw(session, user, petition.id)
    return _signatures(petition)


@router.post("/petitions/{petition_id:id}/paper-signatures", response_model=SignatureResult,
             status_code=201)
def record_paper(body: PaperSignatureCreate, session: DbSession, user: ApiUser,
                 petition: ApiPetition):
    """Record a signature collected on paper (an official of the community)."""
    signing.record_paper(session, user, petition.id, signing.PaperSigner(
        full_name=body.full_name, birth_date=body.birth_date, address=body.address,
        email=body.email))
    return _signatures(petition)


@router.post("/petitions/{petition_id:id}/answer", response_model=PetitionPublic,
             status_code=201)
def answer(petition_id: int, body: AnswerCreate, session: DbSession, user: ApiUser):
    """Answer (an official of the addressed authority): closes the obligation."""
    outcome.answer(session, user, petition_id, body)
    return _public(session, user, petition_id)


@router.post("/petitions/{petition_id:id}/rating", response_model=RatingsPublic,
             status_code=201)
def rate(petition_id: int, body: RatingCreate, session: DbSession, user: ApiUser):
    """Rate once whether the answer addressed the substance (signers only)."""
    o = outcome.rate(session, user, petition_id, body.value)
    return RatingsPublic(yes=o.rating_yes, partly=o.rating_partly, no=o.rating_no,
                         total=o.rating_yes + o.rating_partly + o.rating_no)


@router.post("/petitions/{petition_id:id}/updates", response_model=UpdatePublic,
             status_code=201)
def post_update(petition_id: int, body: UpdateCreate, session: DbSession, user: ApiUser):
    """Report on the implementation of a (partly) supported petition."""
    item = outcome.post_update(session, user, petition_id, body)
    return UpdatePublic(status=item.status, text=item.text, happened_on=item.happened_on,
                        created_at=item.created_at)


# -- comments (the kernel's mechanism, app.deliberation) ------------------------------------

def _commented(petition_id: int) -> int:
    return petition_id


comment_routes(router, "/petitions/{petition_id:id}", SUBJECT_TYPE, _commented, "petitions")


# -- the moderators' fraud tools --------------------------------------------------------------

class HourPublic(BaseModel):
    start: datetime
    count: int
    burst: bool


class ShareOf(BaseModel):
    key: str
    count: int


class ArrivalsPublic(BaseModel):
    petition_id: int
    signature_count: int
    hours: list[HourPublic]
    domains: list[ShareOf]
    networks: list[ShareOf] = PField(description="Keyed hashes of /24 (IPv4) and /48 (IPv6) "
                                                 "client networks, kept for the rules' "
                                                 "retention only.")


@router.get("/petitions/{petition_id:id}/arrivals", response_model=ArrivalsPublic,
            responses={403: {"description": "Only a moderator of the petition's community "
                                            "(`forbidden`)."}})
def arrivals(petition_id: int, session: DbSession, user: ApiUser):
    """How the signatures arrived (a moderator of the community): per hour, with bursts
    flagged, by e-mail domain and by client network."""
    seen = fraud.arrivals(session, user, petition_id)
    return ArrivalsPublic(
        petition_id=petition_id, signature_count=seen.total,
        hours=[HourPublic(start=h.start, count=h.count, burst=h.burst) for h in seen.hours],
        domains=[ShareOf(key=k, count=n) for k, n in seen.domains],
        networks=[ShareOf(key=k, count=n) for k, n in seen.networks])


@router.post("/petitions/{petition_id:id}/signatures/invalidations",
             response_model=InvalidationResult, status_code=201)
def invalidate(petition_id: int, body: InvalidationCreate, session: DbSession, user: ApiUser):
    """Invalidate the signatures a filter matches (a moderator; every given criterion must
    hold) with a public reason: returns how many, and the count afterwards."""
    done = fraud.invalidate(session, user, petition_id, body)
    pagecache.invalidate()
    return InvalidationResult(petition_id=petition_id, invalidated=done.invalidation.count,
                              signature_count=done.petition.signature_count,
                              status=public_status(done.petition, clock.now()))
