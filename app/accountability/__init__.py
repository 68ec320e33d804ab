"""The obligations ledger: what an authority owes, by when, and whether it answered."""
