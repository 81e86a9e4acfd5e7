"""The one table every benchmark prints (rows of name, value, unit, baseline, ratio), how a
row is made, and the ``python -m bench.<name> [--quick]`` entry that prints it."""

from __future__ import annotations

import argparse
import operator
from collections.abc import Callable
from typing import Any, Literal

GoalOf = Literal["value", "ratio"]
GoalOp = Literal["<", "<=", ">="]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
}


def goal(of: GoalOf, op: GoalOp, than: float) -> dict[str, Any]:
    """A row's goal (its optional ``"goal"`` key): its ``value`` or ``ratio`` ``op`` ``than``,
    e.g. ``goal("ratio", ">=", 0.5)``."""
    return {"of": of, "op": op, "than": than}


def meets_goal(row: dict[str, Any]) -> bool | None:
    """Whether ``row`` meets its goal; None when it has none (a row without its figure
    — no ratio for a zero baseline — does not meet one)."""
    wanted = row.get("goal")
    if wanted is None:
        return None
    figure = row.get(wanted["of"])
    return figure is not None and _COMPARE[wanted["op"]](figure, wanted["than"])


def goal_text(row: dict[str, Any]) -> str:
    """``ratio >= 0.5: met`` (or ``missed``), or empty for a row without a goal."""
    met = meets_goal(row)
    if met is None:
        return ""
    wanted = row["goal"]
    return f"{wanted['of']} {wanted['op']} {wanted['than']:g}: {'met' if met else 'MISSED'}"


def make_row(
    name: str,
    value: float,
    unit: str,
    baseline: str,
    baseline_value: float,
    *,
    places: int = 3,
    ratio_places: int = 2,
    significant: int | None = None,
    goal: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One row: ``value`` and ``baseline_value`` rounded to ``places`` decimals, the ratio
    to ``ratio_places`` (or all three to ``significant`` digits); no ratio for a zero base;
    ``goal`` (from :func:`goal`), if it has one."""

    def rounded(number: float, decimals: int) -> float:
        return float(f"{number:.{significant}g}") if significant else round(number, decimals)

    return {
        "name": name,
        "value": rounded(value, places),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": rounded(baseline_value, places),
        "ratio": rounded(value / baseline_value, ratio_places) if baseline_value else None,
        "goal": goal,
    }


def print_table_main(
    run: Callable[[bool], list[dict[str, Any]]],
    argv: list[str] | None,
    *,
    prog: str | None = None,
    description: str | None = None,
    quick_help: str | None = None,
) -> None:
    """A benchmark's own ``main``: parse ``--quick``, run it, print its rows as the table."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args(argv)
    print(table(run(args.quick)))


def table(rows: list[dict[str, Any]]) -> str:
    def fmt(value: Any) -> str:
        return f"{value:,.3g}" if isinstance(value, float) else str(value)

    header = ("benchmark", "value", "unit", "baseline", "baseline value", "ratio", "goal")
    lines = [
        [
            r["name"],
            fmt(r["value"]),
            r["unit"],
            r["baseline"],
            fmt(r["baseline_value"]),
            fmt(r["ratio"]),
            goal_text(r),
        ]
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=False)]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)
