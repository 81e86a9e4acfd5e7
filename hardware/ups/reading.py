"""What one poll of the UPS says: status flags, charge and runtime left."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hardware.errors import DeviceProtocolError

DEVICE = "ups"


@dataclass(frozen=True)
class UpsReading:
    """One reading of a UPS as NUT reports it.

    ``status`` holds the words of ``ups.status`` (``OL``, ``OB``, ``LB``, ``CHRG``...,
    or ``WAIT`` while upsd waits for its driver); an empty set means no status at all.
    ``charge`` is ``battery.charge`` in percent and ``runtime_s`` is ``battery.runtime``
    in seconds, ``None`` when the UPS does not report them. ``raw`` holds every variable as text.
    """

    ups: str
    status: frozenset[str]
    charge: float | None
    runtime_s: int | None
    raw: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def on_line(self) -> bool:
        """Mains feeds the UPS (``OL``)."""
        return "OL" in self.status

    @property
    def on_battery(self) -> bool:
        """The UPS runs from its battery (``OB``)."""
        return "OB" in self.status

    @property
    def low_battery(self) -> bool:
        """The battery is nearly empty (``LB``): shut down now."""
        return "LB" in self.status

    @property
    def is_known(self) -> bool:
        """The UPS says where its power comes from (``OL`` or ``OB``). upsd reports
        ``WAIT`` right after it (re)starts, before the driver's first data arrives."""
        return self.on_line or self.on_battery

    @property
    def status_text(self) -> str:
        """The status words in NUT's usual order, e.g. ``"OB LB"``."""
        order = {"OL": 0, "OB": 1, "LB": 2}
        return " ".join(sorted(self.status, key=lambda word: (order.get(word, 9), word)))

    @classmethod
    def from_variables(cls, ups: str, variables: Mapping[str, str]) -> UpsReading:
        """Build a reading from ``LIST VAR`` output; odd numbers raise DeviceProtocolError."""
        status = frozenset(variables.get("ups.status", "").split())
        charge = _number(variables, "battery.charge")
        runtime = _number(variables, "battery.runtime")
        return cls(
            ups=ups,
            status=status,
            charge=charge,
            runtime_s=None if runtime is None else int(runtime),
            raw=MappingProxyType(dict(variables)),
        )


def _number(variables: Mapping[str, str], name: str) -> float | None:
    text = variables.get(name)
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError as err:
        raise DeviceProtocolError(f"upsd reported a non-numeric {name}", device=DEVICE) from err
    if not math.isfinite(value) or value < 0:
        raise DeviceProtocolError(f"upsd reported an impossible {name}", device=DEVICE)
    return value
