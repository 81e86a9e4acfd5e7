"""The individual photo checks. Each returns a :class:`CheckResult` a screen can word.

``message_msgid`` is an English gettext msgid (domain ``kiosk``) that says what was
found and, when the check fails, what to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ektp.i18n import N_
from kiosk.config.photo import BackgroundColour, PhotoQualityConfig
from kiosk.photo.detect import Box

SHARPNESS_SIDE = 160
"""The face is scaled to this square before measuring sharpness (scale independence)."""
SHARPNESS_CONTRAST = 50.0
"""...and its gray levels to this standard deviation (contrast independence)."""


@dataclass(frozen=True)
class CheckResult:
    """One check: its stable ``name``, whether it passed, the measured ``value``
    (None when it could not be measured), a msgid for the screen, and whether it was
    ``skipped`` (could not be judged and does not block the photo)."""

    name: str
    ok: bool
    value: float | str | None
    message_msgid: str
    skipped: bool = False


def face_count(count: int) -> CheckResult:
    if count == 0:
        return CheckResult("face_count", False, 0, N_("No face found: look at the camera"))
    if count > 1:
        return CheckResult(
            "face_count",
            False,
            count,
            N_("More than one face in the picture: only the resident may be in the photo"),
        )
    return CheckResult("face_count", True, 1, N_("One face found"))


def face_size(face: Box, portrait: Box, config: PhotoQualityConfig) -> CheckResult:
    share = face.h / portrait.h
    if share < config.face_min_share:
        return CheckResult(
            "face_size", False, share, N_("Face too small: come closer to the camera")
        )
    if share > config.face_max_share:
        return CheckResult(
            "face_size", False, share, N_("Face too large: move back from the camera")
        )
    return CheckResult("face_size", True, share, N_("Face size is right"))


def face_centred(face: Box, portrait: Box, config: PhotoQualityConfig) -> CheckResult:
    """Signed horizontal offset of the face centre, as a share of the portrait width."""
    offset = (face.centre[0] - (portrait.x + portrait.w / 2.0)) / portrait.w
    if offset < -config.centre_tolerance:
        return CheckResult("centred", False, offset, N_("Face is left of centre in the picture"))
    if offset > config.centre_tolerance:
        return CheckResult("centred", False, offset, N_("Face is right of centre in the picture"))
    return CheckResult("centred", True, offset, N_("Face is centred"))


def eyes_level(tilt_degrees: float | None, config: PhotoQualityConfig) -> CheckResult:
    if tilt_degrees is None:
        if config.require_eyes:
            return CheckResult("eyes_level", False, None, N_("Eyes not detected"))
        return CheckResult(
            "eyes_level", True, None, N_("Eyes not detected: tilt not checked"), skipped=True
        )
    if abs(tilt_degrees) > config.max_eye_tilt_degrees:
        return CheckResult(
            "eyes_level", False, tilt_degrees, N_("Head is tilted: keep the eyes level")
        )
    return CheckResult("eyes_level", True, tilt_degrees, N_("Eyes are level"))


def background_mask(frame_shape: tuple[int, ...], face: Box, portrait: Box) -> np.ndarray:
    """Pixels of the portrait beside and above the head, above chin level (uint8 0/255).

    The head (with hair and ears) is taken as an ellipse around the face box; everything
    below the chin is shoulders and clothes and is left out.
    """
    mask = np.zeros(frame_shape[:2], np.uint8)
    chin = min(portrait.y + portrait.h, face.y + face.h + face.h // 20)
    mask[portrait.y : chin, portrait.x : portrait.x + portrait.w] = 255
    centre = (round(face.centre[0]), round(face.y + 0.4 * face.h))
    axes = (round(0.85 * face.w), round(1.05 * face.h))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 0, thickness=-1)
    return mask


MUST_BE = {
    "white": N_("The background must be white"),
    "red": N_("The background must be red"),
    "blue": N_("The background must be blue"),
}
IS = {
    "white": N_("Background is white"),
    "red": N_("Background is red"),
    "blue": N_("Background is blue"),
}


def background(
    frame: np.ndarray,
    mask: np.ndarray,
    portrait: Box,
    required: BackgroundColour,
    config: PhotoQualityConfig,
) -> list[CheckResult]:
    """Uniformity (trimmed Lab spread) and colour (HSV of the median) of the background."""
    pixels = frame[mask > 0]
    if len(pixels) < config.background_min_share * portrait.w * portrait.h:
        too_little = N_("Too little background visible to check it: move back")
        return [
            CheckResult("background_uniform", False, None, too_little),
            CheckResult("background_colour", False, None, too_little),
        ]
    lab = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(float)
    median_lab = np.median(lab, axis=0)
    distance = np.linalg.norm(lab - median_lab, axis=1)
    kept = lab[distance <= np.percentile(distance, 95)]  # stray hair ends are not a poster
    spread = float(kept.std(axis=0).mean())
    uniform = (
        CheckResult("background_uniform", True, spread, N_("Background is plain"))
        if spread <= config.background_max_std
        else CheckResult(
            "background_uniform", False, spread, N_("Background is not plain: clear the wall")
        )
    )
    median_bgr = np.median(pixels, axis=0).astype(np.uint8).reshape(1, 1, 3)
    hue, saturation, value = (int(v) for v in cv2.cvtColor(median_bgr, cv2.COLOR_BGR2HSV)[0, 0])
    seen = _colour_name(hue, saturation, value, config)
    colour = (
        CheckResult("background_colour", True, seen, IS[required])
        if seen == required
        else CheckResult("background_colour", False, seen, MUST_BE[required])
    )
    return [uniform, colour]


def _colour_name(hue: int, saturation: int, value: int, config: PhotoQualityConfig) -> str:
    if saturation <= config.white_max_saturation:
        return "white" if value >= config.white_min_value else "grey"
    if saturation < config.colour_min_saturation or value < config.colour_min_value:
        return "other"
    if min(hue, 180 - hue) <= config.red_max_hue_distance:
        return "red"
    low, high = config.blue_hue_range
    if low <= hue <= high:
        return "blue"
    return "other"


def inner_face(gray: np.ndarray, face: Box) -> np.ndarray:
    """The face box without its outer sixth on each side (hair, background)."""
    dx, dy = face.w // 6, face.h // 6
    return gray[face.y + dy : face.y + face.h - dy, face.x + dx : face.x + face.w - dx]


def sharpness(gray: np.ndarray, face: Box, config: PhotoQualityConfig) -> CheckResult:
    """Variance of the Laplacian of the face, at a fixed size and a fixed contrast.

    The face is scaled to a square of ``SHARPNESS_SIDE`` and its gray levels to a
    standard deviation of ``SHARPNESS_CONTRAST``, so a dim face is not called blurred.
    """
    roi = gray[face.y : face.y + face.h, face.x : face.x + face.w]
    roi = cv2.resize(roi, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    levels = roi.astype(np.float32)
    spread = float(levels.std())
    if spread < 1.0:  # a flat patch has no edges at all
        variance = 0.0
    else:
        levels = (levels - float(levels.mean())) * (SHARPNESS_CONTRAST / spread)
        variance = float(cv2.Laplacian(levels, cv2.CV_32F).var())
    if variance < config.min_sharpness:
        return CheckResult(
            "sharpness", False, variance, N_("Photo is blurred: hold still and check the focus")
        )
    return CheckResult("sharpness", True, variance, N_("Photo is sharp"))


def exposure(gray: np.ndarray, face: Box, config: PhotoQualityConfig) -> CheckResult:
    """Mean luminance of the inner face and its share of clipped pixels."""
    roi = inner_face(gray, face)
    mean = float(roi.mean())
    if mean < config.exposure_min_mean:
        return CheckResult("exposure", False, mean, N_("Face is too dark: add light"))
    if mean > config.exposure_max_mean:
        return CheckResult("exposure", False, mean, N_("Face is too bright: reduce the light"))
    clipped = float(np.count_nonzero((roi >= 250) | (roi <= 5))) / roi.size
    if clipped > config.max_clipped_share:
        return CheckResult(
            "exposure", False, mean, N_("Face has burnt-out or black patches: even out the light")
        )
    return CheckResult("exposure", True, mean, N_("Face is well lit"))
