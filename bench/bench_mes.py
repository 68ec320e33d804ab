"""Speed of the Method of Equal Shares with Add1: Hromada's tally against pabutools.

    python bench/bench_mes.py [--json] [--file FILE.pb] [--repeat N]

Counts the largest shared Pabulib file (by size; ../shared/data/pabulib beside the project,
or HROMADA_PABULIB_DIR) with equal shares + Add1, whatever rule the file itself names, several
times with ``budget.tally`` and with pabutools (a GPL library, installed only for development:
``pip install pabutools``). Both start from an already parsed file, so only the counting is
timed; pabutools gets our tie-breaking (more supporters, then lower cost, then file order) so
that the two must fund the same projects in the same order. Prints the medians, whether the
winners are identical and the speed-up; with --json prints one JSON object with the keys
``mes_ms``, ``mes_pabutools_ms``, ``mes_speedup_vs_pabutools`` and ``mes_identical_winners``
(the last three null when pabutools is missing, which is not an error).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budget.pabulib.format import load  # noqa: E402
from budget.tally import Election, tally  # noqa: E402


def pabulib_dir() -> Path:
    override = os.environ.get("HROMADA_PABULIB_DIR")
    return Path(override) if override else ROOT.parent / "shared" / "data" / "pabulib"


def largest_file() -> Path:
    files = sorted(pabulib_dir().glob("*.pb"), key=lambda p: (-p.stat().st_size, p.name))
    if not files:
        raise SystemExit(f"no .pb files in {pabulib_dir()}")
    return files[0]


def median_ms(run: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall time of ``repeat`` calls (at least one), in milliseconds, and the result."""
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def pabutools_runner(path: Path) -> Callable[[], list[str]] | None:
    """A function counting ``path`` with pabutools' MES + Add1, or None if not installed."""
    try:
        from pabutools.election import Cost_Sat, parse_pabulib
        from pabutools.rules import method_of_equal_shares
        from pabutools.tiebreaking import TieBreakingRule
    except ImportError:
        return None
    instance, profile = parse_pabulib(str(path))
    position = {p.project_id: n for n, p in enumerate(load(path).projects)}
    support = {p.name: 0 for p in instance}
    for ballot in profile:
        for project in ballot:
            support[project.name] += 1
    rank = {p.name: (-support[p.name], p.cost, position[p.name]) for p in instance}
    ties = TieBreakingRule(lambda _instance, _profile, project: rank[project.name])

    def run() -> list[str]:
        outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat,
                                         tie_breaking=ties, voter_budget_increment=1)
        return [p.name for p in outcome]

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--file", type=Path, help="a .pb file (default: the largest shared one)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="runs of each (default 7; pabutools at most 5, it is slow)")
    args = parser.parse_args()
    path = args.file or largest_file()

    election = Election.from_pabulib(load(path))
    ours_ms, ours = median_ms(lambda: tally(election, "equal-shares").selected, args.repeat)
    report: dict[str, Any] = {
        "mes_file": path.name,
        "mes_ms": round(ours_ms, 3),
        "mes_pabutools_ms": None,
        "mes_speedup_vs_pabutools": None,
        "mes_identical_winners": None,
    }
    theirs: list[str] = []
    theirs_run = pabutools_runner(path)
    if theirs_run is not None:
        theirs_ms, theirs = median_ms(theirs_run, max(1, min(args.repeat, 5)))
        report.update(
            mes_pabutools_ms=round(theirs_ms, 3),
            mes_speedup_vs_pabutools=round(theirs_ms / ours_ms, 1),
            mes_identical_winners=list(ours) == theirs,
        )

    if args.json:
        print(json.dumps(report))
        return 0
    size = path.stat().st_size
    print(f"file: {path.name} ({size} bytes, {len(election.ballots)} votes, "
          f"{len(election.projects)} projects), equal shares + Add1")
    print(f"hromada:   median {ours_ms:10.3f} ms over {args.repeat} runs")
    if theirs_run is None:
        print("pabutools: not installed (pip install pabutools to compare); nothing to compare")
        return 0
    print(f"pabutools: median {report['mes_pabutools_ms']:10.3f} ms over "
          f"{max(1, min(args.repeat, 5))} runs")
    same = "yes" if report["mes_identical_winners"] else "NO"
    print(f"identical winners: {same} ({', '.join(ours)})")
    if not report["mes_identical_winners"]:
        print(f"pabutools funded: {', '.join(theirs)}")
    print(f"speed-up: {report['mes_speedup_vs_pabutools']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
