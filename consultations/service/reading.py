"""The read side: a consultation's phase and rules, the list, the questionnaire, the results and
the CSV of contributions. Every number a page shows comes from counters, never a COUNT(*)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app import clock
from app.communities import permissions as cp
from app.exceptions import NotFound
from app.identity.models import User
from app.rules import service as rules_service
from app.settings import get_settings
from app.web.i18n import N_
from consultations import export, permissions
from consultations import repository as repo
from consultations.models import (
    Category,
    CategoryCount,
    Consultation,
    ConsultationAnswer,
    ConsultationAttachment,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationSection,
    OptionResult,
    Phase,
    QuestionKind,
    QuestionResult,
    RatingSummary,
    ResultsPublic,
    SectionActivity,
    Status,
)
from consultations.rules import ConsultationRules

NO_SUCH_QUESTION = N_("No such question.")


def phase(c: Consultation, now: datetime | None = None) -> Phase:
    """The phase a reader sees: the stored status, then the dates against the clock."""
    if c.status == Status.draft:
        return Phase.draft
    if c.status == Status.reported:
        return Phase.reported
    now = now or clock.now()
    if now < clock.aware(c.starts_at):
        return Phase.scheduled
    if now < clock.aware(c.ends_at):
        return Phase.open
    return Phase.closed


def rules_of(session: Session, c: Consultation) -> ConsultationRules:
    """The version the consultation was published under, or, for a draft, the current one."""
    if c.ruleset_id is not None:
        return rules_service.version(session, c.ruleset_id).rules.consultations
    return rules_service.current(session, c.community_id).rules.consultations


def get(session: Session, consultation_id: int) -> Consultation:
    """The consultation, whoever may see it (consultations/dependencies.py checks that)."""
    c = repo.consultation(session, consultation_id)
    if c is None:
        raise NotFound(permissions.NO_SUCH_CONSULTATION)
    return c


def path_of(c: Consultation) -> str:
    """The consultation's page (the ledger and the mail link to it)."""
    return f"/consultations/{c.id}"


def listing(session: Session, user: User | None, *, community_id: int | None = None,
            phase_filter: str | None = None, page: int = 1, per_page: int | None = None,
            offset: int | None = None) -> tuple[list[Consultation], int]:
    """Published consultations, and the drafts of the person's own authorities: page `page`
    of pages of `per_page`, or `per_page` from `offset` on."""
    per_page = per_page or get_settings().page_size
    drafts = sorted(cp.memberships(session, user).official_of) if user else []
    return repo.listing(session, community_id=community_id, phase=phase_filter,
                        now=clock.now(), draft_authority_ids=drafts,
                        offset=(max(page, 1) - 1) * per_page if offset is None else offset,
                        limit=per_page)


def calls_for_evidence(session: Session, authority_ids: list[int]) -> list[Consultation]:
    """The published calls for evidence of these authorities, newest first."""
    return repo.calls_for_evidence(session, authority_ids)


def stages_of(session: Session, c: Consultation) -> list[Consultation]:
    """The one process a consultation belongs to: its call for evidence and the
    consultations on a draft that follow it, in order (only those published)."""
    evidence = repo.consultation(session, c.evidence_id) if c.evidence_id else (
        c if c.stage == "evidence" else None)
    if evidence is None:
        return [c]
    drafts = [d for d in repo.evidence_followers(session, evidence.id)
              if d.status != Status.draft or d.id == c.id]
    return [evidence, *drafts]


# -- the text and the questionnaire -------------------------------------------------------

@dataclass
class QuestionView:
    question: ConsultationQuestion
    options: list[ConsultationOption]
    # A conditional question: the position of the question it depends on, and the option.
    condition: tuple[int, str] | None = None


def questions(session: Session, c: Consultation) -> list[QuestionView]:
    rows = repo.questions(session, c.id)
    options = repo.options_for(session, [q.id for q in rows])
    where = {o.id: (q.position, o.label) for q in rows for o in options[q.id]}
    return [QuestionView(q, options[q.id], where.get(q.condition_option_id)) for q in rows]


def form_values(view: QuestionView, answer: CleanAnswer | None
                ) -> tuple[list[str], str, dict[str, str]]:
    """A stored answer as the questionnaire's form shows it: the chosen options, the text (or
    the number, or the date), and the rank or value of each option (field q<question>_<option>)."""
    if answer is None:
        return [], "", {}
    chosen = [str(o) for o in answer.option_ids]
    if answer.number is not None:
        text = f"{answer.number:g}"
    elif answer.day is not None:
        text = answer.day.isoformat()
    else:
        text = answer.text or ""
    values = {f"q{view.question.id}_{o}": str(v) for o, v in answer.chosen().items()
              if v is not None}
    return chosen, text, values


def question_of(views: list[QuestionView], question_id: int) -> QuestionView:
    """One question of the questionnaire."""
    view = next((v for v in views if v.question.id == question_id), None)
    if view is None:
        raise NotFound(NO_SUCH_QUESTION)
    return view


def sections(session: Session, c: Consultation) -> list[ConsultationSection]:
    return repo.sections(session, c.id)


def attachments(session: Session, c: Consultation) -> list[ConsultationAttachment]:
    return repo.attachments(session, c.id)


def attachment(session: Session, c: Consultation, attachment_id: int
               ) -> ConsultationAttachment:
    found = repo.attachment(session, attachment_id)
    if found is None or found.consultation_id != c.id:
        raise NotFound(N_("No such attachment."))
    return found


# -- answers as the questionnaire reads them ----------------------------------------------

@dataclass(frozen=True)
class CleanAnswer:
    """One question's answer: the chosen options (with, for a ranking or a matrix, the rank
    or the value of each, in `values`), a number, a date, or the text."""

    option_ids: tuple[int, ...] = ()
    text: str | None = None
    values: tuple[int, ...] = ()
    number: float | None = None
    day: date | None = None

    @property
    def empty(self) -> bool:
        return (not self.option_ids and not self.text and self.number is None
                and self.day is None)

    def chosen(self) -> dict[int, int | None]:
        """Each chosen option with its rank or value (None for a plain choice)."""
        values = self.values or (None,) * len(self.option_ids)
        return dict(zip(self.option_ids, values, strict=True))

    def same_as(self, other: CleanAnswer) -> bool:
        return (self.chosen() == other.chosen()
                and (self.text, self.number, self.day) == (other.text, other.number, other.day))


def by_question(rows: Iterable[ConsultationAnswer], *, public: bool = False
                ) -> dict[int, CleanAnswer]:
    """A response's stored rows (one per chosen option, or one value) per question; `public`
    reads free text as a moderator left it for publication."""
    grouped: dict[int, list[ConsultationAnswer]] = {}
    for row in rows:
        grouped.setdefault(row.question_id, []).append(row)
    out = {}
    for qid, answers in grouped.items():
        chosen = [a for a in answers if a.option_id]
        if any(a.value is not None for a in chosen):
            chosen.sort(key=lambda a: (a.value or 0, a.id or 0))
        text = next((a.public_text if public and a.public_text is not None else a.text
                     for a in answers if a.text), None)
        out[qid] = CleanAnswer(
            option_ids=tuple(a.option_id for a in chosen),
            values=tuple(a.value for a in chosen) if any(a.value is not None for a in chosen)
            else (), text=text,
            number=next((a.number for a in answers if a.number is not None), None),
            day=next((a.day for a in answers if a.day is not None), None))
    return out


# -- results and export -------------------------------------------------------------------

def rating_summary(c: Consultation) -> RatingSummary:
    return RatingSummary(yes=c.rating_yes, partly=c.rating_partly, no=c.rating_no,
                         total=c.rating_yes + c.rating_partly + c.rating_no)


def _question_result(view: QuestionView) -> QuestionResult:
    q = view.question
    base = q.answer_count
    options = [OptionResult(option_id=o.id, label=o.label, count=o.count,
                            percent=round(100 * o.count / base, 1) if base else 0.0)
               for o in view.options]
    average = None
    if q.kind == QuestionKind.scale and base:
        average = round(sum(o.position * o.count for o in view.options) / base, 2)
    if q.kind in (QuestionKind.ranking, QuestionKind.matrix):
        # Per option, the average rank (ranking: lower is preferred) or value (matrix).
        options = [OptionResult(option_id=o.id, label=o.label, count=o.count,
                                percent=round(100 * o.count / base, 1) if base else 0.0,
                                average=round(o.total / o.count, 2) if o.count else None)
                   for o in view.options]
        if q.kind == QuestionKind.ranking:
            options.sort(key=lambda r: (r.average is None, r.average or 0))
    return QuestionResult(question_id=q.id, prompt=q.prompt, kind=q.kind, answer_count=base,
                          options=options, average=average)


def _spread(result: QuestionResult, values: list) -> QuestionResult:
    """The lowest, median and highest of a number or date question's answers."""
    if not values:
        return result
    middle = values[(len(values) - 1) // 2]

    def shown(v) -> str:
        return v.isoformat() if isinstance(v, date) else f"{v:g}"

    return result.model_copy(update={"lowest": shown(values[0]), "median": shown(middle),
                                     "highest": shown(values[-1]),
                                     "ranges": _ranges(values)})


def _ranges(values: list) -> list[OptionResult]:
    """Answers per month (dates) or per fifth of the span (numbers), for the chart."""
    counts: dict[str, int] = {}
    if isinstance(values[0], date):
        for v in values:
            key = f"{v.year}-{v.month:02d}"
            counts[key] = counts.get(key, 0) + 1
    else:
        low, high = values[0], values[-1]
        step = (high - low) / 5 or 1
        edges = [low + step * i for i in range(6)] if high > low else [low, low]
        for i in range(len(edges) - 1):
            last = i == len(edges) - 2
            n = sum(1 for v in values if edges[i] <= v < edges[i + 1] or (last and v == high))
            counts[f"{edges[i]:g}–{edges[i + 1]:g}"] = n
    total = len(values)
    return [OptionResult(option_id=n + 1, label=label, count=count,
                         percent=round(100 * count / total, 1))
            for n, (label, count) in enumerate(counts.items())]


def results(session: Session, c: Consultation) -> ResultsPublic:
    """Every number from counters: O(questions + options + sections), never a COUNT(*)."""
    return ResultsPublic(
        consultation_id=c.id, phase=phase(c), response_count=c.response_count,
        categories=[CategoryCount(category=cat, count=c.category_count(cat)) for cat in Category],
        questions=[_spread(_question_result(view), repo.typed_values(session, view.question))
                   if view.question.kind in (QuestionKind.number, QuestionKind.date)
                   else _question_result(view) for view in questions(session, c)],
        most_discussed=[SectionActivity(section_id=s.id, number=s.number, title=s.title,
                                        comment_count=s.comment_count)
                        for s in repo.most_discussed(session, c.id)],
        ratings=rating_summary(c))


def cell_for(view: QuestionView, answer: CleanAnswer | None) -> str:
    """An answer as one line of text (the CSV, the published contributions)."""
    if answer is None or answer.empty:
        return ""
    kind = view.question.kind
    if kind == QuestionKind.text:
        return answer.text or ""
    if kind == QuestionKind.number:
        return f"{answer.number:g}" if answer.number is not None else ""
    if kind == QuestionKind.date:
        return answer.day.isoformat() if answer.day else ""
    if kind == QuestionKind.paper:
        return answer.text or ""
    labels = {o.id: o.label for o in view.options}
    if kind == QuestionKind.ranking:
        return " > ".join(labels[o] for o in answer.option_ids if o in labels)
    if kind == QuestionKind.matrix:
        return "; ".join(f"{labels[o]}: {v}" for o, v in zip(answer.option_ids, answer.values,
                                                            strict=False) if o in labels)
    return "; ".join(labels[o] for o in answer.option_ids if o in labels)


def contributions_csv(session: Session, c: Consultation) -> str:
    """The published contributions, each as its author chose (see consultations/export.py)."""
    views = questions(session, c)
    rows = repo.published_contributions(session, c.id)
    answers = repo.answers_of_responses(session, [r.id for r, _, _ in rows])
    items = []
    for response, person, org_name in rows:
        clean = by_question(answers[response.id], public=True)
        items.append(export.Contribution(
            publication=response.publication, category=response.category,
            name=org_name if response.organisation_id else person,
            answers={v.question.id: cell_for(v, clean.get(v.question.id)) for v in views}))
    return export.contributions_csv(
        [export.QuestionColumn(v.question.id, v.question.prompt) for v in views], items)
