"""The office's power state, worked out from UPS and generator readings with hysteresis.

Pure logic with an injected clock: :class:`PowerStateMachine` takes one
:class:`PowerSample` per poll and says when the office's state changes. Nothing here
does I/O, so a test can replay an hour of flapping power in a millisecond.

States (:class:`ektp.power.PowerState`, shared with the booths):

``MAINS``        the UPS is on line (``OL``) and the generator contact is open;
``GENERATOR``    the UPS is on line and the transfer switch says the genset feeds it;
``ON_BATTERY``   the UPS runs from its battery (``OB``);
``LOW_BATTERY``  on battery and the UPS says ``LB``, or the runtime left is below the
                 shutdown margin (for a UPS that reports no runtime: the charge is below
                 the charge margin): time to shut everything down;
``SHUTDOWN``     the shutdown was decided. It holds through battery, low-battery and
                 unknown readings; only power that is back (``MAINS`` or ``GENERATOR``,
                 held like any other change) leaves it. NUT's upsmon never calls off a
                 forced shutdown; Rekam does, because an edge that did not halt (the
                 command failed, or mains came back while the booths were going down)
                 must not tell the office "shut down" for ever. A later outage can then
                 decide a new shutdown (one decision per outage);
``UNKNOWN``      no answer from upsd (or it has no data): never taken for mains.

Hysteresis: a new raw state is adopted only after it was seen in ``hold_polls``
consecutive polls *and* for ``hold_seconds``. ``LOW_BATTERY`` is the exception: it is
adopted as soon as it was seen in ``low_battery_confirm_polls`` consecutive polls,
whatever the time. The very first known state after start is adopted at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ektp.power import PowerState

#: States that end a decided SHUTDOWN: the power is back.
POWER_BACK = frozenset({PowerState.MAINS, PowerState.GENERATOR})

#: States in which the office has no mains power (the outage log's "without mains").
WITHOUT_MAINS = frozenset(
    {PowerState.GENERATOR, PowerState.ON_BATTERY, PowerState.LOW_BATTERY, PowerState.SHUTDOWN}
)


@dataclass(frozen=True)
class PowerSample:
    """One poll: what upsd and the generator contact said at monotonic time ``at``.

    ``ups_status`` is None when upsd could not be read (``error`` says why, for a
    technician); ``generator_running`` is None when the office has no contact wired.
    """

    at: float
    ups_status: frozenset[str] | None
    charge: float | None = None
    runtime_s: int | None = None
    generator_running: bool | None = None
    error: str | None = None
    status_text: str = ""
    """``ups.status`` as upsd wrote it, in NUT's order (``"OB LB"``); empty when unread."""

    @property
    def ups_reachable(self) -> bool:
        return self.ups_status is not None


@dataclass(frozen=True)
class HysteresisRules:
    """How long a new state must hold before the office adopts it."""

    hold_polls: int = 3
    hold_seconds: float = 10.0
    low_battery_confirm_polls: int = 2
    shutdown_runtime_s: int | None = 120
    """On battery with less runtime than this counts as LOW_BATTERY (None: only ``LB``)."""
    shutdown_charge_pct: float | None = None
    """For a UPS without ``battery.runtime``: on battery with less charge than this (%)
    counts as LOW_BATTERY (None: only ``LB``)."""

    def __post_init__(self) -> None:
        if self.hold_polls < 1 or self.low_battery_confirm_polls < 1 or self.hold_seconds < 0:
            raise ValueError("hold_polls and low_battery_confirm_polls must be >= 1")


def below_margin(sample: PowerSample, runtime_s: int | None, charge_pct: float | None) -> bool:
    """Less runtime left than ``runtime_s``; for a UPS that reports no runtime, less
    charge than ``charge_pct``. A margin of None is never crossed."""
    if sample.runtime_s is not None:
        return runtime_s is not None and sample.runtime_s < runtime_s
    return charge_pct is not None and sample.charge is not None and sample.charge < charge_pct


def classify(sample: PowerSample, rules: HysteresisRules) -> PowerState:
    """The raw state one sample shows, before any hysteresis."""
    status = sample.ups_status
    if status is None or not ({"OL", "OB"} & status):
        return PowerState.UNKNOWN
    if "OB" in status:
        if "LB" in status or below_margin(
            sample, rules.shutdown_runtime_s, rules.shutdown_charge_pct
        ):
            return PowerState.LOW_BATTERY
        return PowerState.ON_BATTERY
    return PowerState.GENERATOR if sample.generator_running else PowerState.MAINS


@dataclass(frozen=True)
class PowerChange:
    """The office's state changed from ``previous`` to ``state`` at ``at`` (monotonic)."""

    previous: PowerState
    state: PowerState
    at: float
    sample: PowerSample | None


class PowerStateMachine:
    """Feed :meth:`observe` one sample per poll; it returns a change when one is adopted."""

    def __init__(self, rules: HysteresisRules | None = None) -> None:
        self.rules = rules or HysteresisRules()
        self.state = PowerState.UNKNOWN
        self.last_sample: PowerSample | None = None
        self.shutdown_decisions = 0
        self.recoveries = 0
        """How many decided shutdowns were ended by the power coming back."""
        self.changes = 0
        self._ever_known = False
        self._candidate: PowerState | None = None
        self._candidate_since = 0.0
        self._candidate_polls = 0

    @property
    def shutdown_decided(self) -> bool:
        """A shutdown was decided at least once (it may have been ended since)."""
        return self.shutdown_decisions > 0

    def observe(self, sample: PowerSample) -> PowerChange | None:
        """Take one poll's sample; return the change it completes, if any."""
        self.last_sample = sample
        raw = classify(sample, self.rules)
        if self.state is PowerState.SHUTDOWN and raw not in POWER_BACK:
            self._candidate = None
            return None
        if raw is self.state:
            self._candidate = None
            return None
        if raw is not self._candidate:
            self._candidate = raw
            self._candidate_since = sample.at
            self._candidate_polls = 0
        self._candidate_polls += 1
        if not self._confirmed(raw, sample.at):
            return None
        return self._adopt(raw, sample)

    def decide_shutdown(self, at: float) -> PowerChange | None:
        """Move to SHUTDOWN; None when already there (one decision per outage)."""
        if self.state is PowerState.SHUTDOWN:
            return None
        self.shutdown_decisions += 1
        previous, self.state = self.state, PowerState.SHUTDOWN
        self._candidate = None
        self.changes += 1
        return PowerChange(previous, PowerState.SHUTDOWN, at, self.last_sample)

    def _confirmed(self, raw: PowerState, now: float) -> bool:
        if not self._ever_known and raw is not PowerState.UNKNOWN:
            return True
        if raw is PowerState.LOW_BATTERY:
            return self._candidate_polls >= self.rules.low_battery_confirm_polls
        held_for = now - self._candidate_since
        return (
            self._candidate_polls >= self.rules.hold_polls and held_for >= self.rules.hold_seconds
        )

    def _adopt(self, raw: PowerState, sample: PowerSample) -> PowerChange:
        previous, self.state = self.state, raw
        if previous is PowerState.SHUTDOWN:
            self.recoveries += 1
        self._candidate = None
        self.changes += 1
        if raw is not PowerState.UNKNOWN:
            self._ever_known = True
        return PowerChange(previous, raw, sample.at, sample)
