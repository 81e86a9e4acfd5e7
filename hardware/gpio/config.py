"""Configuration of the GPIO devices (BCM pin numbers) and the functions that open them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import BaseModel, Field, model_validator

from hardware.config_types import ConfigSection, Duration
from hardware.gpio.booth import BoothGpio, EmulatedBoothGpio
from hardware.gpio.factory import RealFactoryName, mock_pin_factory, real_pin_factory
from hardware.gpio.generator import EmulatedGeneratorContact, GeneratorContact

BcmPin = Annotated[int, Field(ge=0, le=27)]
Device = TypeVar("Device")


class _RealHeader(ConfigSection):
    """Fields of a signal on the Pi's real header (mixed in before its pins)."""

    backend: Literal["real"] = Field("real", description="Drive the Pi's real GPIO pins.")
    pin_factory: RealFactoryName = Field(
        "default", description="gpiozero pin library; default tries lgpio first, like gpiozero."
    )

    def open_pin_factory(self, device: str) -> Any:
        return real_pin_factory(self.pin_factory, device=device)


class _MockHeader(ConfigSection):
    """Fields of a signal on gpiozero's MockFactory (mixed in before its pins)."""

    backend: Literal["emulated"] = Field("emulated", description="Use gpiozero's MockFactory.")
    mock_revision: str = Field(
        "d04170", pattern=r"^[0-9a-fA-F]{6,8}$", description="Pi board revision to mimic (hex)."
    )

    def open_pin_factory(self, device: str) -> Any:
        return mock_pin_factory(self.mock_revision)


class BoothGpioPins(ConfigSection):
    """Which BCM pin each booth signal uses."""

    green_led_pin: BcmPin = Field(17, description="BCM pin of the green status LED.")
    red_led_pin: BcmPin = Field(27, description="BCM pin of the red status LED.")
    buzzer_pin: BcmPin = Field(22, description="BCM pin of the (active) buzzer.")
    call_button_pin: BcmPin = Field(
        23, description="BCM pin of the operator call button (wired to ground)."
    )
    call_button_bounce_s: Duration | None = Field(
        0.05, description="Debounce time of the call button in seconds (None: off)."
    )

    @model_validator(mode="after")
    def _pins_are_distinct(self) -> Self:
        pins = [self.green_led_pin, self.red_led_pin, self.buzzer_pin, self.call_button_pin]
        if len(set(pins)) != len(pins):
            raise ValueError("each booth GPIO signal needs its own pin")
        return self


class RealBoothGpioConfig(_RealHeader, BoothGpioPins):
    """The booth's GPIO on the Raspberry Pi's header."""


class EmulatedBoothGpioConfig(_MockHeader, BoothGpioPins):
    """The booth's GPIO on gpiozero's MockFactory."""


BoothGpioConfig = Annotated[
    RealBoothGpioConfig | EmulatedBoothGpioConfig, Field(discriminator="backend")
]


class GeneratorContactPins(ConfigSection):
    """Where and how the transfer switch's generator contact is wired."""

    contact_pin: BcmPin = Field(24, description="BCM pin of the generator-feeding contact.")
    pull_up: bool = Field(
        True, description="Contact wired to ground with the internal pull-up (closed reads low)."
    )
    bounce_s: Duration | None = Field(
        0.2, description="Debounce time of the contact in seconds (None: off)."
    )


class RealGeneratorContactConfig(_RealHeader, GeneratorContactPins):
    """The generator contact on the edge controller's real GPIO header."""

    backend: Literal["real"] = Field("real", description="Read the Pi's real GPIO pin.")


class EmulatedGeneratorContactConfig(_MockHeader, GeneratorContactPins):
    """The generator contact on gpiozero's MockFactory."""


GeneratorContactConfig = Annotated[
    RealGeneratorContactConfig | EmulatedGeneratorContactConfig, Field(discriminator="backend")
]


def _claim_pins(
    config: _RealHeader | _MockHeader,
    device: str,
    kind: Callable[..., Device],
    pins: type[BaseModel],
    **callbacks: Any,
) -> Device:
    """Open the configured pin factory and build ``kind`` on it with the ``pins`` model's
    fields as keyword arguments; the factory is released if claiming the pins fails."""
    factory = config.open_pin_factory(device)
    try:
        return kind(factory, **config.model_dump(include=set(pins.model_fields)), **callbacks)
    except BaseException:
        factory.close()
        raise


def open_booth_gpio(
    config: RealBoothGpioConfig | EmulatedBoothGpioConfig,
    *,
    on_call_button: Callable[[], None] | None = None,
) -> BoothGpio:
    """Claim the booth's pins on the configured factory (DeviceUnavailable if impossible)."""
    kind = EmulatedBoothGpio if isinstance(config, EmulatedBoothGpioConfig) else BoothGpio
    return _claim_pins(config, "gpio", kind, BoothGpioPins, on_call_button=on_call_button)


def open_generator_contact(
    config: RealGeneratorContactConfig | EmulatedGeneratorContactConfig,
    *,
    on_change: Callable[[bool], None] | None = None,
) -> GeneratorContact:
    """Claim the generator contact's pin (DeviceUnavailable if impossible)."""
    emulated = isinstance(config, EmulatedGeneratorContactConfig)
    kind = EmulatedGeneratorContact if emulated else GeneratorContact
    return _claim_pins(config, "generator", kind, GeneratorContactPins, on_change=on_change)
