"""Photo quality for the booth: checks a screen can word, burst auto-capture, 3:4 JPEG.

Build one :class:`PhotoQualityChecker` from the office's :class:`PhotoQualityConfig`
and feed it BGR camera frames (numpy ``uint8`` arrays).
"""

from kiosk.config.photo import BackgroundColour, PhotoQualityConfig
from kiosk.photo.capture import BurstCapture, PhotoOutcome
from kiosk.photo.checks import CheckResult
from kiosk.photo.detect import Box, FaceTracker, portrait_area
from kiosk.photo.guidance import in_languages, instructions
from kiosk.photo.live import LiveGuide
from kiosk.photo.quality import (
    CHECK_NAMES,
    Assessment,
    PhotoQualityChecker,
    assess,
    best_of_burst,
    crop_portrait,
)

__all__ = [
    "CHECK_NAMES",
    "Assessment",
    "BackgroundColour",
    "Box",
    "BurstCapture",
    "CheckResult",
    "FaceTracker",
    "LiveGuide",
    "PhotoOutcome",
    "PhotoQualityChecker",
    "PhotoQualityConfig",
    "assess",
    "best_of_burst",
    "crop_portrait",
    "in_languages",
    "instructions",
    "portrait_area",
]
