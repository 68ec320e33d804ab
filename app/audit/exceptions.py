"""What a receipt check can answer besides "found": each with its status and a message."""

from __future__ import annotations

from app.exceptions import Conflict, NotFound
from app.web.i18n import N_


class ForeignReceipt(NotFound):
    """A well-formed receipt signed for another deployment (another key): its entry is not in
    this log."""

    code = "other_deployment"

    def __init__(self, **params):
        super().__init__(N_("This receipt is from another deployment (key {theirs}); this "
                            "deployment's key is {ours}. Check it where it was issued."),
                         fields={"receipt": N_("This receipt is from another deployment.")},
                         **params)


class ReceiptNotFound(NotFound):
    code = "not_in_log"


class NotSealedYet(Conflict):
    """The entry is recorded but not chained yet: ask again in a moment."""

    code = "not_sealed"

    def __init__(self, **params):
        super().__init__(N_("This entry is recorded but not sealed into the chain yet. It is "
                            "usually sealed within seconds: try again in a minute."), **params)


class ReceiptMismatch(Conflict):
    """The log holds something else where the receipt says the entry is."""

    code = "mismatch"
