"""The abstract device every backend derives from.

A backend must override :meth:`Device.self_test`; it may override :meth:`_close`
to release its resources. ``close()`` is idempotent and every device is a context
manager. Every call that talks to hardware must be bounded by a timeout and raise
:class:`hardware.errors.DeviceTimeout` instead of hanging.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class SelfTestResult:
    """One line of ``rekam-hw selftest``: which device, whether it works, and why not."""

    device: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"device": self.device, "ok": self.ok, "detail": self.detail}


class Device(ABC):
    """Base of every device backend."""

    name: str = "device"

    def __init__(self) -> None:
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @abstractmethod
    def self_test(self) -> SelfTestResult:
        """Check the device answers and report what it says about itself. Never raises."""

    def _close(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Release resources. Called once by :meth:`close`."""

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
