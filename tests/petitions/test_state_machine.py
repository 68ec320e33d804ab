"""A stateful property test: random sequences of every petition action, by every kind of
person, with time passing, checked against a small model and against invariants that must
hold after every step (exact counters, obligation iff the threshold was reached, ...)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func
from sqlmodel import Session, select

from app import clock as app_clock
from app.exceptions import DomainError
from petitions.models import (
    AnswerCreate,
    Decision,
    PetitionSignature,
    PetitionSponsor,
    Rating,
    RejectionReason,
    UpdateCreate,
    UpdateStatus,
    public_status,
)
from petitions.service import drafting, outcome, signing
from tests.factories import make_community, make_moderator, make_official, make_resident
from tests.petitions.factories import petition_data
from tests.petitions.helpers import obligation

THRESHOLD = 4
RESIDENTS = 6  # resident 0 is the author


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current


class PetitionMachine(RuleBasedStateMachine):
    engine = None

    def __init__(self) -> None:
        super().__init__()
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        self.db = Session(bind=self.connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        self.clock = Clock()
        app_clock.set_clock(self.clock)

    @initialize(start=st.sampled_from(["draft", "sponsoring", "moderation", "open", "open",
                                       "awaiting_answer", "answered", "answered"]),
                decision=st.sampled_from(list(Decision)))
    def world(self, start: str, decision: Decision) -> None:
        db = self.db
        self.place = make_community(db, rules_override={"petitions": {
            "threshold": THRESHOLD, "sponsors_required": 1, "collection_days": 10}})
        self.residents = [make_resident(db, self.place) for _ in range(RESIDENTS)]
        self.outsider = make_resident(db, make_community(db))
        self.moderator = make_moderator(db, self.place)
        self.official = make_official(db, self.place)
        self.other_official = make_official(db, self.place, authority=self.place.department)
        self.petition = drafting.create(db, self.residents[0], petition_data(self.place))
        # The model.
        self.status = "draft"
        self.signers: set[int] = set()
        self.public: set[int] = set()
        self.papers: set[int] = set()
        self.sponsors: set[int] = set()
        self.rated: dict[int, str] = {}
        self.decision: str | None = None
        self.updates = 0
        # Start somewhere along the loop, so that every stage gets explored.
        stages = ["draft", "sponsoring", "moderation", "open", "awaiting_answer", "answered"]
        reach = stages.index(start)
        if reach >= 1:
            self.submit(0)
        if reach >= 2:
            self.sponsor(1)
        if reach >= 3:
            self.publish(True)
        if reach >= 4:
            for who in range(1, THRESHOLD + 1):
                self.sign(who, who % 2 == 0)
        if reach >= 5:
            self.answer(True, decision)
        assert self.status == start

    def teardown(self) -> None:
        app_clock.set_clock(None)
        self.db.close()
        self.outer.rollback()
        self.connection.close()

    # -- helpers ----------------------------------------------------------------------------

    def _collecting(self) -> bool:
        ends = app_clock.aware(self.petition.collection_ends_at)
        return self.status == "open" and ends is not None and self.clock.current < ends

    def _expect(self, ok: bool, action) -> bool:
        """Run an action; it must succeed exactly when the model says so."""
        try:
            action()
        except DomainError as exc:
            assert not ok, f"refused but the model allows it: {exc.message}"
            return False
        assert ok, "allowed but the model refuses it"
        return True

    def _count(self) -> int:
        return len(self.signers) + len(self.papers)

    def _after_signature(self) -> None:
        if self._count() >= THRESHOLD:
            self.status = "awaiting_answer"

    # -- rules ------------------------------------------------------------------------------

    @rule(who=st.integers(0, RESIDENTS - 1))
    def submit(self, who: int) -> None:
        ok = self.status == "draft" and who == 0
        if self._expect(ok, lambda: drafting.submit(self.db, self.residents[who],
                                                    self.petition.id)):
            self.status = "sponsoring"

    @rule(who=st.integers(0, RESIDENTS - 1))
    def sponsor(self, who: int) -> None:
        ok = self.status == "sponsoring" and who != 0 and who not in self.sponsors
        if self._expect(ok, lambda: drafting.sponsor(self.db, self.residents[who],
                                                     self.petition.id)):
            self.sponsors.add(who)
            self.status = "moderation"

    @rule(by_moderator=st.booleans())
    def publish(self, by_moderator: bool) -> None:
        person = self.moderator if by_moderator else self.official
        ok = self.status == "moderation" and by_moderator
        if self._expect(ok, lambda: drafting.publish(self.db, person, self.petition.id)):
            self.status = "open"

    @rule(reason=st.sampled_from(list(RejectionReason)))
    def reject(self, reason: RejectionReason) -> None:
        ok = self.status == "moderation"
        if self._expect(ok, lambda: drafting.reject(self.db, self.moderator, self.petition.id,
                                                    reason, "Пояснення рішення модератора.")):
            self.status = "rejected"

    @rule(who=st.integers(0, RESIDENTS - 1), public=st.booleans())
    def sign(self, who: int, public: bool) -> None:
        ok = self._collecting() and who not in self.signers
        if self._expect(ok, lambda: signing.sign(self.db, self.residents[who],
                                                 self.petition.id, public)):
            self.signers.add(who)
            if public:
                self.public.add(who)
            self._after_signature()

    @rule()
    def outsider_signs(self) -> None:
        self._expect(False, lambda: signing.sign(self.db, self.outsider, self.petition.id))

    @rule(who=st.integers(0, RESIDENTS - 1))
    def withdraw(self, who: int) -> None:
        ok = self._collecting() and who in self.signers
        if self._expect(ok, lambda: signing.withdraw(self.db, self.residents[who],
                                                     self.petition.id)):
            self.signers.discard(who)
            self.public.discard(who)

    @rule(n=st.integers(0, 3))
    def paper(self, n: int) -> None:
        """Paper signers without accounts; the same person twice is refused."""
        signer = signing.PaperSigner(full_name=f"Паперовий Підписант {n}",
                                     birth_date=date(1960, 1, 1 + n), address="вул. Миру, 1")
        ok = self._collecting() and n not in self.papers
        if self._expect(ok, lambda: signing.record_paper(self.db, self.official,
                                                         self.petition.id, signer)):
            self.papers.add(n)
            self._after_signature()

    @rule(days=st.integers(1, 12))
    def time_passes(self, days: int) -> None:
        self.clock.current += timedelta(days=days)

    @rule()
    def close_expired(self) -> None:
        closed = signing.close_expired(self.db)
        expired = self.status == "open" and not self._collecting()
        assert closed == (1 if expired else 0)
        if expired:
            self.status = "closed"

    @rule(right_official=st.booleans(), decision=st.sampled_from(list(Decision)))
    def answer(self, right_official: bool, decision: Decision) -> None:
        person = self.official if right_official else self.other_official
        ok = self.status == "awaiting_answer" and right_official
        data = AnswerCreate(decision=decision, text="Обґрунтована відповідь органу влади.",
                            forwarded_to="Інший орган" if decision == Decision.forwarded
                            else None)
        if self._expect(ok, lambda: outcome.answer(self.db, person, self.petition.id, data)):
            self.status = "answered"
            self.decision = decision.value

    @rule(who=st.integers(0, RESIDENTS - 1), value=st.sampled_from(list(Rating)))
    def rate(self, who: int, value: Rating) -> None:
        ok = self.status == "answered" and who in self.signers and who not in self.rated
        if self._expect(ok, lambda: outcome.rate(self.db, self.residents[who],
                                                 self.petition.id, value)):
            self.rated[who] = value.value

    @precondition(lambda self: self.status == "answered")
    @rule()
    def post_update(self) -> None:
        ok = self.decision in ("supported", "partly_supported")
        if self._expect(ok, lambda: outcome.post_update(self.db, self.official,
                                                        self.petition.id, UpdateCreate(
                status=UpdateStatus.in_progress, text="Роботи тривають за планом."))):
            self.updates += 1

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def counters_are_exact(self) -> None:
        if not hasattr(self, "petition"):
            return
        db, pid = self.db, self.petition.id
        db.flush()
        rows = list(db.exec(select(PetitionSignature).where(
            PetitionSignature.petition_id == pid)))
        stored = db.get(type(self.petition), pid, populate_existing=True)
        assert stored.signature_count == len(rows) == self._count()
        assert stored.public_signer_count == sum(r.public_name for r in rows) == len(
            self.public)
        online = {r.user_id for r in rows if r.source == "online"}
        assert online == {self.residents[i].id for i in self.signers}
        sponsors = db.exec(select(func.count()).select_from(PetitionSponsor).where(
            PetitionSponsor.petition_id == pid)).one()
        assert stored.sponsor_count == sponsors == len(self.sponsors)
        assert stored.status == self.status

    @invariant()
    def obligation_iff_threshold(self) -> None:
        if not hasattr(self, "petition"):
            return
        o = obligation(self.db, self.petition.id)
        count = self.petition.signature_count
        if self.status in ("awaiting_answer", "answered"):
            assert o is not None and count == THRESHOLD
            assert (o.answered_at is not None) == (self.status == "answered")
            assert (o.rating_yes, o.rating_partly, o.rating_no) == tuple(
                list(self.rated.values()).count(v) for v in ("yes", "partly", "no"))
        else:
            assert o is None
            assert count < THRESHOLD

    @invariant()
    def public_status_agrees(self) -> None:
        if not hasattr(self, "petition"):
            return
        shown = public_status(self.petition, self.clock.current).value
        if self.status == "open" and not self._collecting():
            assert shown == "closed"
        elif self.status == "awaiting_answer":
            due = app_clock.aware(self.petition.answer_due_at)
            assert shown == ("overdue" if self.clock.current >= due else "awaiting_answer")
        else:
            assert shown == self.status


def test_petition_state_machine(engine):
    PetitionMachine.engine = engine
    run_state_machine_as_test(PetitionMachine, settings=settings(
        max_examples=12, stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
