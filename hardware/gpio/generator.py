"""The generator (genset) transfer-switch contact, read on one GPIO input.

Closed contact = the generator feeds the office. With ``pull_up=True`` the contact
is wired between the pin and ground, so closed reads low. gpiozero's ``bounce_time``
debounces the input; callbacks only fire when the reported state really changes.
Callbacks run in gpiozero's event thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from gpiozero import DigitalInputDevice

from hardware.base import Device, SelfTestResult
from hardware.errors import DeviceUnavailable

log = logging.getLogger(__name__)


class GeneratorContact(Device):
    """The transfer switch's "generator feeding" contact. Owns and closes ``pin_factory``."""

    name = "generator"

    def __init__(
        self,
        pin_factory: Any,
        *,
        contact_pin: int,
        pull_up: bool = True,
        bounce_s: float | None = 0.2,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__()
        self.pin_factory = pin_factory
        self.contact_pin = contact_pin
        self.pull_up = pull_up
        self._on_change = on_change
        self._lock = threading.Lock()
        try:
            self._input = DigitalInputDevice(
                contact_pin, pull_up=pull_up, bounce_time=bounce_s, pin_factory=pin_factory
            )
        except Exception as err:
            raise DeviceUnavailable(
                f"cannot claim the generator contact pin {contact_pin}: {err}", device=self.name
            ) from err
        self._reported = bool(self._input.is_active)
        self._input.when_activated = self._contact_moved
        self._input.when_deactivated = self._contact_moved

    @property
    def is_running(self) -> bool:
        """True while the contact is closed: the generator feeds the office."""
        return bool(self._input.is_active)

    def set_change_callback(self, callback: Callable[[bool], None] | None) -> None:
        """Call ``callback(running)`` each time the contact opens or closes."""
        self._on_change = callback

    def self_test(self) -> SelfTestResult:
        if self.closed:
            return SelfTestResult(self.name, False, "generator contact input is closed")
        state = "closed (generator running)" if self.is_running else "open (generator off)"
        factory = type(self.pin_factory).__name__
        return SelfTestResult(
            self.name, True, f"contact pin {self.contact_pin} claimed via {factory}, {state}"
        )

    def _contact_moved(self) -> None:
        running = bool(self._input.is_active)
        with self._lock:
            if running == self._reported:
                return
            self._reported = running
        callback = self._on_change
        if callback is None:
            return
        try:
            callback(running)
        except Exception:
            log.exception("the generator-contact callback failed")

    def _close(self) -> None:
        try:
            self._input.close()
        finally:
            self.pin_factory.close()


class EmulatedGeneratorContact(GeneratorContact):
    """GeneratorContact on gpiozero's MockFactory, with a test control."""

    def set_generator_running(self, running: bool) -> None:
        """Close (``True``) or open (``False``) the transfer-switch contact."""
        pin = self.pin_factory.pin(self.contact_pin)
        closed_level_is_low = self.pull_up
        if running == closed_level_is_low:
            pin.drive_low()
        else:
            pin.drive_high()
