"""HTML pages of consultations: parse, authorise (consultations/dependencies.py), call the
service, render.

Every form posts and redirects (303), or is shown again with its errors (app.web.forms.rerender)
without JavaScript. htmx enhances an answer, saved per
question (the route answers with the respond page's `question` block); comments on the
sections are the kernel's discussion (app.deliberation), included in the consultation page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from fastapi.responses import Response as HttpResponse
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from app import clock
from app.accountability import service as accountability
from app.audit import service as audit
from app.communities import permissions as cp
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import Community
from app.deliberation.views import discussion_context
from app.exceptions import DomainError, Forbidden, InvalidInput, NotAuthenticated, NotFound
from app.rules import calendar
from app.settings import get_settings
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router
from app.web.forms import parse, rerender
from app.web.i18n import N_, gettext
from app.web.ratelimit import limit
from app.web.templating import block_for, render
from consultations import charts, permissions, uploads
from consultations.dependencies import (
    ConsultationAuthor,
    EditableConsultation,
    OrganisationReviewer,
    OwnResponse,
    VisibleConsultation,
)
from consultations.models import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    PHASE_LABELS,
    PUBLICATION_LABELS,
    QUESTION_KIND_LABELS,
    RATING_LABELS,
    STAGE_LABELS,
    SUBJECT_TYPE,
    TOPIC_LABELS,
    VOTE_LABELS,
    AnswerIn,
    Category,
    Consultation,
    ConsultationCreate,
    ConsultationResponse,
    ConsultationUpdate,
    OrganisationIn,
    Outcome,
    Phase,
    Publication,
    QuestionCreate,
    QuestionKind,
    RedactIn,
    ReportIn,
    ReportItemIn,
    ResponseEdit,
    ResponseIn,
    RowIn,
    Stage,
    StatementIn,
    Topic,
    Vote,
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

router = make_router()

LABELS = {
    "stages": STAGE_LABELS, "topics": TOPIC_LABELS, "votes": VOTE_LABELS,
    "phases": PHASE_LABELS, "categories": CATEGORY_LABELS, "publications": PUBLICATION_LABELS,
    "kinds": QUESTION_KIND_LABELS, "outcomes": OUTCOME_LABELS, "ratings": RATING_LABELS,
}
PUBLICATION_CHOICE = N_("Choose how your contribution is published.")


async def form_data(request: Request) -> FormData:
    """The whole submitted form, for forms whose fields depend on the questionnaire."""
    return await request.form()


Form_ = Annotated[FormData, Depends(form_data)]


# -- parsing ------------------------------------------------------------------------------

def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _publication(value: Any) -> Publication:
    if value not in tuple(Publication):
        raise InvalidInput(PUBLICATION_CHOICE, fields={"publication": PUBLICATION_CHOICE})
    return Publication(value)


def _as_invalid(exc: DomainError) -> DomainError:
    """The forms that create something (a consultation, an organisation) answer whatever they
    refuse as invalid input (422) on the form, a taken registration code or an unknown choice
    included; a person who may not use them at all gets the error page (401, 403)."""
    if isinstance(exc, (NotAuthenticated, Forbidden)):
        raise exc
    return InvalidInput(exc.message, fields=exc.fields, **exc.params)


# -- shared pieces ------------------------------------------------------------------------

def _fragment(request: Request, block: str, element_id: str) -> str | None:
    """The page's `block` when htmx aims at `element_id`, the one element of a list it fills
    (question-7, comments-3): a block's name cannot carry the id."""
    return block if block_for(request, element_id) else None


def _communities(session) -> dict[int, Community]:
    return {c.id: c for c in communities_repo.communities(session)}


def _publications() -> list[tuple[str, str]]:
    return [(p.value, gettext(PUBLICATION_LABELS[p])) for p in Publication]


def _base(session, user, c: Consultation) -> dict[str, Any]:
    return {
        "c": c,
        "phase": reading.phase(c),
        "community": communities.get(session, c.community_id),
        "authority": communities.get_authority(session, c.authority_id),
        "is_staff": permissions.is_staff_of(session, user, c),
        "L": LABELS,
    }


# -- list and creation --------------------------------------------------------------------

@router.get("/consultations")
def listing(request: Request, session: DbSession, user: OptionalUser,
            community: str = Query("", max_length=64), phase: str = Query("", max_length=16),
            page: int = Query(1, ge=1, le=10_000)):
    place = communities.get_by_slug(session, community) if community else None
    phase_filter = phase if phase in tuple(Phase) else None
    items, total = reading.listing(session, user, community_id=place.id if place else None,
                                   phase_filter=phase_filter, page=page)
    per_page = get_settings().page_size
    names = _communities(session)
    return render(request, "consultations/list.html", {
        "items": [(c, reading.phase(c), names.get(c.community_id)) for c in items],
        "total": total, "page": page, "pages": max(1, -(-total // per_page)),
        "community": place, "communities": list(names.values()), "phase_filter": phase_filter,
        "can_create": cp.allowed(permissions.check_create_any, session, user), "L": LABELS,
        "query": f"?community={quote(community)}&phase={quote(phase_filter or '')}&",
    })


def _authority_choices(session, user) -> list[tuple[int, str]]:
    out = []
    for authority_id in sorted(cp.memberships(session, user).official_of):
        authority = communities.get_authority(session, authority_id)
        community = communities.get(session, authority.community_id)
        out.append((authority.id, f"{community.name} — {authority.name}"))
    return out


def _new_choices(session, user) -> dict[str, Any]:
    """The choices of the new-consultation form: stages, the calls for evidence of the person's
    authorities, fields, and the organisations of their communities to invite by name."""
    names = _communities(session)
    authority_ids = sorted(cp.memberships(session, user).official_of)
    community_ids = {communities.get_authority(session, a).community_id for a in authority_ids}
    evidence = [(e.id, e.title) for e in reading.calls_for_evidence(session, authority_ids)]
    invitable = [(o, names[o.community_id].name) for cid in sorted(community_ids)
                 for o in organisations.public_register(session, cid)]
    return {"stages": [(s.value, gettext(STAGE_LABELS[s])) for s in Stage],
            "evidence_choices": [("", gettext("None"))] + evidence,
            "topics": [(t.value, gettext(TOPIC_LABELS[t])) for t in Topic],
            "invitable": invitable}


def _draft_page(session, user, c: Consultation | None, form: dict, flash: str | None = None
                ) -> tuple[str, dict[str, Any]]:
    """The form of a new consultation, or the edit page of a draft: template and context."""
    ctx = {"form": form, "errors": {}, "authorities": _authority_choices(session, user),
           "L": LABELS, "flash": flash}
    if c is None:
        ctx.update(_new_choices(session, user))
        return "consultations/new.html", ctx
    ctx.update(_base(session, user, c))
    ctx.update({"questions": reading.questions(session, c),
                "sections": reading.sections(session, c),
                "attachments": reading.attachments(session, c),
                "rules": reading.rules_of(session, c), "allowed_types": uploads.ALLOWED_LABEL,
                "max_mb": uploads.MAX_MB})
    return "consultations/edit.html", ctx


@router.get("/consultations/new")
def new_form(request: Request, session: DbSession, user: ConsultationAuthor):
    return render(request, *_draft_page(session, user, None, {}))


@router.post("/consultations/new")
def create(request: Request, session: DbSession, user: CurrentUser,
           authority_id: Annotated[str, Form(max_length=20)] = "",
           title: Annotated[str, Form(max_length=400)] = "",
           summary: Annotated[str, Form(max_length=4000)] = "",
           body: Annotated[str, Form(max_length=200_000)] = "",
           stakeholders: Annotated[str, Form(max_length=4000)] = "",
           start_date: Annotated[str, Form(max_length=20)] = "",
           end_date: Annotated[str, Form(max_length=20)] = "",
           stage: Annotated[str, Form(max_length=16)] = "draft",
           evidence_id: Annotated[str, Form(max_length=20)] = "",
           topics: Annotated[list[str] | None, Form()] = None,
           organisation_ids: Annotated[list[str] | None, Form()] = None):
    topics, organisation_ids = (topics or [])[:12], (organisation_ids or [])[:100]
    form = {"authority_id": authority_id, "title": title, "summary": summary, "body": body,
            "stakeholders": stakeholders, "start_date": start_date, "end_date": end_date,
            "stage": stage, "evidence_id": evidence_id, "topics": topics,
            "organisation_ids": organisation_ids}
    try:
        authority = None
        if authority_id.isdigit():
            authority = communities.get_authority(session, int(authority_id))
        data = parse(ConsultationCreate, {
            "community_id": authority.community_id if authority else 0,
            "authority_id": authority.id if authority else 0,
            "title": title, "summary": summary, "body": body,
            "stakeholders": _lines(stakeholders), "stage": stage or None,
            "evidence_id": evidence_id or None, "topics": topics,
            "organisation_ids": organisation_ids,
            "start_date": start_date or None, "end_date": end_date or None})
        c = drafting.create(session, user, data)
    except DomainError as exc:
        return rerender(request, *_draft_page(session, user, None, form), _as_invalid(exc))
    return RedirectResponse(f"/consultations/{c.id}/edit", status_code=303)


# -- organisations (before /consultations/{id}) -------------------------------------------

def _organisations_page(session, user, form: dict, flash: str | None = None) -> dict[str, Any]:
    names = _communities(session)
    mine = organisations.organisations_of(session, user)
    return {
        "organisations": [(o, names.get(o.community_id)) for o in mine],
        "members": {o.id: organisations.members(session, o) for o in mine
                    if permissions.is_contact(user, o)},
        "topics": [(t.value, gettext(TOPIC_LABELS[t])) for t in Topic],
        "communities": list(names.values()), "form": form, "errors": {},
        "categories": [(c.value, gettext(CATEGORY_LABELS[c])) for c in Category
                       if c != Category.resident],
        "can_review": cp.allowed(permissions.check_review_organisations, session, user),
        "flash": flash, "L": LABELS}


@router.get("/consultations/organisations")
def organisations_page(request: Request, session: DbSession, user: CurrentUser,
                       registered: int = 0):
    flash = gettext("The organisation is registered. An official of the community will "
                    "verify it.") if registered else None
    return render(request, "consultations/organisations.html",
                  _organisations_page(session, user, {}, flash=flash))


@router.post("/consultations/organisations")
def register_organisation(request: Request, session: DbSession, user: CurrentUser,
                          community_id: Annotated[str, Form(max_length=20)] = "",
                          name: Annotated[str, Form(max_length=400)] = "",
                          category: Annotated[str, Form(max_length=20)] = "",
                          code: Annotated[str, Form(max_length=40)] = "",
                          topics: Annotated[list[str] | None, Form()] = None):
    topics = (topics or [])[:12]
    form = {"community_id": community_id, "name": name, "category": category, "code": code,
            "topics": topics}
    try:
        data = parse(OrganisationIn, {"community_id": community_id or None, "name": name,
                                      "category": category or None, "code": code,
                                      "topics": topics})
        organisations.register_organisation(session, user, data)
    except DomainError as exc:
        return rerender(request, "consultations/organisations.html",
                        _organisations_page(session, user, form), _as_invalid(exc))
    return RedirectResponse("/consultations/organisations?registered=1", status_code=303)


@router.get("/consultations/organisations/register")
def organisation_register(request: Request, session: DbSession, user: OptionalUser,
                          community: str = Query("", max_length=64), asked: int = 0):
    """The public register of a community's verified organisations; a logged-in person may ask
    to act for one."""
    names = _communities(session)
    place = communities.get_by_slug(session, community) if community else None
    items = organisations.public_register(session, place.id) if place else []
    acting = {o.id for o in organisations.organisations_of(session, user)}
    return render(request, "consultations/register.html", {
        "community": place, "communities": list(names.values()), "items": items,
        "acting": acting, "L": LABELS,
        "flash": gettext("Your request is sent to the organisation's contact.") if asked
        else None})


@router.post("/consultations/organisations/{organisation_id}/join")
def join_organisation(session: DbSession, user: CurrentUser, organisation_id: int):
    org = organisations.get(session, organisation_id)
    organisations.join(session, user, org.id)
    community = communities.get(session, org.community_id)
    return RedirectResponse(f"/consultations/organisations/register?community="
                            f"{quote(community.slug)}&asked=1", status_code=303)


@router.post("/consultations/organisations/{organisation_id}/members/{member_id}/confirm")
def confirm_member(session: DbSession, user: CurrentUser, organisation_id: int,
                   member_id: int):
    organisations.confirm_member(session, user, organisation_id, member_id)
    return RedirectResponse("/consultations/organisations#members", status_code=303)


@router.get("/consultations/organisations/review")
def organisations_review(request: Request, session: DbSession, user: OrganisationReviewer):
    pending = organisations.organisations_to_verify(session, user)
    names = _communities(session)
    return render(request, "consultations/organisations_review.html", {
        "pending": [(o, names.get(o.community_id)) for o in pending], "L": LABELS})


@router.post("/consultations/organisations/{organisation_id}/verify")
def verify_organisation(session: DbSession, user: CurrentUser, organisation_id: int):
    organisations.verify_organisation(session, user, organisation_id)
    return RedirectResponse("/consultations/organisations/review", status_code=303)


# -- the consultation page ----------------------------------------------------------------

def _detail_context(session, user, c: Consultation, form: dict | None = None,
                    anchor: int | None = None) -> dict[str, Any]:
    ctx = _base(session, user, c)
    phase = ctx["phase"]
    ctx.update({
        "sections": reading.sections(session, c),
        # The kernel's discussion (app.deliberation): comments on the sections.
        **discussion_context(session, user, SUBJECT_TYPE, c.id, anchor=anchor,
                             target=discussion.target_for(session, user, c)),
        "attachments": reading.attachments(session, c),
        "question_count": len(reading.questions(session, c)),
        "my_responses": responding.responses_of(session, user, c),
        "may_take_part": permissions.takes_part(session, user, c),
        "can_edit": cp.allowed(permissions.check_edit, session, user, c, phase),
        "report_due": outcome.last_day(outcome.report_due(session, c)),
        "errors": {}, "form": form or {}, "publications": _publications(),
        "stages": reading.stages_of(session, c),
        "invitations": invitations.invitations(session, c),
        "topic_labels": TOPIC_LABELS,
        "priority_window": permissions.in_priority_window(c),
        "public_day": calendar.local_date(clock.aware(c.public_at)),
    })
    return ctx


@router.get("/consultations/{consultation_id}")
def detail(request: Request, session: DbSession, user: OptionalUser, c: VisibleConsultation,
           anchor: int | None = Query(None, ge=1, le=2**31 - 1)):
    return render(request, "consultations/detail.html",
                  _detail_context(session, user, c, anchor=anchor))


@router.get("/consultations/{consultation_id}/attachments/{attachment_id}")
def download(session: DbSession, c: VisibleConsultation, attachment_id: int):
    attachment = reading.attachment(session, c, attachment_id)
    data = uploads.read(session, attachment.stored_name)
    ascii_name = attachment.filename.encode("ascii", "ignore").decode() or "file"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    disposition = (f'attachment; filename="{ascii_name}"; '
                   f"filename*=UTF-8''{quote(attachment.filename)}")
    return HttpResponse(data, media_type=attachment.content_type, headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=300"})


# -- drafting -----------------------------------------------------------------------------

def _edit_form(c: Consultation) -> dict[str, Any]:
    return {"title": c.title, "summary": c.summary, "body": c.body,
            "stakeholders": "\n".join(c.stakeholders or []),
            "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat()}


@router.get("/consultations/{consultation_id}/edit")
def edit_form(request: Request, session: DbSession, user: CurrentUser, c: EditableConsultation,
              saved: int = 0):
    flash = gettext("Saved.") if saved else None
    return render(request, *_draft_page(session, user, c, _edit_form(c), flash))


@router.post("/consultations/{consultation_id}/edit")
def edit(request: Request, session: DbSession, user: CurrentUser, c: EditableConsultation,
         title: Annotated[str, Form(max_length=400)] = "",
         summary: Annotated[str, Form(max_length=4000)] = "",
         body: Annotated[str, Form(max_length=200_000)] = "",
         stakeholders: Annotated[str, Form(max_length=4000)] = "",
         start_date: Annotated[str, Form(max_length=20)] = "",
         end_date: Annotated[str, Form(max_length=20)] = ""):
    form = {"title": title, "summary": summary, "body": body, "stakeholders": stakeholders,
            "start_date": start_date, "end_date": end_date}
    try:
        data = parse(ConsultationUpdate, {
            "title": title, "summary": summary, "body": body,
            "stakeholders": _lines(stakeholders), "start_date": start_date or None,
            "end_date": end_date or None})
        drafting.update(session, user, c, data)
    except InvalidInput as exc:
        session.refresh(c)  # the request rolls back; show the stored draft around the form
        return rerender(request, *_draft_page(session, user, c, form), exc)
    return RedirectResponse(f"/consultations/{c.id}/edit?saved=1", status_code=303)


@router.post("/consultations/{consultation_id}/questions")
def add_question(request: Request, session: DbSession, user: CurrentUser,
                 c: EditableConsultation,
                 kind: Annotated[str, Form(max_length=16)] = "",
                 prompt: Annotated[str, Form(max_length=1000)] = "",
                 required: Annotated[str, Form(max_length=5)] = "",
                 options: Annotated[str, Form(max_length=8000)] = "",
                 shown_if_question: Annotated[str, Form(max_length=6)] = "",
                 shown_if_option: Annotated[str, Form(max_length=6)] = ""):
    try:
        data = parse(QuestionCreate, {"kind": kind or None, "prompt": prompt,
                                      "required": bool(required), "options": _lines(options),
                                      "shown_if_question": shown_if_question.strip() or None,
                                      "shown_if_option": shown_if_option.strip() or None})
        drafting.add_question(session, user, c, data)
    except InvalidInput as exc:
        form = _edit_form(c) | {"question_kind": kind, "question_prompt": prompt,
                                "question_options": options, "question_required": required,
                                "question_shown_if_question": shown_if_question,
                                "question_shown_if_option": shown_if_option}
        # The question's fields sit below the draft's own on the page, as question_<name>,
        # under the page's general message.
        refused = InvalidInput(fields={f"question_{k}": v for k, v in exc.fields.items()},
                               **exc.params)
        return rerender(request, *_draft_page(session, user, c, form), refused)
    return RedirectResponse(f"/consultations/{c.id}/edit#questions", status_code=303)


@router.post("/consultations/{consultation_id}/questions/{question_id}/delete")
def delete_question(session: DbSession, user: CurrentUser, c: EditableConsultation,
                    question_id: int):
    drafting.delete_question(session, user, c, question_id)
    return RedirectResponse(f"/consultations/{c.id}/edit#questions", status_code=303)


@router.post("/consultations/{consultation_id}/attachments")
def upload(request: Request, session: DbSession, user: CurrentUser, c: EditableConsultation,
           file: Annotated[UploadFile | None, File()] = None):
    try:
        if file is None or not file.filename:
            message = N_("Choose a file to attach.")
            raise InvalidInput(message, fields={"file": message})
        data = file.file.read(uploads.MAX_BYTES + 1)
        drafting.add_attachment(session, user, c, file.filename, data)
    except InvalidInput as exc:
        return rerender(request, *_draft_page(session, user, c, _edit_form(c)), exc)
    return RedirectResponse(f"/consultations/{c.id}/edit#attachments", status_code=303)


@router.post("/consultations/{consultation_id}/attachments/{attachment_id}/delete")
def delete_attachment(session: DbSession, user: CurrentUser, c: EditableConsultation,
                      attachment_id: int):
    drafting.delete_attachment(session, user, c, attachment_id)
    return RedirectResponse(f"/consultations/{c.id}/edit#attachments", status_code=303)


@router.post("/consultations/{consultation_id}/publish")
def publish(request: Request, session: DbSession, user: CurrentUser, c: EditableConsultation):
    try:
        drafting.publish(session, user, c)
    except InvalidInput as exc:
        return rerender(request, *_draft_page(session, user, c, _edit_form(c)), exc)
    return RedirectResponse(f"/consultations/{c.id}", status_code=303)


# -- responding ---------------------------------------------------------------------------

def _answers_from_form(views: list[QuestionView], form: FormData,
                       only: int | None = None) -> list[AnswerIn]:
    out = []
    for view in views:
        q = view.question
        if only is not None and q.id != only:
            continue
        values = [v for v in form.getlist(responding.answer_field(q.id)) if isinstance(v, str)]
        if q.kind == QuestionKind.text:
            out.append(AnswerIn(question_id=q.id, text=(values[0] if values else "")[:5000]))
        elif q.kind in (QuestionKind.number, QuestionKind.date):
            out.append(_typed_answer(q, (values[0] if values else "").strip()))
        elif q.kind in (QuestionKind.ranking, QuestionKind.matrix):
            out.append(_per_option_answer(view, form))
        elif q.kind == QuestionKind.paper:
            continue  # a file, attached once the response exists (_attach_papers)
        else:
            ids = [int(v) if v.isdigit() and len(v) < 12 else -1 for v in values if v]
            out.append(AnswerIn(question_id=q.id, option_ids=ids[:30]))
    return out


def _typed_answer(q, raw: str) -> AnswerIn:
    """A number or a date as typed; one that does not read as such is refused on its field."""
    if not raw:
        return AnswerIn(question_id=q.id)
    try:
        if q.kind == QuestionKind.number:
            value = float(raw.replace(",", ".").replace(" ", ""))
            if not -1e12 <= value <= 1e12:
                raise ValueError(raw)
            return AnswerIn(question_id=q.id, number=value)
        return AnswerIn(question_id=q.id, day=date.fromisoformat(raw[:10]))
    except ValueError:
        message = (N_("Enter a number.") if q.kind == QuestionKind.number
                   else N_("Enter a date (day, month and year)."))
        raise InvalidInput(N_("Some answers are missing or not valid."),
                           fields={responding.answer_field(q.id): message}) from None


def _per_option_answer(view: QuestionView, form: FormData) -> AnswerIn:
    """A ranking (a place per option, q<question>_<option>) or a matrix (a value per row)."""
    q = view.question
    given = []
    for option in view.options:
        raw = form.get(f"{responding.answer_field(q.id)}_{option.id}")
        if isinstance(raw, str) and raw.isdigit() and len(raw) < 4:
            given.append((int(raw), option.id))
    if q.kind == QuestionKind.matrix:
        return AnswerIn(question_id=q.id, rows=[
            RowIn.model_construct(option_id=oid, value=value) for value, oid in given])
    # A place given twice keeps both options, which the service refuses ("one place").
    ranked = sorted(given)
    places = [p for p, _ in ranked]
    ids = [oid for _, oid in ranked]
    if len(set(places)) != len(places):
        ids.append(ids[0])
    return AnswerIn(question_id=q.id, option_ids=ids)


def _submitted(form: FormData) -> dict[str, list[str]]:
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


def _respond_url(c: Consultation, saved: int, as_org: int | None, anchor: str = "") -> str:
    suffix = f"&as={as_org}" if as_org else ""
    return f"/consultations/{c.id}/respond?saved={saved}{suffix}{anchor}"


def _respond_context(session, user, c: Consultation, as_org: int | None,
                     submitted: dict | None = None, saved: int | None = None) -> dict[str, Any]:
    ctx = _base(session, user, c)
    phase = ctx["phase"]
    orgs = [o for o in organisations.organisations_of(session, user)
            if permissions.owns_verified_organisation(session, user, o, c)]
    resident = permissions.may_answer(session, user, c,
                                      reading.rules_of(session, c).answer_level)
    respondents = ([(None, user.display_name)] if resident else []) + [
        (o.id, o.name) for o in orgs]
    if as_org is None and not resident and orgs:
        as_org = orgs[0].id
    selected_org = next((o for o in orgs if o.id == as_org), None)
    key = responding.respondent_key(user, selected_org)
    existing = next((r for r in responding.responses_of(session, user, c)
                     if r.respondent_key == key), None)
    can_answer = (cp.allowed(permissions.check_respond_for, session, user, c, phase,
                             selected_org) if selected_org
                  else cp.allowed(permissions.check_respond, session, user, c, phase))
    ctx.update({
        "questions": reading.questions(session, c),
        "respondents": respondents, "as_org": selected_org.id if selected_org else None,
        "eligible": resident or bool(orgs), "can_answer": can_answer, "response": existing,
        "answers": responding.answers_by_question(session, existing) if existing else {},
        "submitted": submitted or {}, "errors": {}, "saved": saved,
        "publications": _publications(),
    })
    return ctx | _answer_helpers(c, submitted)


def _answer_helpers(c: Consultation, submitted: dict | None) -> dict[str, Any]:
    return {"form_values": reading.form_values,
            "submitted_values": {k: v[0] for k, v in (submitted or {}).items() if v},
            "priority_window": permissions.in_priority_window(c),
            "public_day": calendar.local_date(clock.aware(c.public_at))}


def _question_context(c: Consultation, view: QuestionView, response: ConsultationResponse,
                      answer: CleanAnswer, submitted: dict | None = None,
                      saved: int | None = None) -> dict[str, Any]:
    """The respond page's `question` block: one answer of a submitted response."""
    return {"c": c, "view": view, "response": response, "errors": {}, "answer": answer,
            "submitted": submitted or {}, "saved": saved, "phase": reading.phase(c),
            "L": LABELS} | _answer_helpers(c, submitted)


@router.get("/consultations/{consultation_id}/respond")
def respond_page(request: Request, session: DbSession, user: CurrentUser,
                 c: VisibleConsultation,
                 as_org: Annotated[int | None, Query(alias="as")] = None,
                 saved: int | None = None, receipt: str = Query("", max_length=64)):
    ctx = _respond_context(session, user, c, as_org, saved=saved)
    ctx["receipt"] = audit.own_receipt(session, user.id, receipt) if receipt else None
    return render(request, "consultations/respond.html", ctx)


@router.post("/consultations/{consultation_id}/respond")
def respond(request: Request, session: DbSession, user: CurrentUser, c: VisibleConsultation,
            form: Form_):
    limit(request, "vote")
    org_raw = form.get("organisation_id") or ""
    as_org = int(org_raw) if isinstance(org_raw, str) and org_raw.isdigit() else None
    try:
        publication = _publication(form.get("publication") or Publication.anonymous)
        views = reading.questions(session, c)
        done = responding.respond(session, user, c, ResponseIn(
            organisation_id=as_org, publication=publication,
            answers=_answers_from_form(views, form)))
        _attach_papers(session, user, c, done.response.id, views, form)
    except DomainError as exc:
        return rerender(request, "consultations/respond.html", _respond_context(
            session, user, c, as_org, submitted=_submitted(form)), exc)
    return RedirectResponse(_respond_url(c, 0, as_org) + f"&receipt={done.receipt.commitment}",
                            status_code=303)


def _uploaded(value: Any) -> tuple[str, bytes] | None:
    """A file field's name and bytes (read up to one byte past the limit), or None."""
    if isinstance(value, StarletteUpload) and value.filename:
        return value.filename, value.file.read(uploads.MAX_BYTES + 1)
    return None


def _attach_papers(session, user, c: Consultation, response_id: int,
                   views: list[QuestionView], form: FormData) -> None:
    """The position papers sent with the questionnaire, each refused on its own field."""
    for view in views:
        if view.question.kind != QuestionKind.paper:
            continue
        field_name = responding.answer_field(view.question.id)
        upload = _uploaded(form.get(field_name))
        if upload is None:
            continue
        try:
            responding.attach_paper(session, user, c, response_id, view.question.id, *upload)
        except InvalidInput as exc:
            raise InvalidInput(N_("Some answers are missing or not valid."),
                               fields={field_name: exc.message}, **exc.params) from None


@router.post("/consultations/{consultation_id}/responses/{response_id}/papers/{question_id}")
def upload_paper(request: Request, session: DbSession, user: CurrentUser,
                 c: VisibleConsultation, response: OwnResponse, question_id: int,
                 form: Form_):
    views = reading.questions(session, c)
    reading.question_of(views, question_id)
    try:
        upload = _uploaded(form.get(responding.answer_field(question_id)))
        if upload is None:
            message = N_("Choose a file to attach.")
            raise InvalidInput(message, fields={responding.answer_field(question_id): message})
        responding.attach_paper(session, user, c, response.id, question_id, *upload)
    except InvalidInput as exc:
        fields = {responding.answer_field(question_id): exc.message}
        return rerender(request, "consultations/respond.html", _respond_context(
            session, user, c, response.organisation_id),
            InvalidInput(exc.message, fields=fields, **exc.params))
    return RedirectResponse(_respond_url(c, question_id, response.organisation_id,
                                         f"#question-{question_id}"), status_code=303)


@router.get("/consultations/{consultation_id}/papers/{answer_id}")
def download_paper(session: DbSession, user: OptionalUser, c: VisibleConsultation,
                   answer_id: int):
    answer, data = responding.paper(session, user, c, answer_id)
    name = (answer.text or "paper.pdf").encode("ascii", "ignore").decode() or "paper.pdf"
    name = name.replace('"', "").replace("\\", "")
    return HttpResponse(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"; '
                               f"filename*=UTF-8''{quote(answer.text or 'paper.pdf')}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"})


@router.post("/consultations/{consultation_id}/responses/{response_id}/questions/{question_id}")
def save_answer(request: Request, session: DbSession, user: CurrentUser,
                c: VisibleConsultation, response: OwnResponse, question_id: int, form: Form_):
    views = reading.questions(session, c)
    view = reading.question_of(views, question_id)
    block = _fragment(request, "question", f"question-{question_id}")
    try:
        responding.edit_response(session, user, c, response.id, ResponseEdit(
            answers=_answers_from_form(views, form, only=question_id)))
    except DomainError as exc:
        ctx = (_question_context(c, view, response, CleanAnswer(), _submitted(form)) if block
               else _respond_context(session, user, c, response.organisation_id,
                                     submitted=_submitted(form)))
        return rerender(request, "consultations/respond.html", ctx, exc, block=block)
    if block:
        answer = responding.answers_by_question(session, response).get(question_id,
                                                                       CleanAnswer())
        return render(request, "consultations/respond.html",
                      _question_context(c, view, response, answer, saved=question_id),
                      block=block)
    return RedirectResponse(_respond_url(c, question_id, response.organisation_id,
                                         f"#question-{question_id}"), status_code=303)


@router.post("/consultations/{consultation_id}/responses/{response_id}/publication")
def change_publication(session: DbSession, user: CurrentUser, c: VisibleConsultation,
                       response: OwnResponse,
                       publication: Annotated[str, Form(max_length=16)] = ""):
    responding.edit_response(session, user, c, response.id, ResponseEdit(
        publication=_publication(publication)))
    return RedirectResponse(_respond_url(c, 0, response.organisation_id), status_code=303)


# -- the opinion map ----------------------------------------------------------------------

def _map_context(session, user, c: Consultation, form: dict | None = None) -> dict[str, Any]:
    ctx = _base(session, user, c)
    view = mapping.opinion_map(session, c)
    result = view.result
    ctx.update({
        "statements": mapping.statements(session, c),
        "my_votes": mapping.my_votes(session, user, c),
        "next_statement": mapping.next_statement(session, user, c),
        "can_state": cp.allowed(permissions.check_state, session, user, c, ctx["phase"]),
        "result": result, "bodies": view.bodies,
        "map_svg": charts.opinion_map("opinion-map", gettext("Participants by how they vote"),
                                      result.places, result.groups),
        "vote_values": {1: "agree", -1: "disagree", 0: "pass"},
        "errors": {}, "form": form or {},
    })
    return ctx


@router.get("/consultations/{consultation_id}/map")
def map_page(request: Request, session: DbSession, user: OptionalUser, c: VisibleConsultation):
    """The statements, one's votes and the map; htmx refreshes the map's block as votes
    arrive."""
    block = "opinion" if block_for(request, "opinion") else None
    return render(request, "consultations/map.html", _map_context(session, user, c),
                  block=block)


@router.post("/consultations/{consultation_id}/statements")
def add_statement(request: Request, session: DbSession, user: CurrentUser,
                  c: VisibleConsultation, body: Annotated[str, Form(max_length=5000)] = ""):
    limit(request, "create")
    try:
        mapping.add_statement(session, user, c, StatementIn.model_construct(body=body))
    except DomainError as exc:
        return rerender(request, "consultations/map.html",
                        _map_context(session, user, c, form={"body": body}), exc)
    return RedirectResponse(f"/consultations/{c.id}/map#statements", status_code=303)


@router.post("/consultations/{consultation_id}/statements/{statement_id}/vote")
def vote_statement(request: Request, session: DbSession, user: CurrentUser,
                   c: VisibleConsultation, statement_id: int,
                   vote: Annotated[str, Form(max_length=16)] = ""):
    limit(request, "vote")
    try:
        if vote not in tuple(Vote):
            message = N_("Choose agree, disagree or pass.")
            raise InvalidInput(message, fields={"vote": message})
        mapping.vote(session, user, c, statement_id, Vote(vote))
    except DomainError as exc:
        return rerender(request, "consultations/map.html", _map_context(session, user, c), exc)
    return RedirectResponse(f"/consultations/{c.id}/map#vote", status_code=303)


# -- public contributions -----------------------------------------------------------------

@router.get("/consultations/{consultation_id}/contributions")
def contributions_page(request: Request, session: DbSession, user: OptionalUser,
                       c: VisibleConsultation):
    views = reading.questions(session, c)
    return render(request, "consultations/contributions.html", _base(session, user, c) | {
        "items": contributions.contributions(session, c), "questions": views,
        "papers": contributions.paper_ids(session, c),
        "cell": reading.cell_for, "published": contributions.published(c),
        "can_moderate": cp.allowed(permissions.check_moderate_contributions, session, user,
                                   c, reading.phase(c))})


def _moderation_context(session, user, c: Consultation) -> dict[str, Any]:
    views = reading.questions(session, c)
    return _base(session, user, c) | {
        "pending": contributions.to_moderate(session, user, c),
        "text_questions": contributions.text_questions(views), "errors": {}}


@router.get("/consultations/{consultation_id}/contributions/moderate")
def moderation_page(request: Request, session: DbSession, user: CurrentUser,
                    c: VisibleConsultation):
    return render(request, "consultations/moderate.html",
                  _moderation_context(session, user, c))


@router.post("/consultations/{consultation_id}/contributions/{response_id}/redact")
def redact(request: Request, session: DbSession, user: CurrentUser, c: VisibleConsultation,
           response_id: int, question_id: Annotated[str, Form(max_length=20)] = "",
           text: Annotated[str, Form(max_length=8000)] = ""):
    try:
        if not question_id.isdigit() or len(question_id) > 12:
            raise NotFound(reading.NO_SUCH_QUESTION)
        contributions.redact(session, user, c, response_id, RedactIn.model_construct(
            question_id=int(question_id), text=text))
    except InvalidInput as exc:
        return rerender(request, "consultations/moderate.html",
                        _moderation_context(session, user, c), exc)
    return RedirectResponse(f"/consultations/{c.id}/contributions/moderate#r{response_id}",
                            status_code=303)


# -- results ------------------------------------------------------------------------------

@router.get("/consultations/{consultation_id}/results")
def results(request: Request, session: DbSession, user: OptionalUser, c: VisibleConsultation):
    data = reading.results(session, c)
    charts_by_question = {}
    for q in data.questions:
        if q.kind in (QuestionKind.ranking, QuestionKind.matrix):
            # Ranking: points (n for a first place, 1 for the last); matrix: the row's average.
            n = len(q.options)
            bars = [charts.Bar(o.label, o.count, o.percent,
                               value=round(n + 1 - o.average, 2) if q.kind == "ranking"
                               and o.average is not None else o.average)
                    for o in q.options]
            charts_by_question[q.question_id] = charts.bar_chart(
                f"chart-q{q.question_id}", q.prompt, bars)
        elif q.kind in (QuestionKind.number, QuestionKind.date):
            charts_by_question[q.question_id] = charts.bar_chart(
                f"chart-q{q.question_id}", q.prompt,
                [charts.Bar(r.label, r.count, r.percent) for r in q.ranges])
        elif q.kind not in (QuestionKind.text, QuestionKind.paper):
            charts_by_question[q.question_id] = charts.bar_chart(
                f"chart-q{q.question_id}", q.prompt,
                [charts.Bar(o.label, o.count, o.percent) for o in q.options])
    category_chart = charts.bar_chart(
        "chart-categories", gettext("Respondents by category"),
        [charts.Bar(gettext(CATEGORY_LABELS[cc.category]), cc.count,
                    round(100 * cc.count / data.response_count, 1) if data.response_count
                    else 0.0) for cc in data.categories])
    sections = {s.id: s for s in reading.sections(session, c)}
    return render(request, "consultations/results.html", _base(session, user, c) | {
        "results": data, "charts": charts_by_question, "category_chart": category_chart,
        "sections": sections})


@router.get("/consultations/{consultation_id}/results.csv")
def results_csv(session: DbSession, c: VisibleConsultation):
    body = reading.contributions_csv(session, c)
    return HttpResponse("\ufeff" + body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="consultation-{c.id}-contributions.csv"'})


# -- report and rating --------------------------------------------------------------------

def _report_context(session, user, c: Consultation, form: dict | None = None
                    ) -> dict[str, Any]:
    ctx = _base(session, user, c)
    phase = ctx["phase"]
    obligation = outcome.report_obligation(session, c)
    report = outcome.report_of(session, c)
    ctx.update({
        "report": report,
        "synopsis": _synopsis(session, c, report.report.synopsis) if report else None,
        "sections": reading.sections(session, c),
        "questions": reading.questions(session, c),
        "statements": mapping.statements(session, c),
        "obligation": obligation,
        "obligation_status": accountability.status_of(obligation) if obligation else None,
        "report_due": outcome.last_day(outcome.report_due(session, c)),
        "can_report": cp.allowed(permissions.check_publish_report, session, user, c, phase),
        "can_rate": cp.allowed(permissions.check_rate, session, user, c, phase),
        "my_rating": outcome.rating_of(session, user, c),
        "ratings": reading.rating_summary(c),
        "errors": {}, "form": form or {},
        "outcomes": [(o.value, gettext(OUTCOME_LABELS[o])) for o in Outcome],
        "now": clock.now(),
    })
    return ctx


def _synopsis(session, c: Consultation, figures: dict) -> dict[str, Any]:
    """The synopsis's frozen figures as tables: per question with options, a row per option
    and a column per stakeholder category that answered (invited organisations apart); and
    the comments on the text, a row per section and a column per category that commented
    (reports frozen before these figures existed have no such table, rather than zeros)."""
    by_option = figures.get("options", {})
    used = [cat.value for cat in Category
            if any(cat.value in cell for cell in by_option.values())]
    columns = (["invited"] if any("invited" in cell for cell in by_option.values())
               else []) + used
    tables = {}
    for view in reading.questions(session, c):
        if view.options:
            tables[view.question.id] = [
                (o.label, [by_option.get(str(o.id), {}).get(col, 0) for col in columns])
                for o in view.options]
    by_section = figures.get("sections", {})
    section_columns = ((["invited"] if any("invited" in cell for cell in by_section.values())
                        else []) + [cat.value for cat in Category
                                    if any(cat.value in cell for cell in by_section.values())])
    section_rows = [(s, [by_section.get(str(s.id), {}).get(col, 0) for col in section_columns],
                     sum(by_section.get(str(s.id), {}).values()))
                    for s in reading.sections(session, c)] if "sections" in figures else []
    return {"columns": columns, "tables": tables, "section_columns": section_columns,
            "section_rows": section_rows,
            "categories": [(cat, n) for cat, n in figures.get("categories", {}).items() if n],
            "invited": figures.get("invited", []), "map": figures.get("map", {})}


def _report_from_form(session, c: Consultation, form: FormData) -> ReportIn:
    """The report as sent: an outcome and its explanation per section (s<id>_...) and per
    question (r<id>_...); those without an outcome are left out, for the service to name."""
    about = [{"section_id": s.id, "question_id": None} for s in reading.sections(session, c)]
    about += [{"section_id": None, "question_id": v.question.id}
              for v in reading.questions(session, c)]
    about += [{"section_id": None, "question_id": None, "statement_id": s.id}
              for s in mapping.statements(session, c)]
    items = []
    for target in about:
        key = outcome.item_field(**target)
        chosen = form.get(f"{key}_outcome")
        if chosen in tuple(Outcome):
            items.append(ReportItemIn.model_construct(
                **target, outcome=Outcome(chosen),
                explanation=str(form.get(f"{key}_explanation") or "")[:3000]))
    return ReportIn.model_construct(summary=str(form.get("summary") or "")[:5000],
                                    decision_url=str(form.get("decision_url") or "")[:500],
                                    items=items)


@router.get("/consultations/{consultation_id}/report")
def report_page(request: Request, session: DbSession, user: OptionalUser,
                c: VisibleConsultation):
    return render(request, "consultations/report.html", _report_context(session, user, c))


@router.post("/consultations/{consultation_id}/report")
def publish_report(request: Request, session: DbSession, user: CurrentUser,
                   c: VisibleConsultation, form: Form_):
    try:
        outcome.publish_report(session, user, c, _report_from_form(session, c, form))
    except DomainError as exc:
        return rerender(request, "consultations/report.html", _report_context(
            session, user, c, form={k: v for k, v in form.items() if isinstance(v, str)}), exc)
    return RedirectResponse(f"/consultations/{c.id}/report", status_code=303)


@router.post("/consultations/{consultation_id}/rating")
def rate(request: Request, session: DbSession, user: CurrentUser, c: VisibleConsultation,
         value: Annotated[str, Form(max_length=10)] = ""):
    try:
        outcome.rate(session, user, c, value)
    except DomainError as exc:
        return rerender(request, "consultations/report.html", _report_context(session, user, c),
                        exc)
    return RedirectResponse(f"/consultations/{c.id}/report#rating", status_code=303)
