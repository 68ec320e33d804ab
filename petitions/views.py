"""HTML pages of the petitions module: parse, load and authorise (petitions/dependencies.py,
or the service for an act), call the service, render.

Every action is a plain form POST answered with a 303 redirect, or the form's page shown again
with its errors and a 4xx (app.web.forms.rerender). htmx enhances the same routes: a template
names each fragment as a block after the element it fills (#signing of the petition page,
#results of the list, #similar of the draft form) and `block_for` picks it for a request aimed
there.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app import clock
from app.audit import service as audit
from app.communities import repository as communities_repo
from app.communities.models import Community
from app.deliberation.invalidation import parse_moment
from app.deliberation.views import discussion_context
from app.exceptions import DomainError, InvalidInput
from app.rules import service as rules_service
from app.web import pagecache
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router, writes
from app.web.forms import rerender
from app.web.i18n import N_, gettext
from app.web.ratelimit import client_ip, limit
from app.web.templating import block_for, render
from petitions import permissions as perm
from petitions.dependencies import (
    EditedPetition,
    EditFormPetition,
    PaperPetition,
    VisiblePetition,
)
from petitions.models import (
    CATEGORY_LABELS,
    DECISION_LABELS,
    LISTED_STATUSES,
    RATING_LABELS,
    REJECTION_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    SUBJECT_TYPE,
    UPDATE_LABELS,
    AnswerCreate,
    Category,
    Decision,
    InvalidationCreate,
    Petition,
    PetitionCreate,
    UpdateCreate,
    UpdateStatus,
    public_status,
)
from petitions.service import discussion, drafting, fraud, outcome, reading, signing
from petitions.service.common import last_day, link_of

router = make_router(include_in_schema=False)

DETAIL = "petitions/detail.html"
FORM = "petitions/form.html"
PAPER = "petitions/paper.html"
FLASH = {
    "created": N_("The draft is saved. Submit it when it is ready."),
    "submitted": N_("The petition is submitted."),
    "edited": N_("The draft is saved."),
    "sponsored": N_("Thank you: you sponsor this petition."),
    "published": N_("The petition is published."),
    "rejected": N_("The petition is rejected."),
    "signed": N_("Thank you: your signature is counted."),
    "withdrawn": N_("Your signature is withdrawn."),
    "answered": N_("The answer is published."),
    "rated": N_("Thank you: your rating is counted."),
    "update": N_("The update is published."),
    "followed": N_("You follow this petition."),
    "unfollowed": N_("You no longer follow this petition."),
}


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "category_labels": CATEGORY_LABELS,
            "decision_labels": DECISION_LABELS, "rejection_labels": REJECTION_LABELS,
            "rating_labels": RATING_LABELS, "update_labels": UPDATE_LABELS,
            "last_day": last_day}


def _local_name(obj, lang: str) -> str:
    return obj.name_en if lang == "en" and getattr(obj, "name_en", None) else obj.name


def _date(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(fields={field: (N_("Enter a date (YYYY-MM-DD)."), {})}) from None


def _see(petition_id: int, done: str | None = None, anchor: str = "",
         receipt: audit.Receipt | None = None) -> RedirectResponse:
    query = f"?done={done}" if done else ""
    if receipt is not None:  # the page shows it to its owner only
        query += f"&receipt={receipt.commitment}"
    return RedirectResponse(f"/petitions/{petition_id}{query}{anchor}", status_code=303)


# -- list -------------------------------------------------------------------------------------

@router.get("/petitions")
@pagecache.shared_page
def list_petitions(request: Request, session: DbSession, user: OptionalUser,
                   community: str = Query("", max_length=64),
                   status: str = Query("", max_length=20),
                   category: str = Query("", max_length=32),
                   q: str = Query("", max_length=200),
                   sort: str = Query("newest", max_length=20),
                   page: int = Query(1, ge=1, le=100_000)):
    category = category if category in Category.__members__ else ""
    sort = sort if sort in SORT_LABELS else "newest"
    result = reading.listing(session, community=community or None, status=status or None,
                             category=category or None, q=q or None, sort=sort, page=page)
    filters = {"community": community, "status": status, "category": category, "q": q,
               "sort": sort}
    context = {
        "listing": result, "filters": filters, "sorts": SORT_LABELS,
        "communities": communities_repo.communities(session),
        "statuses": LISTED_STATUSES, "categories": list(Category),
        "page_url": "?" + urlencode({k: v for k, v in filters.items() if v}) + "&",
        **_labels(),
    }
    return render(request, "petitions/list.html", context,
                  block=block_for(request, "results"))


@router.get("/petitions/similar")
def similar(request: Request, session: DbSession, q: str = Query("", max_length=2000),
            title: str = Query("", max_length=2000), community_id: int | None = Query(None),
            exclude: int | None = Query(None)):
    """Published petitions like the one being typed (an htmx fragment of the draft form,
    which sends the title field as `title`)."""
    q = q or title
    rows = reading.similar(session, q, community_id, exclude_id=exclude)
    return render(request, FORM, {"similar": rows, "query": q, **_labels()}, block="similar")


# -- drafting ---------------------------------------------------------------------------------

def _form_context(session, user, community: Community | None, form: dict,
                  petition: Petition | None = None) -> dict:
    """The draft form: for a community once chosen (its rules and authorities), else the
    choice of the communities where this person may start a petition."""
    rules = None
    authorities = []
    if community is not None:
        rules = rules_service.current(session, community.id).rules.petitions
        authorities = drafting.authorities_of(session, community.id)
    similar_rows = reading.similar(session, form.get("title", ""), community and community.id,
                                   exclude_id=petition and petition.id)
    return {
        "community": community, "communities": drafting.drafting_communities(session, user),
        "authorities": authorities, "rules": rules, "form": form, "errors": {},
        "petition": petition, "similar": similar_rows, "query": form.get("title", ""),
        "categories": list(Category), "min_title": drafting.TITLE_MIN,
        "min_text": drafting.TEXT_MIN, **_labels(),
    }


def _draft_form(title: str, text: str, category: str, authority_id: int | None) -> dict:
    return {"title": title, "text": text, "category": category, "authority_id": authority_id}


@router.get("/petitions/new")
def new_petition(request: Request, session: DbSession, user: CurrentUser,
                 community: str = Query("", max_length=64)):
    allowed = drafting.drafting_communities(session, user)
    chosen = next((c for c in allowed if c.slug == community), None)
    if chosen is None and len(allowed) == 1:
        chosen = allowed[0]
    return render(request, FORM, _form_context(session, user, chosen, {}))


@router.post("/petitions")
def create_petition(request: Request, session: DbSession, user: CurrentUser,
                    community_id: Annotated[int, Form()],
                    authority_id: Annotated[int | None, Form()] = None,
                    title: Annotated[str, Form(max_length=2000)] = "",
                    text: Annotated[str, Form(max_length=200_000)] = "",
                    category: Annotated[str, Form(max_length=32)] = "",
                    action: Annotated[str, Form(max_length=10)] = "draft"):
    limit(request, "create")
    try:
        data = PetitionCreate.model_construct(
            community_id=community_id, authority_id=authority_id or 0, title=title, text=text,
            category=category, submit=action == "submit")
        petition = drafting.create(session, user, data)
    except DomainError as exc:
        community = next((c for c in drafting.drafting_communities(session, user)
                          if c.id == community_id), None)
        if community is None:  # not a form this person may fill in: the error page
            raise
        form = _draft_form(title, text, category, authority_id)
        return rerender(request, FORM, _form_context(session, user, community, form), exc)
    return _see(petition.id, "submitted" if action == "submit" else "created")


@router.get("/petitions/mine")
def my_petitions(request: Request, session: DbSession, user: CurrentUser):
    return render(request, "petitions/mine.html", {
        "petitions": reading.authored(session, user), "now": clock.now(),
        "public_status": public_status, **_labels()})


@router.get("/petitions/moderation")
def moderation_queue(request: Request, session: DbSession, user: CurrentUser):
    return render(request, "petitions/moderation.html", {
        "petitions": drafting.moderation_queue(session, user), **_labels()})


@router.get("/petitions/{petition_id:int}/edit")
def edit_form(request: Request, session: DbSession, user: CurrentUser,
              petition: EditFormPetition):
    community = communities_repo.community(session, petition.community_id)
    form = _draft_form(petition.title, petition.text, petition.category, petition.authority_id)
    return render(request, FORM, _form_context(session, user, community, form, petition))


@router.post("/petitions/{petition_id:int}/edit")
def edit(request: Request, session: DbSession, user: CurrentUser, petition: EditedPetition,
         authority_id: Annotated[int | None, Form()] = None,
         title: Annotated[str, Form(max_length=2000)] = "",
         text: Annotated[str, Form(max_length=200_000)] = "",
         category: Annotated[str, Form(max_length=32)] = "",
         action: Annotated[str, Form(max_length=10)] = "draft"):
    try:
        drafting.edit(session, user, petition.id, title=title, text=text, category=category,
                      authority_id=authority_id or 0)
        if action == "submit":
            drafting.submit(session, user, petition.id)
    except DomainError as exc:
        community = communities_repo.community(session, petition.community_id)
        form = _draft_form(title, text, category, authority_id)
        return rerender(request, FORM, _form_context(session, user, community, form, petition),
                        exc)
    return _see(petition.id, "submitted" if action == "submit" else "edited")


# -- the petition page and its actions --------------------------------------------------------

def _page_context(request: Request, session, user, petition_id: int, *,
                  form: dict | None = None, flash: str | None = None,
                  fragment: bool = False, receipt: audit.Receipt | None = None,
                  shared: bool = False) -> dict:
    """The petition page; a `fragment` (one block of it) carries its own flash and error,
    which the whole page shows on top. With `shared`, what every visitor sees comes from the
    shared page cache (app.web.pagecache `shared_data`); after the visitor's own act it is
    loaded afresh, so they see it counted."""
    data = None
    if shared:
        data = pagecache.shared_data(
            request, "petition", (petition_id,),
            lambda: reading.page_data(session, petition_id),
            lambda d: len(d.petition.text) + sum(len(u.text) for u in d.updates)
            + (len(d.answer.text) if d.answer else 0) + 4000)
    view = reading.detail(session, user, petition_id, data=data)
    if data is not None and view.signature is not None and pagecache.newer_than_ttl(
            view.signature.created_at):
        # The visitor signed a moment ago: they see their signature counted at once.
        view = reading.detail(session, user, petition_id)
    lang = request.state.lang
    comments = {}
    if not fragment and view.petition.published_at is not None:
        # The kernel's discussion (app.deliberation), with its own forms and paging.
        comments = discussion_context(session, user, SUBJECT_TYPE, view.petition.id,
                                      target=discussion.target_for(view.petition),
                                      request=request if data is not None else None)
    return {
        **comments,
        "view": view, "p": view.petition, "errors": {}, "form": form or {}, "flash": flash,
        "fragment": fragment, "receipt": receipt,
        "community_name": _local_name(view.community, lang),
        "authority_name": _local_name(view.authority, lang),
        "reasons": list(REJECTION_LABELS), "decisions": list(Decision),
        "update_statuses": list(UpdateStatus), "today": clock.today(),
        "share_url": link_of(view.petition.id), **_labels(),
    }


@router.get("/petitions/{petition_id:int}")
@pagecache.shared_page
def petition_page(request: Request, session: DbSession, user: OptionalUser, petition_id: int,
                  done: str = Query("", max_length=20),
                  receipt: str = Query("", max_length=64)):
    flash = gettext(FLASH[done]) if done in FLASH else None
    block = block_for(request, "signing")
    own = audit.own_receipt(session, user.id, receipt) if user and receipt else None
    return render(request, DETAIL, _page_context(request, session, user, petition_id,
                                                 flash=flash, fragment=block is not None,
                                                 receipt=own, shared=not (flash or own)),
                  block=block)


def _act(request: Request, session, user, petition_id: int, action, done: str, *,
         form: dict | None = None, anchor: str = "", blocks: tuple[str, ...] = ()
         ) -> Response:
    """Run an action of the petition page: then see the page (or, for htmx, the block of
    `blocks` the request aims at); on a domain error, the page or block with it."""
    block = block_for(request, *blocks)
    try:
        result = action()
    except DomainError as exc:
        context = _page_context(request, session, user, petition_id, form=form,
                                fragment=block is not None)
        return rerender(request, DETAIL, context, exc, block=block)
    receipt = result.receipt if isinstance(result, signing.Signed) else None
    if isinstance(result, signing.Signed) and result.reached_threshold:
        pagecache.invalidate()  # a hot write, but the petition now awaits an answer
    if block:
        return render(request, DETAIL, _page_context(
            request, session, user, petition_id, flash=gettext(FLASH[done]), fragment=True,
            receipt=receipt), block=block)
    return _see(petition_id, done, anchor, receipt)


@router.post("/petitions/{petition_id:int}/submit")
def submit(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: drafting.submit(session, user, petition_id), "submitted")


@router.post("/petitions/{petition_id:int}/sponsor")
def sponsor(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: drafting.sponsor(session, user, petition_id), "sponsored")


@router.post("/petitions/{petition_id:int}/publish")
def publish(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: drafting.publish(session, user, petition_id), "published")


@router.post("/petitions/{petition_id:int}/reject")
def reject(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
           reason: Annotated[str, Form(max_length=32)] = "",
           explanation: Annotated[str, Form(max_length=5000)] = ""):
    return _act(request, session, user, petition_id,
                lambda: drafting.reject(session, user, petition_id, reason, explanation),
                "rejected", form={"reason": reason, "explanation": explanation})


@router.post("/petitions/{petition_id:int}/sign")
@writes(False)  # the signature itself goes through the group commit
def sign(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
         public_name: Annotated[bool, Form()] = False):
    limit(request, "sign")
    return _act(request, session, user, petition_id,
                lambda: signing.sign(session, user, petition_id, public_name,
                                     client_ip(request)), "signed",
                anchor="#signing", blocks=("signing",))


@router.post("/petitions/{petition_id:int}/withdraw")
@pagecache.keeps_pages
def withdraw(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: signing.withdraw(session, user, petition_id), "withdrawn",
                anchor="#signing", blocks=("signing",))


@router.post("/petitions/{petition_id:int}/answer")
def answer(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
           decision: Annotated[str, Form(max_length=20)] = "",
           text: Annotated[str, Form(max_length=200_000)] = "",
           planned_steps: Annotated[str, Form(max_length=20_000)] = "",
           planned_by: Annotated[str, Form(max_length=10)] = "",
           forwarded_to: Annotated[str, Form(max_length=300)] = ""):
    form = {"decision": decision, "text": text, "planned_steps": planned_steps,
            "planned_by": planned_by, "forwarded_to": forwarded_to}

    def run():
        if decision not in Decision.__members__:
            raise InvalidInput(fields={"decision": (N_("Choose one of the offered options."), {})})
        outcome.answer(session, user, petition_id, AnswerCreate(
            decision=Decision(decision), text=text, planned_steps=planned_steps or None,
            planned_by=_date(planned_by, "planned_by"), forwarded_to=forwarded_to or None))

    return _act(request, session, user, petition_id, run, "answered", form=form,
                anchor="#answer")


@router.post("/petitions/{petition_id:int}/rate")
def rate(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
         value: Annotated[str, Form(max_length=10)] = ""):
    return _act(request, session, user, petition_id,
                lambda: outcome.rate(session, user, petition_id, value), "rated",
                anchor="#answer")


@router.post("/petitions/{petition_id:int}/updates")
def post_update(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
                status: Annotated[str, Form(max_length=20)] = "",
                text: Annotated[str, Form(max_length=20_000)] = "",
                happened_on: Annotated[str, Form(max_length=10)] = ""):
    form = {"status": status, "update_text": text, "happened_on": happened_on}

    def run():
        if status not in UpdateStatus.__members__:
            raise InvalidInput(fields={"status": (N_("Choose one of the offered options."), {})})
        outcome.post_update(session, user, petition_id, UpdateCreate(
            status=UpdateStatus(status), text=text,
            happened_on=_date(happened_on, "happened_on")))

    return _act(request, session, user, petition_id, run, "update", form=form,
                anchor="#updates")


@router.post("/petitions/{petition_id:int}/follow")
@pagecache.keeps_pages
def follow(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: outcome.follow(session, user, petition_id), "followed")


@router.post("/petitions/{petition_id:int}/unfollow")
@pagecache.keeps_pages
def unfollow(request: Request, session: DbSession, user: CurrentUser, petition_id: int):
    return _act(request, session, user, petition_id,
                lambda: outcome.unfollow(session, user, petition_id), "unfollowed")


@router.get("/petitions/{petition_id:int}/signers")
def signers(request: Request, session: DbSession, petition: VisiblePetition,
            page: int = Query(1, ge=1, le=1_000_000)):
    names, pages = reading.signers_page(session, petition, page)
    return render(request, "petitions/signers.html", {
        "p": petition, "names": names, "page": min(page, pages), "pages": pages,
        "withheld": perm.withheld_title(petition), **_labels()})


# -- paper signatures -------------------------------------------------------------------------

def _paper_context(petition: Petition, form: dict, flash: str | None = None) -> dict:
    return {"p": petition, "form": form, "errors": {}, "flash": flash, **_labels()}


@router.get("/petitions/{petition_id:int}/paper")
def paper_form(request: Request, petition: PaperPetition,
               recorded: int = Query(0, ge=0, le=1)):
    flash = gettext(N_("The paper signature is counted.")) if recorded else None
    return render(request, PAPER, _paper_context(petition, {}, flash))


@router.post("/petitions/{petition_id:int}/paper")
def record_paper(request: Request, session: DbSession, user: CurrentUser,
                 petition: PaperPetition,
                 full_name: Annotated[str, Form(max_length=300)] = "",
                 birth_date: Annotated[str, Form(max_length=10)] = "",
                 address: Annotated[str, Form(max_length=500)] = "",
                 email: Annotated[str, Form(max_length=254)] = ""):
    form = {"full_name": full_name, "birth_date": birth_date, "address": address,
            "email": email}
    try:
        signing.record_paper(session, user, petition.id, signing.PaperSigner(
            full_name=full_name, birth_date=_date(birth_date, "birth_date"), address=address,
            email=email))
    except DomainError as exc:
        return rerender(request, PAPER, _paper_context(petition, form), exc)
    return RedirectResponse(f"/petitions/{petition.id}/paper?recorded=1", status_code=303)


# -- the moderators' fraud tools --------------------------------------------------------------

def _arrivals_context(session, user, petition_id: int, form: dict | None = None) -> dict:
    return {"seen": fraud.arrivals(session, user, petition_id), "form": form or {},
            "errors": {}}


@router.get("/petitions/{petition_id:int}/arrivals")
def arrivals(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
             done: str = Query("", max_length=20), n: int = Query(0, ge=0, le=10_000_000),
             network: str = Query("", max_length=32),
             domain: str = Query("", max_length=254)):
    flash = gettext(N_("{n} signatures invalidated; the signers are told.")).format(n=n) \
        if done == "invalidated" else None
    return render(request, "petitions/arrivals.html", _arrivals_context(
        session, user, petition_id, {"network": network, "email_domain": domain})
        | {"flash": flash})


@router.post("/petitions/{petition_id:int}/invalidations")
def invalidate(request: Request, session: DbSession, user: CurrentUser, petition_id: int,
               email_domain: Annotated[str, Form(max_length=254)] = "",
               network: Annotated[str, Form(max_length=32)] = "",
               signed_from: Annotated[str, Form(max_length=40)] = "",
               signed_until: Annotated[str, Form(max_length=40)] = "",
               reason: Annotated[str, Form(max_length=500)] = ""):
    form = {"email_domain": email_domain, "network": network, "signed_from": signed_from,
            "signed_until": signed_until, "reason": reason}
    try:
        done = fraud.invalidate(session, user, petition_id, InvalidationCreate.model_construct(
            email_domain=email_domain or None, network=network.strip() or None,
            signed_from=parse_moment(signed_from, "signed_from"),
            signed_until=parse_moment(signed_until, "signed_until"), reason=reason))
    except InvalidInput as exc:
        ctx = _arrivals_context(session, user, petition_id, form)
        return rerender(request, "petitions/arrivals.html", ctx, exc)
    pagecache.invalidate()
    return RedirectResponse(f"/petitions/{petition_id}/arrivals?done=invalidated"
                            f"&n={done.invalidation.count}", status_code=303)
