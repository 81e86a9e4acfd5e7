"""The booth's GPIO: a green and a red status LED, a buzzer and the operator call button.

:class:`BoothGpio` drives real gpiozero devices on whatever pin factory it is given;
:class:`EmulatedBoothGpio` runs on gpiozero's MockFactory and adds test controls.
Callbacks run in gpiozero's event thread: hand work to your own loop from there
(``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from gpiozero import LED, Button, Buzzer

from hardware.base import Device, SelfTestResult
from hardware.errors import DeviceUnavailable

log = logging.getLogger(__name__)

BoothState = Literal["ready", "busy", "error", "offline"]
LedMode = Literal["on", "off", "blinking"]

#: What the LEDs show for each booth state: (green, red).
LED_PATTERNS: dict[str, tuple[LedMode, LedMode]] = {
    "ready": ("on", "off"),
    "busy": ("blinking", "off"),
    "error": ("off", "on"),
    "offline": ("off", "blinking"),
}
BLINK_SECONDS = 0.5


class BoothGpio(Device):
    """Status LEDs, buzzer and call button of one booth, on the given pin factory.

    It owns ``pin_factory`` and closes it on :meth:`close`. Subclasses may add test
    controls; they must not reach past ``pin_factory``.
    """

    name = "gpio"

    def __init__(
        self,
        pin_factory: Any,
        *,
        green_led_pin: int,
        red_led_pin: int,
        buzzer_pin: int,
        call_button_pin: int,
        call_button_bounce_s: float | None = 0.05,
        on_call_button: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.pin_factory = pin_factory
        self.pins = {
            "green_led": green_led_pin,
            "red_led": red_led_pin,
            "buzzer": buzzer_pin,
            "call_button": call_button_pin,
        }
        self._on_call_button = on_call_button
        self._shown_state: BoothState | None = None
        self._modes: dict[str, LedMode] = {"green": "off", "red": "off"}
        self._devices: list[Any] = []
        try:
            self.green_led = self._claim(LED, green_led_pin)
            self.red_led = self._claim(LED, red_led_pin)
            self.buzzer = self._claim(Buzzer, buzzer_pin)
            self.call_button = self._claim(
                Button, call_button_pin, pull_up=True, bounce_time=call_button_bounce_s
            )
        except Exception as err:
            self._release_devices()
            raise DeviceUnavailable(
                f"cannot claim the booth's GPIO pins: {err}", device="gpio"
            ) from err
        self.call_button.when_pressed = self._call_button_pressed

    # -- the booth's view ----------------------------------------------------------------

    def show_state(self, state: BoothState) -> None:
        """Show ``ready`` (green), ``busy`` (green blinking), ``error`` (red) or
        ``offline`` (red blinking)."""
        if state not in LED_PATTERNS:
            raise ValueError(f"unknown booth state {state!r}")
        green, red = LED_PATTERNS[state]
        self._set_led(self.green_led, "green", green)
        self._set_led(self.red_led, "red", red)
        self._shown_state = state

    def show_leds(self, green: LedMode, red: LedMode) -> None:
        """Set each LED to ``on``, ``off`` or ``blinking``; an LED already so is left as
        it is (a blink keeps its rhythm). ``shown_state`` no longer applies."""
        for led, colour, mode in ((self.green_led, "green", green), (self.red_led, "red", red)):
            if mode not in ("on", "off", "blinking"):
                raise ValueError(f"unknown LED mode {mode!r}")
            if self._modes[colour] != mode:
                self._set_led(led, colour, mode)
        self._shown_state = None

    @property
    def shown_state(self) -> BoothState | None:
        return self._shown_state

    def led_modes(self) -> dict[str, LedMode]:
        """What each LED was told to do: ``{"green": "on", "red": "off"}``."""
        return dict(self._modes)

    def led_lit(self) -> dict[str, bool]:
        """Whether each LED is lit at this instant (a blinking LED alternates)."""
        return {"green": bool(self.green_led.is_lit), "red": bool(self.red_led.is_lit)}

    @property
    def buzzer_sounding(self) -> bool:
        return bool(self.buzzer.is_active)

    def beep(
        self, times: int = 1, *, on_time: float = 0.1, off_time: float = 0.1, wait: bool = False
    ) -> None:
        """Sound the buzzer ``times`` times; ``wait=True`` returns when it has finished."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self.buzzer.beep(on_time=on_time, off_time=off_time, n=times, background=not wait)

    def set_call_button_callback(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback()`` each time the operator presses the call button."""
        self._on_call_button = callback

    @property
    def call_button_pressed(self) -> bool:
        return bool(self.call_button.is_pressed)

    def self_test(self) -> SelfTestResult:
        if self.closed:
            return SelfTestResult(self.name, False, "GPIO devices are closed")
        claimed = ", ".join(f"{name} {pin}" for name, pin in self.pins.items())
        factory = type(self.pin_factory).__name__
        return SelfTestResult(self.name, True, f"pins claimed ({claimed}) via {factory}")

    # -- plumbing ----------------------------------------------------------------------------

    def _claim(self, kind: Any, pin: int, **options: Any) -> Any:
        device = kind(pin, pin_factory=self.pin_factory, **options)
        self._devices.append(device)
        return device

    def _set_led(self, led: Any, colour: str, mode: LedMode) -> None:
        if mode == "on":
            led.on()
        elif mode == "off":
            led.off()
        else:
            led.blink(on_time=BLINK_SECONDS, off_time=BLINK_SECONDS, background=True)
        self._modes[colour] = mode

    def _call_button_pressed(self) -> None:
        callback = self._on_call_button
        if callback is None:
            return
        try:
            callback()
        except Exception:
            log.exception("the call-button callback failed")

    def _release_devices(self) -> None:
        for device in reversed(self._devices):
            try:
                device.close()
            except Exception:
                log.exception("closing %r failed", device)
        self._devices.clear()

    def _close(self) -> None:
        self._release_devices()
        self.pin_factory.close()


class EmulatedBoothGpio(BoothGpio):
    """BoothGpio on gpiozero's MockFactory, with test controls."""

    def press_call_button(self) -> None:
        """Press and release the call button (the button pulls its pin low)."""
        pin = self.mock_pin("call_button")
        pin.drive_low()
        pin.drive_high()

    def mock_pin(self, signal: str) -> Any:
        """The MockPin behind ``green_led``, ``red_led``, ``buzzer`` or ``call_button``."""
        return self.pin_factory.pin(self.pins[signal])

    def pin_history(self, signal: str) -> list[bool]:
        """Every level the signal's pin has had, oldest first."""
        return [bool(state.state) for state in self.mock_pin(signal).states]
