"""Run one emulated device until SIGTERM or SIGINT, then stop all it started."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from hardware.emulate.devices import DeviceEntry
from hardware.errors import DeviceError

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop(stop: Callable[[], None]) -> int:
    try:
        stop()
    except DeviceError as err:
        print(f"rekam-hw: stopping: {err}", file=sys.stderr)
        return 1
    return 0


def run_emulated(entry: DeviceEntry, args: argparse.Namespace, *, out: TextIO = sys.stdout) -> int:
    """Start the device, print ``ready: …`` (one line), wait for a stop signal, stop it.

    Exit status 0 after a clean stop; 1 when the device cannot start or stop (the
    reason goes to stderr as one line). Must run on the main thread (signal handlers).
    """
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in _STOP_SIGNALS}
    try:
        try:
            service = entry.start(args)
        except (DeviceError, ValueError) as err:
            print(f"rekam-hw: {err}", file=sys.stderr)
            return 1
        try:
            if not stopping.is_set():  # a signal during the start: stop at once
                print(f"ready: {service.ready}", file=out, flush=True)
                stopping.wait()
        finally:
            status = _stop(service.stop)
        return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
