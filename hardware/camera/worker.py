"""Run a blocking driver call on the camera's own thread, bounded by a timeout; the base
of the real cameras, whose every library call runs there."""

from __future__ import annotations

import concurrent.futures
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from hardware.camera.base import DEVICE, Camera
from hardware.errors import DeviceTimeout, DeviceUnavailable

T = TypeVar("T")


class DeviceWorker:
    """One worker thread per camera: driver calls (which may block forever) run there.

    When a call times out it keeps running on the worker; later calls fail fast with
    DeviceTimeout until it returns, instead of piling up behind it.
    """

    def __init__(self, device: str, thread_name: str) -> None:
        self._device = device
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=thread_name)
        self._stuck: concurrent.futures.Future[object] | None = None

    def run(self, call: Callable[[], T], timeout: float, what: str) -> T:
        if self._stuck is not None and not self._stuck.done():
            raise DeviceTimeout(
                f"{what}: the {self._device} is stuck in an earlier call", device=self._device
            )
        future = self._pool.submit(call)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as err:
            self._stuck = future  # type: ignore[assignment]
            raise DeviceTimeout(
                f"{what}: no answer from the {self._device} within {timeout:g} s",
                device=self._device,
            ) from err

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class WorkerCamera(Camera):
    """A real camera: its library's camera object is opened by :meth:`_open`, and every
    call into the library runs on the camera's :class:`DeviceWorker` under a timeout."""

    def __init__(
        self,
        thread_name: str,
        *,
        size: tuple[int, int],
        read_timeout: float,
        open_timeout: float,
    ) -> None:
        super().__init__(read_timeout=read_timeout, size=size)
        self._open_timeout = open_timeout
        self._opened: Any = None
        self._worker = DeviceWorker(DEVICE, thread_name)

    @abstractmethod
    def _open(self) -> Any:
        """Open the library's camera (runs on the worker); DeviceUnavailable if it cannot."""

    @property
    def started(self) -> bool:
        return self._opened is not None

    def start(self) -> None:
        if self._opened is None:
            self._opened = self._worker.run(self._open, self._open_timeout, "opening the camera")

    def _started_camera(self, timeout: float | None) -> tuple[Any, float]:
        """The opened camera and how long a read may wait; DeviceUnavailable if not started."""
        opened = self._opened
        if opened is None:
            raise DeviceUnavailable("the camera is not started", device=DEVICE)
        return opened, self.read_timeout if timeout is None else timeout

    def _close(self) -> None:
        super()._close()
        self._worker.shutdown()
