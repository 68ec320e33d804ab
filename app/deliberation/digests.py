"""Residents' digests: a daily or weekly e-mail, by the person's choice (none by default),
of what happened on what they follow: answers of the authorities (and results), comments on
those items, and replies to their own comments.

The worker sends the digests that are due; each covers the time since the last one (its
dedupe key names the person and the window's end, so a second worker sends nothing twice).
Nothing new, no e-mail: the window still moves on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import clock
from app.db import transaction
from app.deliberation import repository as repo
from app.deliberation.models import Digest, DigestFrequency
from app.exceptions import InvalidInput
from app.identity.models import User
from app.notifications import service as notifications
from app.settings import get_settings
from app.web.i18n import N_
from app.web.i18n import gettext as _

log = logging.getLogger("hromada.deliberation")


def frequency_of(session: Session, user: User) -> DigestFrequency:
    found = repo.digest_of(session, user.id)
    return DigestFrequency(found.frequency) if found else DigestFrequency.off


def choose(session: Session, user: User, frequency: str) -> Digest:
    """The person's choice; a digest starts from now (nothing from before it is re-sent)."""
    try:
        chosen = DigestFrequency(frequency)
    except ValueError:
        message = N_("Choose one of the offered options.")
        raise InvalidInput(message, fields={"frequency": message}) from None
    found = repo.digest_of(session, user.id)
    if found is None:
        found = Digest(user_id=user.id, frequency=chosen, covered_until=clock.now())
    elif found.frequency != chosen:
        found.frequency, found.covered_until = chosen, clock.now()
    session.add(found)
    session.flush()
    return found


def send_due(session: Session, now: datetime | None = None) -> int:
    """Send every digest that is due; returns how many e-mails were queued."""
    now = now or clock.now()
    sent = 0
    for digest, user in repo.due_digests(session, now - timedelta(days=1),
                                         now - timedelta(days=7)):
        since = clock.aware(digest.covered_until)
        answers = repo.answers_on_followed(session, user.id, since, now)
        comments = repo.comments_on_followed(session, user.id, since, now)
        replies = repo.replies_to(session, user.id, since)
        if answers or comments or replies:
            notifications.send_to(session, user, f"digest:{now.isoformat()}",
                                  _renderer(answers, comments, replies))
            sent += 1
        digest.covered_until = now
        session.add(digest)
    session.flush()
    return sent


def _renderer(answers, comments, replies):
    base = get_settings().base_url
    answered = [(o.subject_title, f"{base}{o.subject_path}") for o in answers]
    commented: dict[tuple[str, int], int] = {}
    for comment in comments:
        key = (comment.subject_type, comment.subject_id)
        commented[key] = commented.get(key, 0) + 1
    reply_links = [f"{base}/discussions/{c.subject_type}/{c.subject_id}#comment-{c.id}"
                   for c in replies]

    def render() -> tuple[str, str]:
        lines = [_("What happened on what you follow:"), ""]
        if answered:
            lines.append(_("Answers and results:"))
            lines += [f"- {title}: {link}" for title, link in answered]
            lines.append("")
        if commented:
            lines.append(_("New comments:"))
            lines += [f"- {n} \u00d7 {base}/discussions/{kind}/{item}"
                      for (kind, item), n in commented.items()]
            lines.append("")
        if reply_links:
            lines.append(_("Replies to your comments:"))
            lines += [f"- {link}" for link in reply_links]
            lines.append("")
        lines.append(_("You chose this digest on your account page: {link}").format(
            link=f"{base}/account/digest"))
        return _("Your Hromada digest"), "\n".join(lines)

    return render


def run(engine: Engine | None = None) -> None:
    """The worker's task: send the due digests in their own transaction."""
    try:
        with transaction(engine) as session:
            send_due(session)
    except Exception:  # a failing digest must not stop delivery
        log.exception("residents' digests failed")
