"""The checks of the picture itself: the background beside and above the head, and the
sharpness and exposure of the face. Each returns a :class:`CheckResult`."""

from __future__ import annotations

import cv2
import numpy as np

from ektp.i18n import N_
from ektp.photo_rule import Background
from kiosk.config.photo import PhotoQualityConfig
from kiosk.photo import geometry
from kiosk.photo.checks import MOVE_BACK, Advice, CheckResult, bounded, failed
from kiosk.photo.detect import Box
from kiosk.photo.landmarks import NOSE_TIP, Mesh

SHARPNESS_SIDE = 160
"""The face is scaled to this square before measuring sharpness (scale independence)."""
SHARPNESS_CONTRAST = 50.0
"""...and its gray levels to this standard deviation (contrast independence)."""
BACKGROUND_SAMPLE_WIDTH = 160
"""The background is judged on the portrait scaled to this width (speed)."""

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
USE_BACKDROP = {
    "white": N_("Use the white backdrop"),
    "red": N_("Use the red backdrop"),
    "blue": N_("Use the blue backdrop"),
}


def background_sample(
    frame: np.ndarray, mesh: Mesh, face: Box, region: Box
) -> tuple[np.ndarray, float]:
    """The pixels of ``region`` beside and above the head, above the tip of the nose
    (N × 3 BGR, sampled at a reduced size), and their share of the region.

    The head, with hair, ears or a head covering, is an ellipse around the face; below the
    nose, collars and shoulders may reach up beside the jaw.
    """
    height, width = frame.shape[:2]
    x0, y0 = max(0, region.x), max(0, region.y)
    nose_y = float(mesh.point(NOSE_TIP)[1])
    x1, y1 = min(width, region.x + region.w), min(height, round(nose_y))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return np.empty((0, 3), np.uint8), 0.0
    scale = min(1.0, BACKGROUND_SAMPLE_WIDTH / (x1 - x0))
    sample = cv2.resize(
        frame[y0:y1, x0:x1],
        (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))),
        interpolation=cv2.INTER_AREA,
    )
    mask = np.full(sample.shape[:2], 255, np.uint8)
    (cx, cy), (ax, ay) = geometry.head_ellipse(face)
    centre = (round((cx - x0) * scale), round((cy - y0) * scale))
    cv2.ellipse(mask, centre, (round(ax * scale), round(ay * scale)), 0, 0, 360, 0, -1)
    pixels = sample[mask > 0]
    return pixels, len(pixels) / max(1.0, region.w * region.h * scale * scale)


def background(
    pixels: np.ndarray, visible: float, required: Background, config: PhotoQualityConfig
) -> list[CheckResult]:
    """Uniformity (trimmed Lab spread) and colour (HSV of the median) of the background."""
    if visible < config.background_min_share:
        too_little = N_("Too little background visible to check it: move back")
        return [
            CheckResult("background_uniform", False, None, too_little, instruction_msgid=MOVE_BACK),
            CheckResult("background_colour", False, None, too_little, instruction_msgid=MOVE_BACK),
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
            "background_uniform",
            False,
            spread,
            N_("Background is not plain: clear the wall"),
            instruction_msgid=N_("Stand in front of the plain backdrop"),
        )
    )
    median_bgr = np.median(pixels, axis=0).astype(np.uint8).reshape(1, 1, 3)
    hue, saturation, value = (int(v) for v in cv2.cvtColor(median_bgr, cv2.COLOR_BGR2HSV)[0, 0])
    seen = _colour_name(hue, saturation, value, config)
    colour = (
        CheckResult("background_colour", True, seen, IS[required])
        if seen == required
        else CheckResult(
            "background_colour",
            False,
            seen,
            MUST_BE[required],
            instruction_msgid=USE_BACKDROP[required],
        )
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
    top, left = max(0, face.y + dy), max(0, face.x + dx)
    return gray[top : face.y + face.h - dy, left : face.x + face.w - dx]


def sharpness(gray: np.ndarray, face: Box, config: PhotoQualityConfig) -> CheckResult:
    """Variance of the Laplacian of the face, at a fixed size and a fixed contrast.

    The face is scaled to a square of ``SHARPNESS_SIDE`` and its gray levels to a
    standard deviation of ``SHARPNESS_CONTRAST``, so a dim face is not called blurred.
    """
    roi = gray[max(0, face.y) : face.y + face.h, max(0, face.x) : face.x + face.w]
    if roi.size == 0:
        return CheckResult("sharpness", False, None, N_("Photo is blurred: hold still"))
    roi = cv2.resize(roi, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    levels = roi.astype(np.float32)
    spread = float(levels.std())
    if spread < 1.0:  # a flat patch has no edges at all
        variance = 0.0
    else:
        levels = (levels - float(levels.mean())) * (SHARPNESS_CONTRAST / spread)
        variance = float(cv2.Laplacian(levels, cv2.CV_32F).var())
    return bounded(
        "sharpness",
        variance,
        N_("Photo is sharp"),
        below=(
            config.min_sharpness,
            Advice(N_("Photo is blurred: hold still and check the focus"), N_("Hold still")),
        ),
    )


def exposure(gray: np.ndarray, face: Box, config: PhotoQualityConfig) -> CheckResult:
    """Mean luminance of the inner face and its share of clipped pixels."""
    roi = inner_face(gray, face)
    if roi.size == 0:
        return CheckResult("exposure", False, None, N_("Face is too dark: add light"))
    mean = float(roi.mean())
    lighting = bounded(
        "exposure",
        mean,
        N_("Face is well lit"),
        below=(
            config.exposure_min_mean,
            Advice(
                N_("Face is too dark: add light"),
                N_("More light is needed: switch on the booth light"),
            ),
        ),
        above=(
            config.exposure_max_mean,
            Advice(
                N_("Face is too bright: reduce the light"),
                N_("Too much light: dim the booth light"),
            ),
        ),
    )
    clipped = float(np.count_nonzero((roi >= 250) | (roi <= 5))) / roi.size
    if lighting.ok and clipped > config.max_clipped_share:
        return failed(
            "exposure",
            mean,
            N_("Face has burnt-out or black patches: even out the light"),
            N_("Even out the light on the face"),
        )
    return lighting
