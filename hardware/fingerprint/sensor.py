"""The fingerprint sensor as the rest of Rekam sees it.

:class:`FingerprintSensor` does the work a booth needs (wait for a finger, enroll one
finger from two impressions, compare two templates, search the sensor's library) in
terms of a few primitive operations on an R30x-style sensor: take an image, turn it
into a template in char buffer 1 or 2, match the two buffers, make a model, move a
buffer to and from the host, search and store.

A backend must override the primitives ``_take_image``, ``_image_to_buffer``,
``_match_buffers``, ``_create_model``, ``_read_buffer``, ``_write_buffer``,
``_search_buffer``, ``_store_buffer`` and ``_load_buffer``, plus ``template_count``, ``parameters``,
``delete``, ``clear_library`` and ``self_test``. It may override ``set_led`` (the base
has no light) and ``_close``. Every primitive must be bounded by a timeout and raise
only :class:`hardware.errors.DeviceError` subclasses.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from hardware.base import Device
from hardware.errors import CaptureError, DeviceTimeout

EnrollStep = Literal["place", "lift", "place_again", "processing"]
ENROLL_STEPS: tuple[EnrollStep, ...] = ("place", "lift", "place_again", "processing")
LedColor = Literal["red", "blue", "purple"]
LedMode = Literal["breathe", "flash", "on", "off"]


@dataclass(frozen=True)
class EnrolledFinger:
    """One enrolled finger: the sensor's template and its quality (0-100)."""

    template: bytes = field(repr=False)
    quality: int


class FingerTimeout(DeviceTimeout):
    """The sensor works, but no finger was placed (or lifted) in the time allowed."""


class FingerprintSensor(Device):
    """Abstract fingerprint sensor with two char buffers and a template library."""

    name = "fingerprint"
    full_quality_score = 300
    """The match score between two impressions that counts as quality 100."""

    def __init__(self, *, match_threshold: int = 50, poll_interval: float = 0.05) -> None:
        super().__init__()
        self.match_threshold = match_threshold
        self.poll_interval = poll_interval
        self._lock = threading.RLock()

    # ---- what a booth calls -------------------------------------------------------

    def wait_for_finger(self, timeout: float) -> None:
        """Return once a finger is on the glass and its image taken; FingerTimeout if none."""
        with self._lock:
            self._poll(self._take_image, timeout, "No finger was placed")

    def wait_for_lift(self, timeout: float) -> None:
        """Return once the glass is empty; FingerTimeout if the finger stays."""
        with self._lock:
            self._poll(lambda: not self._take_image(), timeout, "The finger was not lifted")

    def capture_impression(self, slot: Literal[1, 2], timeout: float) -> None:
        """Wait for a finger, take its image and turn it into a template in buffer ``slot``.

        Raises CaptureError when the image is unusable (messy, too few features).
        """
        if slot not in (1, 2):
            raise ValueError("slot must be 1 or 2")
        with self._lock:
            self.wait_for_finger(timeout)
            self._image_to_buffer(slot)

    def capture_template(self, timeout: float) -> bytes:
        """One impression of the finger on the glass, as a template (to verify someone)."""
        with self._lock:
            self.capture_impression(1, timeout)
            return self._read_buffer(1)

    def enroll_finger(
        self, on_step: Callable[[str], None] | None = None, timeout: float = 20.0
    ) -> EnrolledFinger:
        """Enroll the finger on the glass: place, lift, place again, then make the model.

        ``on_step`` is called with ``"place"``, ``"lift"``, ``"place_again"`` and
        ``"processing"`` as each step starts, so a screen can prompt. ``timeout`` bounds
        each wait for the finger. The quality comes from the match score between the
        two impressions. CaptureError when an image is unusable or the impressions do
        not match; FingerTimeout when nobody places or lifts the finger in time.
        """

        def step(name: EnrollStep) -> None:
            if on_step is not None:
                on_step(name)

        with self._lock:
            step("place")
            self.capture_impression(1, timeout)
            step("lift")
            self.wait_for_lift(timeout)
            step("place_again")
            self.capture_impression(2, timeout)
            step("processing")
            score = self._match_buffers()
            if not self.is_match(score):
                raise CaptureError(
                    "The two impressions do not match: place the same finger again.",
                    device=self.name,
                )
            self._create_model()
            return EnrolledFinger(self._read_buffer(1), self.quality_from_score(score))

    def compare(self, template_a: bytes, template_b: bytes) -> int:
        """The sensor's match score between two templates; 0 when they do not match."""
        with self._lock:
            self._write_buffer(1, _checked(template_a))
            self._write_buffer(2, _checked(template_b))
            return self._match_buffers()

    def is_match(self, score: int) -> bool:
        return score >= self.match_threshold

    def quality_from_score(self, score: int) -> int:
        return max(0, min(100, round(score * 100 / self.full_quality_score)))

    def search_library(self, template: bytes) -> int | None:
        """The library location holding a template that matches, or None."""
        with self._lock:
            self._write_buffer(1, _checked(template))
            hit = self._search_buffer(1)
            return None if hit is None else hit[0]

    def store(self, template: bytes, location: int) -> None:
        """Save a template in the sensor's library at ``location`` (0-based)."""
        if location < 0:
            raise ValueError("location must not be negative")
        with self._lock:
            self._write_buffer(1, _checked(template))
            self._store_buffer(1, location)

    def load(self, location: int) -> bytes:
        """The template saved in the sensor's library at ``location``."""
        if location < 0:
            raise ValueError("location must not be negative")
        with self._lock:
            self._load_buffer(1, location)
            return self._read_buffer(1)

    def set_led(self, color: LedColor, mode: LedMode) -> bool:
        """Light the sensor's ring if it has one; False when it has none."""
        return False

    # ---- what a backend provides --------------------------------------------------

    @abstractmethod
    def _take_image(self) -> bool:
        """Take an image: True if a finger was imaged, False if the glass is empty."""

    @abstractmethod
    def _image_to_buffer(self, slot: int) -> None:
        """Turn the last image into a template in char buffer ``slot``; CaptureError if unusable."""

    @abstractmethod
    def _match_buffers(self) -> int:
        """Match char buffers 1 and 2: the score, or 0 when they do not match."""

    @abstractmethod
    def _create_model(self) -> None:
        """Combine buffers 1 and 2 into a model (left in buffer 1); CaptureError on mismatch."""

    @abstractmethod
    def _read_buffer(self, slot: int) -> bytes:
        """Upload the template in char buffer ``slot`` to the host."""

    @abstractmethod
    def _write_buffer(self, slot: int, template: bytes) -> None:
        """Download a template from the host into char buffer ``slot``."""

    @abstractmethod
    def _search_buffer(self, slot: int) -> tuple[int, int] | None:
        """Search the library for buffer ``slot``: (location, score), or None."""

    @abstractmethod
    def _store_buffer(self, slot: int, location: int) -> None:
        """Save char buffer ``slot`` in the library at ``location``."""

    @abstractmethod
    def _load_buffer(self, slot: int, location: int) -> None:
        """Copy the library template at ``location`` into char buffer ``slot``."""

    @abstractmethod
    def template_count(self) -> int:
        """How many templates the library holds."""

    @abstractmethod
    def parameters(self) -> dict[str, int | str]:
        """The sensor's system parameters (library size, security level, ...)."""

    @abstractmethod
    def delete(self, location: int) -> None:
        """Remove the template at ``location`` from the library."""

    @abstractmethod
    def clear_library(self) -> None:
        """Remove every template from the library."""

    # ---- helpers ------------------------------------------------------------------

    def _poll(self, done: Callable[[], bool], timeout: float, failure: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                raise FingerTimeout(f"{failure} within {timeout:g} s.", device=self.name)
            time.sleep(self.poll_interval)


def _checked(template: bytes) -> bytes:
    if not isinstance(template, bytes | bytearray) or not template:
        raise ValueError("a template must be non-empty bytes")
    return bytes(template)
