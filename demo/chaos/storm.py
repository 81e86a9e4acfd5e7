"""The storm: seeded SIGKILLs and link cuts while the booths enroll, then the drain.

Every event, after a random pause, either cuts a link (a booth's link to the broker,
or the edge's link to central) for a random while, or SIGKILLs one running part: a
booth worker, the edge, the broker or central. The kind is the one killed least so
far among the kinds with a part up for at least ``min_uptime_seconds`` (ties broken
at random), so every kind gets its share of kills; then one of its parts at random.
A killed part is started again after a random down time. The storm ends when the planned kills
are done and every booth has committed its whole script.

A part that ends by itself (no kill of ours) is started again too, and counted as an
*unexpected exit*: the run goes on, and the report shows it.

:func:`drain` then restores every link, starts whatever is down, and waits until
central stores every committed packet, no outbox has anything unacked or unsent, and
the edge has received every event of every committed enrollment.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from demo.chaos.checker import BoothEvidence, Verdict, committed_enrollments, committed_packets
from demo.chaos.events import messages_waiting, missing_at_edge
from demo.chaos.evidence import central_rows, read_journal, unacked_count
from demo.chaos.office import UPSTREAM_LINK, ChaosOffice, Killable


class StormStalled(RuntimeError):
    """The booths committed nothing for too long: something other than chaos is wrong."""


@dataclass(frozen=True)
class StormPlan:
    kills: int
    min_gap_seconds: float = 0.3
    max_gap_seconds: float = 1.5
    cut_share: float = 0.25
    min_uptime_seconds: float = 2.0
    max_down_seconds: float = 1.0
    max_cut_seconds: float = 3.0
    stall_seconds: float = 180.0

    @property
    def mean_gap_seconds(self) -> float:
        return (self.min_gap_seconds + self.max_gap_seconds) / 2


@dataclass
class StormTally:
    kills: Counter[str] = field(default_factory=Counter)
    cuts: Counter[str] = field(default_factory=Counter)
    unexpected_exits: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())

    @property
    def total_cuts(self) -> int:
        return sum(self.cuts.values())


def kind_of(name: str) -> str:
    return "booth" if name.startswith("booth-") else name


def link_kind(name: str) -> str:
    return "edge-central" if name == UPSTREAM_LINK else "booth-broker"


class Storm:
    """Runs on the harness's main thread (children die with the thread that started them)."""

    def __init__(
        self,
        office: ChaosOffice,
        plan: StormPlan,
        rng: random.Random,
        log: Callable[[str], None],
    ) -> None:
        self.office = office
        self.plan = plan
        self.rng = rng
        self.log = log
        self.tally = StormTally()
        self._restart_at: dict[str, float] = {}
        self._restore_at: dict[str, float] = {}
        self._started = time.monotonic()
        self._events_path = office.root / "storm.log"

    def _record(self, what: str) -> None:
        """One line per event in ``storm.log`` (seconds since the storm began)."""
        with self._events_path.open("a", encoding="utf-8") as events:
            events.write(f"{time.monotonic() - self._started:9.2f} {what}\n")

    def committed_enrollments(self) -> int:
        return sum(
            len({entry.serial for entry in read_journal(booth.journal)})
            for booth in self.office.booths
        )

    def run(self, enrollments: int) -> StormTally:
        started = self._started = time.monotonic()
        last_progress, count, counted_at = started, -1, 0.0
        next_event = started + self._gap()
        while True:
            now = time.monotonic()
            self._due(now)
            if now - counted_at >= 0.5:  # reading the journals is not free on a long run
                counted_at, previous = now, count
                count = self.committed_enrollments()
                if count != previous:
                    last_progress = now
            if self.tally.total_kills >= self.plan.kills and count >= enrollments:
                break
            if count < enrollments and now - last_progress > self.plan.stall_seconds:
                raise StormStalled(
                    f"the booths committed nothing for {self.plan.stall_seconds:.0f} s "
                    f"({count} of {enrollments} enrollments); see the logs in "
                    f"{self.office.root}"
                )
            if now >= next_event and self.tally.total_kills < self.plan.kills:
                self._event(now)
                next_event = now + self._gap()
            time.sleep(0.05)
        self.tally.seconds = time.monotonic() - started
        return self.tally

    def settle(self) -> None:
        """The storm is over: every link restored, every part started again."""
        self._restore_at.clear()
        self._restart_at.clear()
        for link in self.office.links.values():
            link.restore()
        for name, target in self.office.targets.items():
            if not target.alive:
                self._start(name)

    def keep_running(self) -> None:
        """Start again whatever ended by itself (during the drain)."""
        self._due(time.monotonic())

    def _gap(self) -> float:
        return self.rng.uniform(self.plan.min_gap_seconds, self.plan.max_gap_seconds)

    def _due(self, now: float) -> None:
        for name, at in list(self._restore_at.items()):
            if now >= at:
                self.office.links[name].restore()
                del self._restore_at[name]
                self._record(f"restore {name}")
        for name, at in list(self._restart_at.items()):
            if now >= at:
                del self._restart_at[name]
                self._start(name)
        for name, target in self.office.targets.items():
            if not target.alive and name not in self._restart_at:
                self.tally.unexpected_exits[kind_of(name)] += 1
                self._record(f"exited-by-itself {name}")
                self.log(f"  {name} ended by itself; starting it again")
                self._start(name)

    def _start(self, name: str) -> None:
        self._record(f"start {name}")
        try:
            self.office.targets[name].start()
        except Exception as err:  # e.g. the broker's port not free yet: try again soon
            self.log(f"  {name} did not start ({err}); trying again")
            self._restart_at[name] = time.monotonic() + 1.0

    def _event(self, now: float) -> None:
        if self.rng.random() < self.plan.cut_share:
            up = sorted(name for name in self.office.links if name not in self._restore_at)
            if up:
                name = self.rng.choice(up)
                self.office.links[name].cut()
                self._restore_at[name] = now + self.rng.uniform(0.3, self.plan.max_cut_seconds)
                self.tally.cuts[link_kind(name)] += 1
                self._record(f"cut {name}")
                return
        eligible: dict[str, list[tuple[str, Killable]]] = {}
        for name, target in sorted(self.office.targets.items()):
            if target.alive and target.uptime >= self.plan.min_uptime_seconds:
                eligible.setdefault(kind_of(name), []).append((name, target))
        if not eligible:
            return
        fewest = min(self.tally.kills[kind] for kind in eligible)
        kind = self.rng.choice(sorted(k for k in eligible if self.tally.kills[k] == fewest))
        name, target = self.rng.choice(eligible[kind])
        if target.kill():
            self.tally.kills[kind] += 1
            self._record(f"kill {name}")
        self._restart_at[name] = time.monotonic() + self.rng.uniform(0, self.plan.max_down_seconds)


@dataclass(frozen=True)
class DrainResult:
    drained: bool
    seconds: float
    not_at_central: int
    unacked_at_booths: int
    events_not_at_edge: int = 0
    messages_at_booths: int = 0


def booth_evidence(office: ChaosOffice) -> list[BoothEvidence]:
    return [
        BoothEvidence(booth.booth_id, booth.journal, booth.outbox, booth.public_key_pem)
        for booth in office.booths
    ]


def drain(office: ChaosOffice, storm: Storm, timeout: float) -> DrainResult:
    """Everything up again; wait until central has every committed packet and the edge
    every event (bounded)."""
    storm.settle()
    started = time.monotonic()
    evidence = booth_evidence(office)
    while True:
        committed, _ = committed_packets(evidence, Verdict())
        at_central = {row.packet_id for row in central_rows(office.central_data)}
        missing = len(set(committed) - at_central)
        unacked = sum(unacked_count(booth.outbox) for booth in office.booths)
        waiting = sum(messages_waiting(booth.outbox) for booth in office.booths)
        enrollments = committed_enrollments(committed)
        events_missing = missing_at_edge(office.seed, enrollments, office.edge_database)
        elapsed = time.monotonic() - started
        done = missing == 0 and unacked == 0 and waiting == 0 and events_missing == 0
        if done or elapsed > timeout:
            return DrainResult(done, elapsed, missing, unacked, events_missing, waiting)
        storm.keep_running()
        time.sleep(0.5)
