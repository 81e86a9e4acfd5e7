"""Run a blocking driver call on the camera's own thread, bounded by a timeout."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

from hardware.errors import DeviceTimeout

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
