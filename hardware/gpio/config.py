"""Configuration of the GPIO devices (BCM pin numbers) and the functions that open them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hardware.gpio.booth import BoothGpio, EmulatedBoothGpio
from hardware.gpio.factory import RealFactoryName, mock_pin_factory, real_pin_factory
from hardware.gpio.generator import EmulatedGeneratorContact, GeneratorContact

BcmPin = Annotated[int, Field(ge=0, le=27)]


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


class RealBoothGpioConfig(BoothGpioPins):
    """The booth's GPIO on the Raspberry Pi's header."""

    backend: Literal["real"] = Field("real", description="Drive the Pi's real GPIO pins.")
    pin_factory: RealFactoryName = Field(
        "default", description="gpiozero pin library; default tries lgpio first, like gpiozero."
    )


class EmulatedBoothGpioConfig(BoothGpioPins):
    """The booth's GPIO on gpiozero's MockFactory."""

    backend: Literal["emulated"] = Field("emulated", description="Use gpiozero's MockFactory.")
    mock_revision: str = Field(
        "d04170", pattern=r"^[0-9a-fA-F]{6,8}$", description="Pi board revision to mimic (hex)."
    )


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


class RealGeneratorContactConfig(GeneratorContactPins):
    """The generator contact on the edge controller's real GPIO header."""

    backend: Literal["real"] = Field("real", description="Read the Pi's real GPIO pin.")
    pin_factory: RealFactoryName = Field(
        "default", description="gpiozero pin library; default tries lgpio first, like gpiozero."
    )


class EmulatedGeneratorContactConfig(GeneratorContactPins):
    """The generator contact on gpiozero's MockFactory."""

    backend: Literal["emulated"] = Field("emulated", description="Use gpiozero's MockFactory.")
    mock_revision: str = Field(
        "d04170", pattern=r"^[0-9a-fA-F]{6,8}$", description="Pi board revision to mimic (hex)."
    )


GeneratorContactConfig = Annotated[
    RealGeneratorContactConfig | EmulatedGeneratorContactConfig, Field(discriminator="backend")
]


def open_booth_gpio(
    config: RealBoothGpioConfig | EmulatedBoothGpioConfig,
    *,
    on_call_button: Callable[[], None] | None = None,
) -> BoothGpio:
    """Claim the booth's pins on the configured factory (DeviceUnavailable if impossible)."""
    if isinstance(config, EmulatedBoothGpioConfig):
        factory = mock_pin_factory(config.mock_revision)
        kind: type[BoothGpio] = EmulatedBoothGpio
    else:
        factory = real_pin_factory(config.pin_factory, device="gpio")
        kind = BoothGpio
    try:
        return kind(
            factory,
            green_led_pin=config.green_led_pin,
            red_led_pin=config.red_led_pin,
            buzzer_pin=config.buzzer_pin,
            call_button_pin=config.call_button_pin,
            call_button_bounce_s=config.call_button_bounce_s,
            on_call_button=on_call_button,
        )
    except BaseException:
        factory.close()
        raise


def open_generator_contact(
    config: RealGeneratorContactConfig | EmulatedGeneratorContactConfig,
    *,
    on_change: Callable[[bool], None] | None = None,
) -> GeneratorContact:
    """Claim the generator contact's pin (DeviceUnavailable if impossible)."""
    if isinstance(config, EmulatedGeneratorContactConfig):
        factory = mock_pin_factory(config.mock_revision)
        kind: type[GeneratorContact] = EmulatedGeneratorContact
    else:
        factory = real_pin_factory(config.pin_factory, device="generator")
        kind = GeneratorContact
    try:
        return kind(
            factory,
            contact_pin=config.contact_pin,
            pull_up=config.pull_up,
            bounce_s=config.bounce_s,
            on_change=on_change,
        )
    except BaseException:
        factory.close()
        raise
