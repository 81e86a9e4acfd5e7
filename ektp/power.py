"""The office's power states, as the edge publishes them on ``office/power``.

One list for every side: the edge's state machine decides them
(``edge_controller.power.state``), the ``office/power`` message carries them
(:class:`ektp.messages.PowerMessage`), and a booth acts on them and shows them.
"""

from __future__ import annotations

from enum import StrEnum


class PowerState(StrEnum):
    """Where the office's power comes from, or what it has come to."""

    MAINS = "MAINS"
    """The UPS is on line and the generator does not feed it (PLN mains)."""
    ON_BATTERY = "ON_BATTERY"
    """The UPS runs from its battery."""
    GENERATOR = "GENERATOR"
    """The UPS is on line and the transfer switch says the genset feeds it."""
    LOW_BATTERY = "LOW_BATTERY"
    """On battery, and the battery is nearly empty: time to shut down."""
    SHUTDOWN = "SHUTDOWN"
    """The office's shutdown was decided; it holds until the power is back."""
    UNKNOWN = "UNKNOWN"
    """The UPS does not answer: never taken for mains."""
