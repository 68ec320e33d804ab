"""The real Pabulib elections the budget tests count: the shared set (/work/shared/data/pabulib
beside the checkout, or HROMADA_PABULIB_DIR) and the files kept with the tests
(tests/budget/data/pabulib; its README says where each comes from)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

EXTRA_DIR = Path(__file__).resolve().parent / "data" / "pabulib"


def shared_dir() -> Path:
    override = os.environ.get("HROMADA_PABULIB_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pabulib"


@cache
def real_files() -> tuple[Path, ...]:
    """Every real election, by file name."""
    return tuple(sorted([*shared_dir().glob("*.pb"), *EXTRA_DIR.glob("*.pb")],
                        key=lambda p: p.name))
