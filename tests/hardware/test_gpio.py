"""Booth LEDs, buzzer, call button and the generator contact on gpiozero's MockFactory."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from hardware.errors import DeviceUnavailable
from hardware.gpio import (
    BoothGpioConfig,
    EmulatedBoothGpio,
    EmulatedBoothGpioConfig,
    EmulatedGeneratorContact,
    EmulatedGeneratorContactConfig,
    GeneratorContactConfig,
    RealBoothGpioConfig,
    RealGeneratorContactConfig,
    open_booth_gpio,
    open_generator_contact,
)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def toggles(history: list[bool]) -> int:
    return sum(1 for before, after in itertools.pairwise(history) if before != after)


@pytest.fixture
def booth() -> Iterator[EmulatedBoothGpio]:
    gpio = open_booth_gpio(EmulatedBoothGpioConfig())
    assert isinstance(gpio, EmulatedBoothGpio)
    with gpio:
        yield gpio


@pytest.fixture
def generator() -> Iterator[EmulatedGeneratorContact]:
    contact = open_generator_contact(EmulatedGeneratorContactConfig())
    assert isinstance(contact, EmulatedGeneratorContact)
    with contact:
        yield contact


@pytest.mark.parametrize(
    ("state", "green", "red"), [("ready", True, False), ("error", False, True)]
)
def test_steady_states_light_the_right_led(
    booth: EmulatedBoothGpio, state: str, green: bool, red: bool
) -> None:
    booth.show_state(state)  # type: ignore[arg-type]
    assert booth.mock_pin("green_led").state == green
    assert booth.mock_pin("red_led").state == red
    assert booth.led_lit() == {"green": green, "red": red}
    assert booth.shown_state == state


@pytest.mark.parametrize(
    ("state", "blinking", "dark"),
    [("busy", "green_led", "red_led"), ("offline", "red_led", "green_led")],
)
def test_busy_and_offline_blink_one_led(
    booth: EmulatedBoothGpio, state: str, blinking: str, dark: str
) -> None:
    booth.show_state(state)  # type: ignore[arg-type]
    assert wait_until(lambda: toggles(booth.pin_history(blinking)) >= 3)
    assert not booth.mock_pin(dark).state
    assert booth.led_modes()[blinking.removesuffix("_led")] == "blinking"


def test_leaving_busy_stops_the_blinking(booth: EmulatedBoothGpio) -> None:
    booth.show_state("busy")
    assert wait_until(lambda: toggles(booth.pin_history("green_led")) >= 2)
    booth.show_state("ready")
    settled = len(booth.pin_history("green_led"))
    time.sleep(1.2)  # longer than a blink period: a still-running blink would toggle
    assert len(booth.pin_history("green_led")) == settled
    assert booth.mock_pin("green_led").state is True


def test_unknown_state_is_refused(booth: EmulatedBoothGpio) -> None:
    with pytest.raises(ValueError, match="unknown booth state"):
        booth.show_state("party")  # type: ignore[arg-type]


def test_beep_pattern_sounds_the_buzzer_n_times(booth: EmulatedBoothGpio) -> None:
    booth.beep(3, on_time=0.01, off_time=0.01, wait=True)
    assert booth.pin_history("buzzer") == [False, True, False, True, False, True, False]
    assert not booth.buzzer_sounding


def test_background_beep_returns_and_finishes(booth: EmulatedBoothGpio) -> None:
    booth.beep(1, on_time=0.05)
    assert wait_until(lambda: booth.pin_history("buzzer") == [False, True, False])


def test_call_button_fires_the_callback_once_per_press() -> None:
    presses: list[str] = []
    gpio = open_booth_gpio(
        EmulatedBoothGpioConfig(call_button_bounce_s=None),
        on_call_button=lambda: presses.append("call"),
    )
    assert isinstance(gpio, EmulatedBoothGpio)
    with gpio:
        gpio.press_call_button()
        assert wait_until(lambda: presses == ["call"])
        gpio.press_call_button()
        assert wait_until(lambda: presses == ["call", "call"])
        assert not gpio.call_button_pressed


def test_a_failing_callback_does_not_break_the_button(booth: EmulatedBoothGpio) -> None:
    presses: list[int] = []

    def flaky() -> None:
        presses.append(1)
        if len(presses) == 1:
            raise RuntimeError("kiosk busy")

    booth.set_call_button_callback(flaky)
    booth.press_call_button()
    booth.press_call_button()
    assert wait_until(lambda: len(presses) == 2)


def test_self_test_names_the_claimed_pins(booth: EmulatedBoothGpio) -> None:
    result = booth.self_test()
    assert result.ok
    assert "call_button 23" in result.detail
    booth.close()
    booth.close()
    assert not booth.self_test().ok


def test_generator_contact_changes_fire_callbacks(generator: EmulatedGeneratorContact) -> None:
    seen: list[bool] = []
    generator.set_change_callback(seen.append)
    assert not generator.is_running
    generator.set_generator_running(True)
    assert wait_until(lambda: seen == [True])
    assert generator.is_running
    generator.set_generator_running(True)  # no change, no event
    generator.set_generator_running(False)
    assert wait_until(lambda: seen == [True, False])
    assert not generator.is_running
    assert "generator off" in generator.self_test().detail


def test_generator_contact_wired_active_high() -> None:
    seen: list[bool] = []
    contact = open_generator_contact(
        EmulatedGeneratorContactConfig(contact_pin=5, pull_up=False), on_change=seen.append
    )
    assert isinstance(contact, EmulatedGeneratorContact)
    with contact:
        contact.set_generator_running(True)
        assert wait_until(lambda: seen == [True])
        assert contact.pin_factory.pin(5).state is True


def test_configs_pick_backends_and_reject_shared_pins() -> None:
    booth_adapter: TypeAdapter[object] = TypeAdapter(BoothGpioConfig)
    assert isinstance(booth_adapter.validate_python({"backend": "real"}), RealBoothGpioConfig)
    assert isinstance(
        booth_adapter.validate_python({"backend": "emulated", "buzzer_pin": 5}),
        EmulatedBoothGpioConfig,
    )
    with pytest.raises(ValidationError, match="its own pin"):
        booth_adapter.validate_python({"backend": "emulated", "red_led_pin": 17})
    with pytest.raises(ValidationError):
        booth_adapter.validate_python({"backend": "emulated", "buzzer_pin": 40})
    contact_adapter: TypeAdapter[object] = TypeAdapter(GeneratorContactConfig)
    assert isinstance(
        contact_adapter.validate_python({"backend": "real", "contact_pin": 6}),
        RealGeneratorContactConfig,
    )


@pytest.mark.skipif(
    Path("/proc/device-tree/model").exists()
    and "Raspberry" in Path("/proc/device-tree/model").read_text(errors="replace"),
    reason="on a Raspberry Pi the real pins exist",
)
def test_real_backend_off_a_pi_says_no_gpio_is_available() -> None:
    with pytest.raises(DeviceUnavailable, match="no GPIO pin factory") as caught:
        open_booth_gpio(RealBoothGpioConfig())
    assert caught.value.__cause__ is not None
    with pytest.raises(DeviceUnavailable):
        open_generator_contact(RealGeneratorContactConfig(pin_factory="lgpio"))
