"""What the screens need beyond the flows: the app as the screens see it, and a live
camera preview for the photo step.

The screens never import the app (``kiosk.ui.app`` imports them): they reach the running
app through :class:`ScreenHost`, the part of ``KioskApp`` they use. Nothing here imports
Kivy or any module of ``kiosk.ui`` that does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from kiosk.flow.capture import CaptureFlow
from kiosk.flow.checkin import CheckInFlow
from kiosk.handover import HandoverFlow
from kiosk.photo.quality import Assessment
from kiosk.training.session import TrainingDesk
from kiosk.voice import Speaker

T = TypeVar("T")


class FramePreview(Protocol):
    """The newest camera frame for the live preview, never blocking.

    Returns an RGB ``numpy.ndarray`` (height × width × 3, uint8), or None when no frame
    has arrived yet. Called from the UI thread about ten times a second, so it must
    return at once (the camera fills a buffer from its own thread).
    """

    def latest_frame(self) -> Any | None: ...


class PhotoGuide(Protocol):
    """Live photo guidance (``kiosk.photo.live.LiveGuide``): judges the newest preview
    frame on its own thread between :meth:`start` and :meth:`stop`."""

    def start(self, required_background: Any) -> None: ...

    def stop(self) -> None: ...

    def latest(self) -> Assessment | None:
        """The newest verdict (None before the first); returns at once."""


class TrainingSwitch(Protocol):
    """Practice sessions on this booth (``kiosk.ui.screens.training.TrainingMode``)."""

    @property
    def desk(self) -> TrainingDesk: ...

    def log_in(
        self, app: ScreenHost, pin: str, on_error: Callable[[BaseException], None]
    ) -> None: ...

    def finish(self, app: ScreenHost) -> None: ...

    def close_result(self, app: ScreenHost) -> None: ...


class ScreenHost(Protocol):
    """The running app as the screens use it (``kiosk.ui.app.KioskApp`` is one)."""

    lang: str
    scale: float
    side: str
    busy_message: str
    training_active: bool
    checkin: CheckInFlow
    capture: CaptureFlow | None
    handover: HandoverFlow | None
    preview: FramePreview | None
    photo_guide: PhotoGuide | None
    voice: Speaker | None

    @property
    def training(self) -> TrainingSwitch | None: ...

    @property
    def busy(self) -> bool: ...

    @property
    def screens(self) -> Any:
        """The Kivy ScreenManager."""

    def tr(self, _lang: str, message: str) -> str: ...

    def describe(self, err: BaseException) -> str: ...

    def service_words(self, service: str) -> str: ...

    def document_words(self, document: str) -> str: ...

    def set_language(self, lang: str) -> None: ...

    def sync(self) -> None: ...

    def open_resident_side(self) -> None: ...

    def close_handover(self) -> None: ...

    def card_inserted(self) -> None: ...

    def run_blocking(
        self,
        busy_message: str,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> None: ...
