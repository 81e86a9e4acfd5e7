"""Scenes for the emulated camera: a real portrait photograph on a plain backdrop.

The astronaut portrait bundled with scikit-image is cut out of its studio backdrop
once with OpenCV's GrabCut (seeded by a rough mask of head and body) and pasted onto
plain walls, so the emulated camera can show "a resident in front of the red
backdrop" at a chosen size and position. scikit-image is needed only here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

# Background colours as a booth camera sees them (BGR), with a little noise added.
BACKGROUNDS_BGR = {
    "white": (238, 240, 242),
    "red": (35, 30, 200),
    "blue": (205, 125, 25),
    "grey": (128, 128, 128),
}

# The astronaut's face box in the original 512×512 image (alt2 cascade): x, y, w, h.
_FACE_IN_ORIGINAL = (178, 68, 93, 93)
# Region of the original that is cut out: head, neck and upper body, no flag or shuttle.
_CUT = (100, 0, 350, 330)  # x0, y0, x1, y1


def astronaut_bgr() -> np.ndarray:
    from skimage import data  # noqa: PLC0415 - optional, only for emulated scenes

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@lru_cache(maxsize=1)
def _astronaut_cutout() -> tuple[np.ndarray, np.ndarray]:
    """The person (BGR) and a soft alpha (float 0..1) over the ``_CUT`` region."""
    x0, y0, x1, y1 = _CUT
    person = astronaut_bgr()[y0:y1, x0:x1].copy()
    mask = np.full(person.shape[:2], cv2.GC_PR_BGD, np.uint8)
    cv2.ellipse(mask, (224 - x0, 95 - y0), (62, 85), 0, 0, 360, cv2.GC_PR_FGD, -1)
    mask[170 - y0 :, 15:-15] = cv2.GC_PR_FGD
    cv2.ellipse(mask, (224 - x0, 110 - y0), (40, 55), 0, 0, 360, cv2.GC_FGD, -1)
    mask[:8, :] = cv2.GC_BGD
    mask[:140, :25] = cv2.GC_BGD
    mask[:140, -25:] = cv2.GC_BGD
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(7)
    no_rect = (0, 0, 0, 0)  # ignored with GC_INIT_WITH_MASK
    cv2.grabCut(person, mask, no_rect, background_model, foreground_model, 5, cv2.GC_INIT_WITH_MASK)
    alpha = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 1.0, 0.0).astype(np.float32)
    return person, np.asarray(cv2.GaussianBlur(alpha, (5, 5), 0), np.float32)


def plain_canvas(
    width: int, height: int, colour: str | tuple[int, int, int], seed: int = 0
) -> np.ndarray:
    """A plain wall as a camera sees it: the colour, a soft light fall-off, sensor noise."""
    bgr = BACKGROUNDS_BGR[colour] if isinstance(colour, str) else colour
    rng = np.random.default_rng(seed)
    canvas = np.empty((height, width, 3), np.float32)
    canvas[:] = bgr
    shade = np.linspace(1.0, 0.96, height, dtype=np.float32)[:, None, None]
    canvas = canvas * shade + rng.normal(0.0, 2.0, canvas.shape).astype(np.float32)
    return np.clip(canvas, 0, 255).astype(np.uint8)


def portrait_frame(
    background: str | tuple[int, int, int] = "white",
    *,
    width: int = 480,
    height: int = 640,
    face_share: float = 0.40,
    face_centre_x: float = 0.5,
    face_centre_y: float = 0.42,
    seed: int = 0,
    head_turn: float = 0.0,
    head_nod: float = 0.0,
) -> np.ndarray:
    """A frame with the astronaut on a plain background.

    ``face_share`` is the face box height as a share of the frame height;
    ``face_centre_x``/``_y`` place the face centre as shares of the width/height.
    ``head_turn`` and ``head_nod`` (about -0.3 to 0.3) warp the person in perspective
    about the face centre, as if the head turned sideways (towards the image's right
    for > 0) or nodded forward (chin down for > 0); the backdrop stays plain.
    """
    person, alpha = _astronaut_cutout()
    fx, fy, fw, fh = _FACE_IN_ORIGINAL
    scale = face_share * height / fh
    scaled_person = cv2.resize(person, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    scaled_alpha = cv2.resize(alpha, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    # where the cut-out's top-left corner lands in the frame
    face_cx = (fx - _CUT[0] + fw / 2) * scale
    face_cy = (fy - _CUT[1] + fh / 2) * scale
    if head_turn or head_nod:
        turn = _head_homography((face_cx, face_cy), 1.6 * fh * scale, head_turn, head_nod)
        size = (scaled_person.shape[1], scaled_person.shape[0])
        scaled_person = cv2.warpPerspective(
            scaled_person, turn, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        scaled_alpha = cv2.warpPerspective(scaled_alpha, turn, size, flags=cv2.INTER_LINEAR)
    left = round(face_centre_x * width - face_cx)
    top = round(face_centre_y * height - face_cy)
    frame = plain_canvas(width, height, background, seed).astype(np.float32)
    _paste(frame, scaled_person.astype(np.float32), scaled_alpha, left, top)
    return np.clip(frame, 0, 255).astype(np.uint8)


class Placement(NamedTuple):
    """Where and how the resident stands (``portrait_frame``'s keywords)."""

    face_share: float = 0.40
    face_centre_x: float = 0.5
    head_turn: float = 0.0
    head_nod: float = 0.0


PLACEMENTS: dict[str, Placement] = {
    "placed_right": Placement(),
    "too_far": Placement(face_share=0.24),
    "too_close": Placement(face_share=0.62),
    "left_in_picture": Placement(face_centre_x=0.3),
    "right_in_picture": Placement(face_centre_x=0.7),
    "head_turned": Placement(head_turn=0.25),
    "chin_down": Placement(head_nod=0.3),
    "chin_up": Placement(head_nod=-0.3),
}
"""Named ways the resident stands before the emulated camera."""


def scene(placement: str, background: str = "white", seed: int = 0) -> np.ndarray:
    """The resident on the backdrop as ``placement`` (a key of ``PLACEMENTS``) says."""
    return portrait_frame(background, seed=seed, **PLACEMENTS[placement]._asdict())


def _head_homography(
    centre: tuple[float, float], side: float, turn: float, nod: float
) -> np.ndarray:
    """Maps a square of ``side`` around ``centre`` onto a trapezoid: one side taller for
    a turn, the top wider for a nod."""
    half = side / 2.0
    square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
    t, n = turn * 0.5, nod * 0.5
    offsets = np.array([[t - n, -t], [n - t, t], [-t - n, -t], [t + n, t]], np.float32) * side
    shift = np.array(centre, np.float32)
    return cv2.getPerspectiveTransform(square + shift, square + offsets + shift)


def _paste(frame: np.ndarray, image: np.ndarray, alpha: np.ndarray, left: int, top: int) -> None:
    height, width = frame.shape[:2]
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(width, left + image.shape[1]), min(height, top + image.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    src = image[y0 - top : y1 - top, x0 - left : x1 - left]
    a = alpha[y0 - top : y1 - top, x0 - left : x1 - left][..., None]
    frame[y0:y1, x0:x1] = a * src + (1.0 - a) * frame[y0:y1, x0:x1]


def two_people_frame(background: str = "white") -> np.ndarray:
    """Two residents side by side in one 3:4 frame."""
    one = portrait_frame(background, width=240, height=320, face_share=0.34)
    pair = np.hstack([one, one])
    frame = plain_canvas(480, 640, background)
    frame[160:480] = pair
    return frame


def landscape_camera_frame(portrait: np.ndarray, background: str = "white") -> np.ndarray:
    """A 640×480 camera frame whose central 3:4 area is ``portrait`` scaled to 360×480."""
    frame = plain_canvas(640, 480, background)
    frame[:, 140:500] = cv2.resize(portrait, (360, 480), interpolation=cv2.INTER_AREA)
    return frame
