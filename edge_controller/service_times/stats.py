"""Count, median and 90th percentile of a list of durations (seconds)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """How long one stage took across visits; None values when nothing was measured."""

    name: str
    count: int
    median_s: float | None
    p90_s: float | None


def spread(name: str, seconds: list[float]) -> Spread:
    if not seconds:
        return Spread(name, 0, None, None)
    ordered = sorted(seconds)
    rank = max(1, math.ceil(0.9 * len(ordered)))  # nearest-rank: a value that occurred
    return Spread(name, len(ordered), statistics.median(ordered), ordered[rank - 1])
