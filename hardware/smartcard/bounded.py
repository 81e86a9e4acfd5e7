"""Run a blocking driver call with a deadline.

PC/SC calls such as ``SCardTransmit`` have no timeout of their own: a card that
stops answering would block the caller for ever. :func:`call_with_timeout` runs
the call in a daemon thread and raises :class:`DeviceTimeout` when the deadline
passes; the stuck thread is abandoned (the caller must then drop the PC/SC
context it was using, see ``PcscLink``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from hardware.errors import DeviceTimeout

T = TypeVar("T")


def call_with_timeout(call: Callable[[], T], timeout: float, *, what: str) -> T:
    """Return ``call()``, or raise DeviceTimeout("... did not finish ...") after ``timeout`` s."""
    outcome: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:
            outcome["error"] = err
        finally:
            done.set()

    threading.Thread(target=run, name=f"bounded:{what}", daemon=True).start()
    if not done.wait(timeout):
        raise DeviceTimeout(
            f"The card reader did not finish {what} within {timeout:g} seconds.",
            device="smartcard",
        )
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    return outcome["value"]  # type: ignore[return-value]
