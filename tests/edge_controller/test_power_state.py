"""The office power state machine, driven with an injected clock (no devices)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from edge_controller.power import (
    HysteresisRules,
    PowerChange,
    PowerSample,
    PowerStateMachine,
)
from ektp.power import PowerState

RULES = HysteresisRules(
    hold_polls=3, hold_seconds=10.0, low_battery_confirm_polls=2, shutdown_runtime_s=120
)
POLL_S = 2.0


def sample(
    at: float,
    status: str | None = "OL",
    *,
    runtime: int | None = 1800,
    generator: bool | None = False,
) -> PowerSample:
    return PowerSample(
        at=at,
        ups_status=None if status is None else frozenset(status.split()),
        runtime_s=runtime,
        generator_running=generator,
        error="DeviceUnavailable" if status is None else None,
    )


class Office:
    """Polls every POLL_S seconds of fake time; the power does what the script says."""

    def __init__(self, rules: HysteresisRules = RULES) -> None:
        self.machine = PowerStateMachine(rules)
        self.now = 0.0
        self.changes: list[PowerChange] = []

    def hold(self, seconds: float, status: str | None, **kwargs: object) -> None:
        end = self.now + seconds
        while self.now < end:
            change = self.machine.observe(sample(self.now, status, **kwargs))  # type: ignore[arg-type]
            if change is not None:
                self.changes.append(change)
                if change.state is PowerState.LOW_BATTERY:
                    decided = self.machine.decide_shutdown(self.now)
                    if decided is not None:
                        self.changes.append(decided)
            self.now += POLL_S

    def states(self) -> list[PowerState]:
        return [c.state for c in self.changes]


def test_first_reading_is_adopted_at_once() -> None:
    office = Office()
    office.hold(POLL_S, "OL")
    assert office.states() == [PowerState.MAINS]


def test_a_cut_shorter_than_the_hold_is_ignored_a_longer_one_is_not() -> None:
    office = Office()
    office.hold(30, "OL")
    office.hold(6, "OB")  # 3 polls but only 4 s of it: not adopted
    office.hold(30, "OL")
    assert office.states() == [PowerState.MAINS]
    office.hold(14, "OB")
    assert office.states() == [PowerState.MAINS, PowerState.ON_BATTERY]
    assert office.changes[-1].at - 30 - 6 - 30 >= RULES.hold_seconds


def test_generator_taking_over_and_mains_returning() -> None:
    office = Office()
    office.hold(20, "OL")
    office.hold(20, "OB")
    office.hold(20, "OB", generator=True)  # contact closed, UPS not yet fed: still battery
    office.hold(20, "OL", generator=True)
    office.hold(20, "OL", generator=False)
    assert office.states() == [
        PowerState.MAINS,
        PowerState.ON_BATTERY,
        PowerState.GENERATOR,
        PowerState.MAINS,
    ]


def test_power_flapping_ten_times_in_thirty_seconds_makes_one_decision_at_most() -> None:
    office = Office()
    office.hold(20, "OL")
    for _ in range(10):  # 10 cuts in 30 s, some showing a low battery
        office.hold(1.5, "OB LB", runtime=100)
        office.hold(1.5, "OL")
    office.hold(60, "OL")
    assert office.machine.shutdown_decisions <= 1
    assert len(office.changes) <= 3  # MAINS, then at most LOW_BATTERY and SHUTDOWN
    low = [c for c in office.changes if c.state is PowerState.LOW_BATTERY]
    assert len(low) <= 1


def test_flapping_without_low_battery_never_leaves_mains() -> None:
    office = Office()
    office.hold(20, "OL")
    for _ in range(10):
        office.hold(1.5, "OB")
        office.hold(1.5, "OL")
    assert office.states() == [PowerState.MAINS]


def test_low_battery_is_immediate_once_confirmed_and_only_power_back_ends_the_shutdown() -> None:
    office = Office()
    office.hold(20, "OL")
    office.hold(20, "OB")
    office.hold(POLL_S, "OB LB")  # one poll: not yet confirmed
    assert office.machine.state is PowerState.ON_BATTERY
    office.hold(POLL_S, "OB LB")
    assert office.states()[-2:] == [PowerState.LOW_BATTERY, PowerState.SHUTDOWN]
    office.hold(30, "OB")  # battery or no answer: the office stays shut down
    office.hold(30, None)
    office.hold(6, "OL")  # mains back, but not for the hold yet
    assert office.machine.state is PowerState.SHUTDOWN
    assert office.machine.decide_shutdown(office.now) is None  # one decision per outage
    office.hold(20, "OL")  # mains back for good: the office is on mains again
    assert office.machine.state is PowerState.MAINS
    assert office.machine.recoveries == 1
    office.hold(20, "OB")
    office.hold(4, "OB LB")  # the next outage shuts the office down again
    assert office.machine.state is PowerState.SHUTDOWN
    assert office.machine.shutdown_decisions == 2


def test_runtime_below_the_margin_counts_as_low_battery() -> None:
    office = Office()
    office.hold(20, "OL")
    office.hold(20, "OB", runtime=600)
    office.hold(4, "OB", runtime=100)
    assert PowerState.LOW_BATTERY in office.states()


def test_lost_upsd_is_unknown_never_mains_and_needs_the_hold() -> None:
    office = Office()
    office.hold(20, "OB")
    office.hold(4, None)
    assert office.machine.state is PowerState.ON_BATTERY
    office.hold(20, None)
    assert office.machine.state is PowerState.UNKNOWN
    assert office.machine.shutdown_decisions == 0
    office.hold(20, "OL")
    assert office.machine.state is PowerState.MAINS


def test_upsd_answering_wait_is_unknown() -> None:
    office = Office()
    office.hold(20, "WAIT")
    assert office.states() == []
    assert office.machine.state is PowerState.UNKNOWN


def _scripts() -> st.SearchStrategy[list[tuple[float, str | None]]]:
    status = st.sampled_from(["OL", "OB", "OB LB", None])
    return st.lists(st.tuples(st.floats(0.5, 30), status), min_size=1, max_size=40)


@given(_scripts())
def test_any_script_makes_one_shutdown_per_outage_and_adopts_only_held_states(
    script: list[tuple[float, str | None]],
) -> None:
    office = Office()
    for seconds, status in script:
        office.hold(seconds, status)
    machine = office.machine
    assert machine.shutdown_decisions <= machine.recoveries + 1
    states = office.states()
    shutdowns = [i for i, state in enumerate(states) if state is PowerState.SHUTDOWN]
    for first, second in itertools.pairwise(shutdowns):  # power back held in between
        assert {PowerState.MAINS, PowerState.GENERATOR} & set(states[first:second])
    for before, after in _pairs(office.changes):
        if before is not None and before.state is PowerState.SHUTDOWN:
            assert after.state in (PowerState.MAINS, PowerState.GENERATOR)
        if after.state not in (PowerState.LOW_BATTERY, PowerState.SHUTDOWN) and before:
            assert after.at - before.at >= RULES.hold_seconds


def _pairs(changes: list[PowerChange]) -> Iterator[tuple[PowerChange | None, PowerChange]]:
    previous: PowerChange | None = None
    for change in changes:
        yield previous, change
        previous = change
