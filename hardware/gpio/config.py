"""Configuration of the GPIO devices (BCM pin numbers) and the functions that open them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hardware.gpio.booth import BoothGpio, EmulatedBoothGpio
from hardware.gpio.factory import RealFactoryName, mock_pin_factory, real_pin_factory
from hardware.gpio.generator import EmulatedGeneratorContact, GeneratorContact

BcmPin = Annotated[int, Field(ge=0, le=27)]


class _RealHeader(BaseModel):
    """Fields of a signal on the Pi's real header (mixed in before its pins)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["real"] = Field("real", description="Drive the Pi's real GPIO pins.")
    pin_factory: RealFactoryName = Field(
        "default", description="gpiozero pin library; default tries lgpio first, like gpiozero."
    )

    def open_pin_factory(self, device: str) -> Any:
        return real_pin_factory(self.pin_factory, device=device)


class _MockHeader(BaseModel):
    """Fields of a signal on gpiozero's MockFactory (mixed in before its pins)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["emulated"] = Field("emulated", description="Use gpiozero's MockFactory.")
    mock_revision: str = Field(
        "d04170", pattern=r"^[0-9a-fA-F]{6,8}$", description="Pi board revision to mimic (hex)."
    )

    def open_pin_factory(self, device: str) -> Any:
        return mock_pin_factory(self.mock_revision)


class BoothGpioPins(BaseModel):
    """Which BCM pin each booth signal uses."""

    model_config = ConfigDict(extra="forbid")

    green_led_pin: BcmPin = Field(17, description="BCM pin of the green status LED.")
    red_led_pin: BcmPin = Field(27, description="BCM pin of the red status LED.")
    buzzer_pin: BcmPin = Field(22, description="BCM pin of the (active) buzzer.")
    call_button_pin: BcmPin = Field(
        23, description="BCM pin of the operator call button (wired to ground)."
    )
    call_button_bounce_s: float | None = Field(
        0.05, gt=0, description="Debounce time of the call button in seconds (None: off)."
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


class GeneratorContactPins(BaseModel):
    """Where and how the transfer switch's generator contact is wired."""

    model_config = ConfigDict(extra="forbid")

    contact_pin: BcmPin = Field(24, description="BCM pin of the generator-feeding contact.")
    pull_up: bool = Field(
        True, description="Contact wired to ground with the internal pull-up (closed reads low)."
    )
    bounce_s: float | None = Field(
        0.2, gt=0, description="Debounce time of the contact in seconds (None: off)."
    )


class RealGeneratorContactConfig(_RealHeader, GeneratorContactPins):
    """The generator contact on the edge controller's real GPIO header."""

    backend: Literal["real"] = Field("real", description="Read the Pi's real GPIO pin.")


class EmulatedGeneratorContactConfig(_MockHeader, GeneratorContactPins):
    """The generator contact on gpiozero's MockFactory."""


GeneratorContactConfig = Annotated[
    RealGeneratorContactConfig | EmulatedGeneratorContactConfig, Field(discriminator="backend")
]


@contextmanager
def _closed_on_failure(factory: Any) -> Iterator[None]:
    """Release the pin factory when claiming the pins fails, whatever the failure."""
    try:
        yield
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
    factory = config.open_pin_factory("gpio")
    with _closed_on_failure(factory):
        return kind(
            factory,
            green_led_pin=config.green_led_pin,
            red_led_pin=config.red_led_pin,
            buzzer_pin=config.buzzer_pin,
            call_button_pin=config.call_button_pin,
            call_button_bounce_s=config.call_button_bounce_s,
            on_call_button=on_call_button,
        )


def open_generator_contact(
    config: RealGeneratorContactConfig | EmulatedGeneratorContactConfig,
    *,
    on_change: Callable[[bool], None] | None = None,
) -> GeneratorContact:
    """Claim the generator contact's pin (DeviceUnavailable if impossible)."""
    emulated = isinstance(config, EmulatedGeneratorContactConfig)
    kind = EmulatedGeneratorContact if emulated else GeneratorContact
    factory = config.open_pin_factory("generator")
    with _closed_on_failure(factory):
        return kind(
            factory,
            contact_pin=config.contact_pin,
            pull_up=config.pull_up,
            bounce_s=config.bounce_s,
            on_change=on_change,
        )
