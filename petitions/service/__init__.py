"""The petition loop's business rules, one file per stage a petition passes through:

    drafting.py   draft, submit, sponsors, moderation (publish or reject): up to publication
    signing.py    the collection: online signatures (group commit), withdrawal, paper
                  signatures, the threshold, closing at the end of the period
    outcome.py    what the threshold opens: the answer, its rating, implementation updates,
                  following a petition to hear of them
    reading.py    the read side: the petition page and what a viewer may do there, the JSON
                  shapes, lists and search, the open-data export
    privacy.py    the kernel's privacy hooks (personal data, erasure, retention)
    common.py     what they share: loading a petition, its rules, its address, clean texts

Flushes, never commits: every write happens in the caller's transaction together with its
audit entry and its notifications. Every limit, period and deadline comes from the rules
engine. Each act takes `(session, actor, petition_id, ...)` and calls its check in
petitions/permissions.py before it writes. Callers import the stage they need
(`from petitions.service import signing`); this package re-exports nothing.
"""
