"""Speed of the opinion map: 10,000 participants x 500 statements, every one voted on.

    python bench/bench_opinion.py [--participants N] [--statements M] [--density D]
                                  [--repeat R] [--json]

Builds the votes of a synthetic consultation with three camps (each participant agrees with
their camp's side of a statement 75 % of the time, disagrees 15 % and passes 10 %; with
--density below 1 each participant votes on that share of the statements, at random) and
times ``consultations.opinion.compute`` on them: the vote matrix, its two principal
components, k-means for 2 to 5 groups with the silhouette choosing, and the statements that
divide the groups and those they share. Reading the votes from the database is not timed
(a map of this size is computed once per new vote at most, see
consultations/service/mapping.py). Prints the median time and whether the three camps were
found; with --json one JSON object with ``opinion_map_ms``, ``opinion_map_groups`` and
``opinion_map_camps_found``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultations import opinion  # noqa: E402

CAMPS = 3


def votes(participants: int, statements: int, density: float, seed: int = 7
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(participant, statement, value) triples and each participant's camp."""
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, CAMPS, participants)
    side = rng.choice([-1, 1], size=(CAMPS, statements))
    draw = rng.random((participants, statements))
    value = np.where(draw < 0.75, side[camp], np.where(draw < 0.9, -side[camp], 0))
    voted = rng.random((participants, statements)) < density
    users, items = np.nonzero(voted)
    return users + 1, items + 1, value[users, items], camp


def camps_found(result: opinion.OpinionMap, camp: np.ndarray) -> bool:
    """Every group is (almost) one camp, and every camp is one group."""
    group_of = {p[0]: p[3] for p in result.places}
    pairs = {}
    for participant, c in enumerate(camp, start=1):
        g = group_of.get(participant)
        if g is not None:
            pairs.setdefault(g, []).append(int(c))
    if len(pairs) != CAMPS:
        return False
    majorities = {max(set(v), key=v.count) for v in pairs.values()}
    purity = sum(max(v.count(x) for x in set(v)) for v in pairs.values()) / len(group_of)
    return len(majorities) == CAMPS and purity > 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=500)
    parser.add_argument("--density", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    users, items, values, camp = votes(args.participants, args.statements, args.density)
    times, result = [], None
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        result = opinion.compute(users, items, values)
        times.append((time.perf_counter() - start) * 1000)
    figure = {"opinion_map_ms": round(statistics.median(times), 1),
              "opinion_map_groups": len(result.groups),
              "opinion_map_camps_found": camps_found(result, camp),
              "opinion_map_votes": int(len(values))}
    if args.json:
        print(json.dumps(figure))
    else:
        print(f"opinion map: {args.participants:,} participants x {args.statements:,} "
              f"statements, {len(values):,} votes: {figure['opinion_map_ms']:,.0f} ms "
              f"(median of {len(times)}); {len(result.groups)} groups, the {CAMPS} camps "
              f"{'found' if figure['opinion_map_camps_found'] else 'NOT found'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
