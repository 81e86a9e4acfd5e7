"""Pin factories: the real ones a Raspberry Pi offers, and gpiozero's MockFactory.

Every gpiozero device of Rekam receives its factory as ``pin_factory=``; nothing sets
gpiozero's global ``Device.pin_factory``.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from gpiozero.pins.mock import MockFactory, MockPin

from hardware.errors import DeviceUnavailable

RealFactoryName = Literal["default", "lgpio", "rpigpio", "pigpio", "native"]

#: gpiozero's own order of preference when no factory is named.
_REAL_FACTORIES: dict[str, tuple[str, str]] = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
}


def real_pin_factory(name: RealFactoryName, *, device: str = "gpio") -> Any:
    """Open a real pin factory; ``"default"`` tries lgpio, RPi.GPIO, pigpio, native."""
    names = list(_REAL_FACTORIES) if name == "default" else [name]
    failures: list[str] = []
    last_error: Exception | None = None
    for candidate in names:
        module_name, class_name = _REAL_FACTORIES[candidate]
        try:
            module = importlib.import_module(module_name)
            return getattr(module, class_name)()
        except Exception as err:  # each library fails in its own way off a Pi
            failures.append(f"{candidate}: {type(err).__name__}")
            last_error = err
    raise DeviceUnavailable(
        "no GPIO pin factory could be opened (" + "; ".join(failures) + ")", device=device
    ) from last_error


def mock_pin_factory(revision: str) -> Any:
    """gpiozero's MockFactory pretending to be the Pi of ``revision`` (hex board code)."""
    return MockFactory(revision=revision, pin_class=MockPin)
