"""The office's electricity in the demo: PLN mains, the genset, the transfer switch, the UPS.

A visitor cuts the mains or starts the generator; :class:`OfficePowerSupply` works out
what the real parts would then show and sets the emulated parts the edge reads:

* the UPS (a real ``upsd`` + ``dummy-ups``) reports ``OL`` while mains or the generator
  feeds it, else ``OB`` with the battery's charge and runtime left;
* the transfer switch's generator contact (gpiozero MockFactory pin) is closed while
  the generator feeds the office, which is when it runs and the mains is off.

The edge's power watcher polls both, as in an office, and publishes ``office/power``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

ON_BATTERY_CHARGE = 85.0
ON_BATTERY_RUNTIME_S = 1500
"""What the UPS reports on battery: enough runtime to finish the session in progress."""


class ScriptableUps(Protocol):
    def set_ups_status(
        self, status: str = "OL", *, charge: float | None = None, runtime: int | None = None
    ) -> None: ...


class ScriptableContact(Protocol):
    def set_generator_running(self, running: bool) -> None: ...


@dataclass(frozen=True)
class SupplyState:
    mains: bool
    generator_running: bool

    @property
    def generator_feeds(self) -> bool:
        return self.generator_running and not self.mains

    @property
    def ups_status(self) -> str:
        return "OL" if self.mains or self.generator_running else "OB"

    def describe(self) -> str:
        mains = "PLN mains on" if self.mains else "PLN mains cut"
        generator = "generator running" if self.generator_running else "generator off"
        feeds = "the generator" if self.generator_feeds else "mains"
        source = "the UPS battery" if self.ups_status == "OB" else feeds
        return f"{mains}, {generator}: the office runs on {source} (UPS {self.ups_status})"


class OfficePowerSupply:
    """Mains and generator switches; each change is applied to the UPS and the contact."""

    def __init__(self, ups: ScriptableUps, contact: ScriptableContact | None) -> None:
        self._ups = ups
        self._contact = contact
        self._lock = threading.Lock()
        self.state = SupplyState(mains=True, generator_running=False)

    def set_mains(self, on: bool) -> SupplyState:
        return self._apply(SupplyState(on, self.state.generator_running))

    def set_generator(self, running: bool) -> SupplyState:
        if running and self._contact is None:
            raise ValueError("this office has no generator contact wired")
        return self._apply(SupplyState(self.state.mains, running))

    def _apply(self, state: SupplyState) -> SupplyState:
        with self._lock:
            if state.ups_status == "OB":
                self._ups.set_ups_status(
                    "OB", charge=ON_BATTERY_CHARGE, runtime=ON_BATTERY_RUNTIME_S
                )
            else:
                self._ups.set_ups_status("OL", charge=100, runtime=1800)
            if self._contact is not None:
                self._contact.set_generator_running(state.generator_feeds)
            self.state = state
            return state
