"""``rekam-chaos`` — enrollments on several booths while the office's parts die and links drop.

    rekam-chaos                                   3 booths, 100 enrollments, 30 kills
    rekam-chaos --json                            the verdict as one JSON object
    rekam-chaos --enrollments 2000 --kills 1000   the long run (about 25 minutes on 2 cores)
    python -m demo.chaos ...                      the same

Starts a whole office of real processes (mosquitto with per-booth TLS certificates,
``rekam-edge run`` with its forwarder, ``rekam-central run``, one process per booth
with its real outbox and uplink; booth↔broker and edge↔central links through proxies
that can be cut). While the booths seal and commit their scripted enrollments, it
SIGKILLs booths, the edge, the broker and central at random (seeded) moments and
cuts links, restarting everything it killed. Then it restores everything, waits for
the backlog to drain, and compares what the booths committed with what central
stored: lost, duplicated, corrupted; and the events each enrollment made (check-in,
ticket call, card delivery) with what the edge received: lost, duplicated, unexpected.
Exit 0 only when all of these are zero and the backlog drained within ``--timeout``.
Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from demo.chaos.checker import Verdict, check_delivery, committed_enrollments, committed_packets
from demo.chaos.enrollments import MAX_SERIAL
from demo.chaos.events import EventVerdict, check_events
from demo.chaos.office import ChaosOffice
from demo.chaos.storm import (
    DrainResult,
    Storm,
    StormPlan,
    StormStalled,
    StormTally,
    booth_evidence,
    drain,
)


class Interrupted(Exception):
    """SIGTERM or Ctrl-C: stop everything, report nothing."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekam-chaos",
        description=(__doc__ or "").split("\n\n")[2].replace("\n", " "),
        epilog="The long run, its own command (about 25 minutes on 2 cores): "
        "rekam-chaos --enrollments 2000 --kills 1000",
    )
    parser.add_argument("--booths", type=int, default=3, help="emulated booths (default 3)")
    parser.add_argument(
        "--enrollments", type=int, default=100, help="scripted enrollments in all (default 100)"
    )
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs to deliver (default 30)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the storm (default: new)")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON only")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="run here (must not exist yet); kept"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds the backlog may take to drain after the storm (default 300)",
    )
    return parser


def booth_scripts(enrollments: int, booths: int) -> dict[int, list[int]]:
    """Booth index → its serials 1..n; the enrollments shared out as evenly as possible."""
    return {
        index: list(
            range(1, enrollments // booths + (1 if index < enrollments % booths else 0) + 1)
        )
        for index in range(booths)
    }


def summary(
    verdict: Verdict,
    events: EventVerdict,
    *,
    tally: StormTally,
    result: DrainResult,
    seed: int,
    root: Path,
) -> dict[str, Any]:
    return {
        "enrollments": verdict.enrollments,
        "kills": tally.total_kills,
        "lost": verdict.lost,
        "duplicated": verdict.duplicated,
        "corrupted": verdict.corrupted,
        "kills_by_target": dict(sorted(tally.kills.items())),
        "link_cuts": dict(sorted(tally.cuts.items())),
        "unexpected_exits": dict(sorted(tally.unexpected_exits.items())),
        "committed_packets": verdict.committed_packets,
        "stored_at_central": verdict.stored_at_central,
        "events_expected": events.expected,
        "events_at_edge": events.received,
        "events_lost": events.lost,
        "events_duplicated": events.duplicated,
        "events_unexpected": events.unexpected,
        "drained": result.drained,
        "storm_seconds": round(tally.seconds, 1),
        "drain_seconds": round(result.seconds, 1),
        "seed": seed,
        "workdir": str(root),
        "problems": verdict.problems + events.problems,
    }


def print_table(report: dict[str, Any], result: DrainResult, timeout: float) -> None:
    def line(label: str, value: object, detail: str = "") -> None:
        print(f"  {label:<22} {value!s:>6}  {detail}".rstrip())

    def per(counts: dict[str, int]) -> str:
        return ", ".join(f"{name} {count}" for name, count in counts.items())

    print("\n== Chaos verdict ==")
    line("enrollments", report["enrollments"], "committed at the booths")
    line("kills (SIGKILL)", report["kills"], per(report["kills_by_target"]))
    line("link cuts", sum(report["link_cuts"].values()), per(report["link_cuts"]))
    line(
        "unexpected exits",
        sum(report["unexpected_exits"].values()),
        per(report["unexpected_exits"]),
    )
    line(
        "stored at central",
        report["stored_at_central"],
        f"of {report['committed_packets']} packets",
    )
    line("lost", report["lost"])
    line("duplicated", report["duplicated"])
    line("corrupted", report["corrupted"])
    line("events at the edge", report["events_at_edge"], f"of {report['events_expected']}")
    line("events lost", report["events_lost"])
    line("events duplicated", report["events_duplicated"])
    line("events unexpected", report["events_unexpected"])
    line("storm", f"{report['storm_seconds']:.0f} s")
    line("drain", f"{report['drain_seconds']:.0f} s")
    if not result.drained:
        print(
            f"\n  The backlog did not drain within {timeout:.0f} s: {result.not_at_central} "
            f"committed packets not at central, {result.unacked_at_booths} unacked in the "
            f"booths' outboxes, {result.events_not_at_edge} events not at the edge, "
            f"{result.messages_at_booths} messages unsent at the booths (they count as lost)."
        )
    for problem in report["problems"]:
        print(f"  - {problem}")
    print(f"\n  seed {report['seed']}; files in {report['workdir']}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.booths < 1 or args.enrollments < 1 or args.kills < 0:
        parser.error("--booths and --enrollments must be at least 1, --kills at least 0")
    if math.ceil(args.enrollments / args.booths) > MAX_SERIAL:
        parser.error(f"at most {MAX_SERIAL} enrollments per booth")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    if args.workdir is not None and args.workdir.exists():
        parser.error(f"{args.workdir} exists; give a new directory")
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="rekam-chaos-"))).resolve()
    plan = StormPlan(kills=args.kills)
    per_booth = math.ceil(args.enrollments / args.booths)
    pace = plan.kills * plan.mean_gap_seconds / per_booth
    office = ChaosOffice(
        root,
        booth_count=args.booths,
        script=booth_scripts(args.enrollments, args.booths),
        seed=seed,
        pace_seconds=pace,
        log=lambda message: log(f"  {message}"),
    )
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    clean = False
    try:
        log(f"== rekam-chaos: seed {seed}, office in {root} ==")
        office.prepare()
        office.start()
        log(
            f"== Storm: {args.enrollments} enrollments, {args.booths} booths, {args.kills} kills =="
        )
        storm = Storm(office, plan, random.Random(seed), log)
        tally = storm.run(args.enrollments)
        log(f"== Drain (at most {args.timeout:.0f} s) ==")
        result = drain(office, storm, args.timeout)
        office.close()
        assert office.central_private_key is not None
        evidence = booth_evidence(office)
        verdict = check_delivery(evidence, office.central_data, office.central_private_key, seed)
        committed, _ = committed_packets(evidence, Verdict())
        events = check_events(seed, committed_enrollments(committed), office.edge_database)
        report = summary(verdict, events, tally=tally, result=result, seed=seed, root=root)
        if args.json:
            print(json.dumps(report))
        else:
            print_table(report, result, args.timeout)
        clean = (
            verdict.clean
            and events.clean
            and result.drained
            and verdict.enrollments == args.enrollments
        )
        return 0 if clean else 1
    except StormStalled as err:
        log(f"rekam-chaos: {err}")
        return 1
    except Interrupted as err:
        log(f"rekam-chaos: stopped by {err}")
        return 130
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        office.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if clean and args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
