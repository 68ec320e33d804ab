"""How acts arrived (signatures, ballots), for the moderators' fraud views: per hour, with
bursts flagged by the rules (an hour with at least `burst_minimum` acts and at least
`burst_factor` times the median hour), by e-mail domain and by client network (its keyed hash,
app.deliberation.networks)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app import clock
from app.deliberation.rules import DeliberationRules


@dataclass(frozen=True)
class Hour:
    start: datetime
    count: int
    burst: bool


def per_hour(times: Iterable[datetime], rules: DeliberationRules) -> list[Hour]:
    counted: Counter = Counter()
    for moment in times:
        moment = clock.aware(moment).astimezone(UTC)
        counted[moment.replace(minute=0, second=0, microsecond=0)] += 1
    median = statistics.median(counted.values()) if counted else 0
    return [Hour(start, n, n >= rules.burst_minimum and n >= rules.burst_factor * median)
            for start, n in sorted(counted.items())]


@dataclass(frozen=True)
class Arrivals:
    """How the acts on one item (a petition, a budget cycle) arrived."""

    item: Any
    hours: list[Hour]
    domains: list[tuple[str, int]]  # (e-mail domain, acts), most first
    networks: list[tuple[str, int]]  # (network hash, acts), most first
    total: int
    retention_days: int  # how long network hashes are kept


def arrivals_of(item: Any, times: Iterable[datetime], domains: list[tuple[str, int]],
                networks: list[tuple[str, int]], total: int,
                rules: DeliberationRules) -> Arrivals:
    return Arrivals(item, per_hour(times, rules), domains, networks, total,
                    rules.network_retention_days)
