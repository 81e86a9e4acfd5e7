"""What the screens need beyond the flows: a live camera preview for the photo step."""

from __future__ import annotations

from typing import Any, Protocol


class FramePreview(Protocol):
    """The newest camera frame for the live preview, never blocking.

    Returns an RGB ``numpy.ndarray`` (height × width × 3, uint8), or None when no frame
    has arrived yet. Called from the UI thread about ten times a second, so it must
    return at once (the camera fills a buffer from its own thread).
    """

    def latest_frame(self) -> Any | None: ...
