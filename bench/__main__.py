"""``python -m bench``: run every benchmark, print a table, optionally write JSON.

    python -m bench                  every benchmark, full size
    python -m bench --quick          small sizes (about eight minutes in all here)
    python -m bench --only ingest    one or more by module name
    python -m bench --json out.json  also write the rows
    python -m bench --json           the rows as JSON on stdout (the table on stderr)

Each row is ``{"name", "value", "unit", "baseline", "baseline_value", "ratio"}``: the
baseline is measured in the same run, so the ratio compares like with like on this machine.
A row with a goal (issue 20's, the kiosk's frame gaps) also has ``"goal"`` (``{"of":
"value" | "ratio", "op", "than"}``) and ``"meets_goal"``. Exit status: 1 if a benchmark
failed, else 2 if a row missed its goal, else 0.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.report import meets_goal, table

MODULES = (
    "photo_quality",
    "enrollment",
    "ingest",
    "transport_seal",
    "scale",
    "upstream",
    "roster",
    "kiosk_frames",
    "kiosk_start",
    "coverage",
)
KEYS = ("name", "value", "unit", "baseline", "baseline_value", "ratio")


def run_all(modules: list[str], quick: bool) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for name in modules:
        started = time.monotonic()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            produced = module.run(quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        for row in produced:
            missing = [k for k in KEYS if k not in row]
            if missing:
                raise ValueError(f"bench.{name} row {row.get('name')} lacks {missing}")
            kept = {k: row[k] for k in KEYS}
            if row.get("goal") is not None:
                kept |= {"goal": row["goal"], "meets_goal": meets_goal(row)}
            rows.append(kept)
        print(f"bench: {name} took {time.monotonic() - started:.1f} s", file=sys.stderr)
    return rows, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, ~8 min here")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the rows to FILE; alone, print them on stdout instead of the table",
    )
    args = parser.parse_args(argv)
    rows, failed = run_all(list(args.only or MODULES), args.quick)
    rows_json = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if args.json == "-":
        print(table(rows), file=sys.stderr)
        sys.stdout.write(rows_json)
    else:
        print(table(rows))
        if args.json:
            Path(args.json).write_text(rows_json)
    missed = [row["name"] for row in rows if row.get("meets_goal") is False]
    with_goal = sum(1 for row in rows if "goal" in row)
    if with_goal:
        print(f"bench: goals met: {with_goal - len(missed)} of {with_goal}", file=sys.stderr)
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if missed:
        print(f"bench: goal missed: {', '.join(missed)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
