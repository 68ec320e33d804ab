"""The business rules of consultations, one file per sub-domain; each flushes, never commits.

    reading.py        the phase, the rules a consultation runs under, lists, the
                      questionnaire, results and the CSV of contributions (the read side)
    drafting.py       an official drafts the text, dates, questionnaire and attachments, and
                      publishes it
    organisations.py  organisations registered by people and verified by officials
    responding.py     answering the questionnaire, changing the answers, the counters
    discussion.py     the comment space on the sections (the kernel keeps the comments)
    outcome.py        closing (the report obligation), the outcome report, its rating
    privacy.py        the personal-data hooks

Callers import the sub-domain they use (`from consultations.service import responding`). The
package itself names only what the kernel calls through consultations/module.py: the periodic
task and the privacy hooks.
"""

from consultations.service.outcome import close_expired
from consultations.service.privacy import erase_user, personal_data

__all__ = ["close_expired", "erase_user", "personal_data"]
