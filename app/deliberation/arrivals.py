"""How acts arrived over time (signatures, ballots), for the moderators' fraud views: per
hour, with bursts flagged by the rules (an hour with at least `burst_minimum` acts and at
least `burst_factor` times the median hour)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

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
