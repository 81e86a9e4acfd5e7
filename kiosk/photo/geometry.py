"""What the face mesh says about a face: pose, open eyes, closed mouth, chin and crown,
and the portrait crop that makes the head the required share of the photo.

Angles are in degrees. Signs, as the camera sees the resident:
``yaw`` > 0 when the face turns towards the image's right, ``pitch`` > 0 when the chin is
lifted, ``roll`` > 0 when the eye on the image's right sits lower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kiosk.photo.detect import Box
from kiosk.photo.landmarks import (
    CHEEK_LEFT,
    CHEEK_RIGHT,
    CHIN,
    FOREHEAD,
    LEFT_EYE_BOTTOM,
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    LEFT_EYE_TOP,
    LIP_INNER_BOTTOM,
    LIP_INNER_TOP,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    RIGHT_EYE_BOTTOM,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    RIGHT_EYE_TOP,
    Mesh,
)

CROWN_FROM_FOREHEAD = 1.25
"""Chin-to-crown over chin-to-forehead-landmark (the mesh's point 10, just under the
hairline): about 23 cm over 18.5 cm for an adult head. The crown is estimated from the
face, not from the hair, so a head covering does not move it."""

# The face oval of the mesh, in order around the face (for the head mask).
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
    377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip


@dataclass(frozen=True)
class Pose:
    yaw: float
    pitch: float
    roll: float


def pose(mesh: Mesh) -> Pose:
    """Head pose from the mesh's 3D landmarks.

    Yaw is the turn of the cheek-to-cheek line out of the image plane; pitch the turn of
    the forehead-to-chin line (in MediaPipe's canonical face both ends of that line sit at
    nearly the same depth, under 1° apart); roll the slope of the eye-corner line.
    """
    p = mesh.points
    cheeks = p[CHEEK_LEFT] - p[CHEEK_RIGHT]
    yaw = math.degrees(math.atan2(float(cheeks[2]), float(np.hypot(cheeks[0], cheeks[1]))))
    axis = p[CHIN] - p[FOREHEAD]
    pitch = math.degrees(math.atan2(-float(axis[2]), float(np.hypot(axis[0], axis[1]))))
    eyes = p[LEFT_EYE_OUTER] - p[RIGHT_EYE_OUTER]
    roll = math.degrees(math.atan2(float(eyes[1]), float(eyes[0])))
    return Pose(yaw, pitch, roll)


def _gap(mesh: Mesh, top: int, bottom: int, corner_a: int, corner_b: int) -> float:
    width = float(np.linalg.norm(mesh.point(corner_a) - mesh.point(corner_b)))
    return float(np.linalg.norm(mesh.point(top) - mesh.point(bottom))) / max(width, 1e-6)


def eye_openness(mesh: Mesh) -> float:
    """Lid gap over eye width of the less open eye (about 0.3 open, under 0.1 shut)."""
    right = _gap(mesh, RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM, RIGHT_EYE_OUTER, RIGHT_EYE_INNER)
    left = _gap(mesh, LEFT_EYE_TOP, LEFT_EYE_BOTTOM, LEFT_EYE_OUTER, LEFT_EYE_INNER)
    return min(right, left)


def mouth_opening(mesh: Mesh) -> float:
    """Gap between the inner lips over the mouth's width (about 0 when closed)."""
    return _gap(mesh, LIP_INNER_TOP, LIP_INNER_BOTTOM, MOUTH_RIGHT, MOUTH_LEFT)


def chin_and_crown(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    """The chin landmark and the estimated crown (top of the skull), frame pixels."""
    chin = mesh.point(CHIN).astype(np.float64)
    forehead = mesh.point(FOREHEAD).astype(np.float64)
    return chin, chin + CROWN_FROM_FOREHEAD * (forehead - chin)


def face_height(mesh: Mesh) -> float:
    """Chin to the forehead landmark, in frame pixels."""
    return float(np.linalg.norm(mesh.point(CHIN) - mesh.point(FOREHEAD)))


def face_box(mesh: Mesh) -> Box:
    """The face oval's bounding box (forehead to chin, cheek to cheek)."""
    oval = mesh.points[list(FACE_OVAL), :2]
    low, high = oval.min(axis=0), oval.max(axis=0)
    return Box(round(low[0]), round(low[1]), round(high[0] - low[0]), round(high[1] - low[1]))


def portrait_box(face: Box, head_share: float, crown_margin: float) -> Box:
    """The 3:4 crop around a face box (:func:`face_box`, chin to forehead) in which
    chin-to-crown is ``head_share`` of the height and the crown ``crown_margin`` of the
    height below the top, centred on the face."""
    head = face.h * CROWN_FROM_FOREHEAD
    height = max(4.0, head / head_share)
    width = height * 3.0 / 4.0
    crown = face.y + face.h - head
    top = crown - crown_margin * height
    return Box(round(face.centre[0] - width / 2.0), round(top), round(width), round(height))


def head_ellipse(face: Box) -> tuple[tuple[int, int], tuple[int, int]]:
    """Centre and half-axes of an ellipse around the whole head with its hair (or head
    covering), from the face box: what the background sampling leaves out."""
    head = face.h * CROWN_FROM_FOREHEAD
    chin_y = face.y + face.h
    centre = (round(face.centre[0]), round(chin_y - 0.59 * head))
    return centre, (round(0.85 * face.w), round(0.62 * head))
