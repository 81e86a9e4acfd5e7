"""What a chaos check found wrong: its counts (in each verdict) and the first problems in words."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PROBLEMS_LISTED = 20


@dataclass
class Findings:
    """The base of a verdict: up to ``max_listed`` problems, each a sentence."""

    problems: list[str] = field(default_factory=list)
    max_listed: int = field(default=MAX_PROBLEMS_LISTED, repr=False)

    def note(self, problem: str) -> None:
        if len(self.problems) < self.max_listed:
            self.problems.append(problem)
