"""The one table every benchmark prints (rows of name, value, unit, baseline, ratio)."""

from __future__ import annotations

from typing import Any


def table(rows: list[dict[str, Any]]) -> str:
    def fmt(value: Any) -> str:
        return f"{value:,.3g}" if isinstance(value, float) else str(value)

    header = ("benchmark", "value", "unit", "baseline", "baseline value", "ratio")
    lines = [
        [
            r["name"],
            fmt(r["value"]),
            r["unit"],
            r["baseline"],
            fmt(r["baseline_value"]),
            fmt(r["ratio"]),
        ]
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=False)]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)
