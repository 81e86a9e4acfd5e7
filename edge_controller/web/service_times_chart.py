"""Bars for the "Waktu layanan" charts, drawn as inline SVG by the template."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHART_WIDTH = 480
CHART_HEIGHT = 140
WAIT_BINS_MINUTES = (5, 10, 15, 20, 30, 45, 60, 90)
"""Upper bounds of the waiting distribution's bins; the last bin holds the rest."""


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    width: float
    height: float

    @property
    def y(self) -> float:
        return CHART_HEIGHT - self.height


def bar_chart(values: Sequence[tuple[str, int]]) -> list[Bar]:
    """One bar per (label, value), scaled to the tallest."""
    if not values:
        return []
    tallest = max(1, *(value for _, value in values))
    width = CHART_WIDTH / len(values)
    return [
        Bar(label, value, index * width, max(width - 4, 1), CHART_HEIGHT * value / tallest)
        for index, (label, value) in enumerate(values)
    ]


def waiting_histogram(waits_s: Sequence[float]) -> list[Bar]:
    """How many residents waited how long (minutes), in fixed bins."""
    if not waits_s:
        return []
    counts = [0] * (len(WAIT_BINS_MINUTES) + 1)
    for seconds in waits_s:
        minutes = seconds / 60
        index = next(
            (i for i, bound in enumerate(WAIT_BINS_MINUTES) if minutes < bound),
            len(WAIT_BINS_MINUTES),
        )
        counts[index] += 1
    lower = (0, *WAIT_BINS_MINUTES)
    labels = [f"{low}–{high}" for low, high in zip(lower, WAIT_BINS_MINUTES, strict=False)]
    labels.append(f"{WAIT_BINS_MINUTES[-1]}+")
    return bar_chart(list(zip(labels, counts, strict=True)))
