"""``rekam-hw emulate DEVICE``: one emulated device on its own, for a technician or a tool.

Each device starts the way the test suite starts it (a pty sensor, a card in pcscd's
vpcd reader, a real upsd + dummy-ups, a camera stream), prints one ``ready: …`` line
that says where to reach it, and runs until SIGTERM or SIGINT; then it stops all it
started. :func:`~hardware.emulate.runner.run_emulated` is the entry point;
:mod:`hardware.emulate.devices` starts each device; :mod:`hardware.emulate.cards`
is the registry of cards ``emulate smartcard --card NAME`` can hold.
"""

from hardware.emulate.devices import DEVICES, EmulatedService
from hardware.emulate.runner import run_emulated

__all__ = ["DEVICES", "EmulatedService", "run_emulated"]
