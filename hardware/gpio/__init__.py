"""GPIO through gpiozero: the booth's LEDs, buzzer and call button, and the generator contact.

Every gpiozero device gets its pin factory passed explicitly (``pin_factory=``): the
real backend opens lgpio (or another Pi library), the emulated one gpiozero's MockFactory.
"""

from hardware.gpio.booth import LED_PATTERNS, BoothGpio, BoothState, EmulatedBoothGpio, LedMode
from hardware.gpio.config import (
    BoothGpioConfig,
    EmulatedBoothGpioConfig,
    EmulatedGeneratorContactConfig,
    GeneratorContactConfig,
    RealBoothGpioConfig,
    RealGeneratorContactConfig,
    open_booth_gpio,
    open_generator_contact,
)
from hardware.gpio.generator import EmulatedGeneratorContact, GeneratorContact

__all__ = [
    "LED_PATTERNS",
    "BoothGpio",
    "BoothGpioConfig",
    "BoothState",
    "EmulatedBoothGpio",
    "EmulatedBoothGpioConfig",
    "EmulatedGeneratorContact",
    "EmulatedGeneratorContactConfig",
    "GeneratorContact",
    "GeneratorContactConfig",
    "LedMode",
    "RealBoothGpioConfig",
    "RealGeneratorContactConfig",
    "open_booth_gpio",
    "open_generator_contact",
]
