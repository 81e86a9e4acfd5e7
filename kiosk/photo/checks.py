"""The checks of the face and its framing, from the landmarks. Each returns a
:class:`CheckResult` a screen can word.

``message_msgid`` is an English gettext msgid (domain ``kiosk``) that tells the operator
what was found; ``instruction_msgid`` (failing checks only) tells the resident what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from ektp.i18n import N_
from kiosk.config.photo import PhotoQualityConfig
from kiosk.photo import geometry
from kiosk.photo.detect import Box
from kiosk.photo.landmarks import Mesh

COME_CLOSER = N_("Come a little closer")
MOVE_BACK = N_("Move back a little")


@dataclass(frozen=True)
class CheckResult:
    """One check: its stable ``name``, whether it passed, the measured ``value``
    (None when it could not be measured), a msgid for the operator, whether it was
    ``skipped`` (could not be judged and does not block the photo), and for a failing
    check the msgid of the one instruction that fixes it."""

    name: str
    ok: bool
    value: float | str | None
    message_msgid: str
    skipped: bool = False
    instruction_msgid: str | None = None


def _fail(name: str, value: float | str | None, message: str, instruction: str) -> CheckResult:
    return CheckResult(name, False, value, message, instruction_msgid=instruction)


def face_count(count: int) -> CheckResult:
    if count == 0:
        return _fail(
            "face_count",
            0,
            N_("No face found: look at the camera"),
            N_("Stand in front of the camera and look into it"),
        )
    if count > 1:
        return _fail(
            "face_count",
            count,
            N_("More than one face in the picture: only the resident may be in the photo"),
            N_("Only the resident may be in front of the camera"),
        )
    return CheckResult("face_count", True, 1, N_("One face found"))


def face_size(mesh: Mesh, area: Box, crop: Box, config: PhotoQualityConfig) -> CheckResult:
    """Chin-to-forehead height as a share of the camera's central 3:4 area, and enough
    frame pixels for the saved portrait."""
    share = geometry.face_height(mesh) / area.h
    if share < config.face_min_share:
        return _fail(
            "face_size", share, N_("Face too small: come closer to the camera"), COME_CLOSER
        )
    if share > config.face_max_share:
        return _fail("face_size", share, N_("Face too large: move back from the camera"), MOVE_BACK)
    if crop.h < config.min_portrait_pixels:
        return _fail(
            "face_size",
            share,
            N_("Too few pixels for the portrait: come closer to the camera"),
            COME_CLOSER,
        )
    return CheckResult("face_size", True, share, N_("Face size is right"))


def face_centred(crop: Box, area: Box, config: PhotoQualityConfig) -> CheckResult:
    """Signed horizontal offset of the face's midline, as a share of the area's width.

    The camera does not mirror: a face on the image's left is a resident standing to
    their own right, who moves to their left.
    """
    offset = (crop.centre[0] - area.centre[0]) / area.w
    if offset < -config.centre_tolerance:
        return _fail(
            "centred",
            offset,
            N_("Face is left of centre in the picture"),
            N_("Move a little to your left"),
        )
    if offset > config.centre_tolerance:
        return _fail(
            "centred",
            offset,
            N_("Face is right of centre in the picture"),
            N_("Move a little to your right"),
        )
    return CheckResult("centred", True, offset, N_("Face is centred"))


def portrait_fit(crop: Box, frame_shape: tuple[int, ...]) -> CheckResult:
    """The portrait crop (head at the required share) must lie inside the camera frame;
    a little of the plain wall above the head may be filled in."""
    height, width = frame_shape[:2]
    slack = round(0.02 * crop.h)
    above = -crop.y
    below = crop.y + crop.h - height
    if crop.h > height + slack or crop.w > width + slack:
        return _fail(
            "portrait_fit",
            crop.h / height,
            N_("The portrait does not fit in the picture: move back"),
            MOVE_BACK,
        )
    if above > 3 * slack:
        return _fail(
            "portrait_fit",
            crop.y / height,
            N_("The head is too near the top of the picture"),
            N_("Sit a little lower"),
        )
    if below > slack:
        return _fail(
            "portrait_fit",
            crop.y / height,
            N_("The chin is too near the bottom of the picture"),
            N_("Sit up a little taller"),
        )
    if crop.x < -slack or crop.x + crop.w > width + slack:
        return _fail(
            "portrait_fit",
            crop.x / width,
            N_("The portrait is cut at the side of the picture"),
            N_("Move to the middle of the picture"),
        )
    return CheckResult("portrait_fit", True, crop.h / height, N_("The portrait fits"))


def _within(
    name: str, angle: float, limit: float, *, failed: str, instruction: str, passed: str
) -> CheckResult:
    """An angle that may lean either way by at most ``limit`` degrees."""
    if abs(angle) > limit:
        return _fail(name, angle, failed, instruction)
    return CheckResult(name, True, angle, passed)


def pose_yaw(pose: geometry.Pose, config: PhotoQualityConfig) -> CheckResult:
    return _within(
        "pose_yaw",
        pose.yaw,
        config.max_yaw_degrees,
        failed=N_("Head is turned to the side"),
        instruction=N_("Turn your face straight to the camera"),
        passed=N_("Head faces the camera"),
    )


def pose_pitch(pose: geometry.Pose, config: PhotoQualityConfig) -> CheckResult:
    pitch = pose.pitch - config.pitch_zero_degrees
    if pitch > config.max_pitch_degrees:
        return _fail("pose_pitch", pitch, N_("Chin is raised"), N_("Lower your chin a little"))
    if pitch < -config.max_pitch_degrees:
        return _fail("pose_pitch", pitch, N_("Chin is lowered"), N_("Raise your chin a little"))
    return CheckResult("pose_pitch", True, pitch, N_("Head is level"))


def eyes_level(pose: geometry.Pose, config: PhotoQualityConfig) -> CheckResult:
    """Head roll: the slope of the line through the eye corners."""
    return _within(
        "eyes_level",
        pose.roll,
        config.max_eye_tilt_degrees,
        failed=N_("Head is tilted: keep the eyes level"),
        instruction=N_("Hold your head straight, not tilted"),
        passed=N_("Eyes are level"),
    )


def eyes_open(mesh: Mesh, config: PhotoQualityConfig) -> CheckResult:
    openness = geometry.eye_openness(mesh)
    if openness < config.min_eye_openness:
        return _fail(
            "eyes_open", openness, N_("Eyes are closed or half closed"), N_("Open your eyes")
        )
    return CheckResult("eyes_open", True, openness, N_("Eyes are open"))


def mouth_closed(mesh: Mesh, config: PhotoQualityConfig) -> CheckResult:
    """The inner lips' gap. A smile with closed lips passes; whether a closed mouth smiles
    is not judged (five mouth landmarks do not tell it reliably)."""
    opening = geometry.mouth_opening(mesh)
    if opening > config.max_mouth_opening:
        return _fail(
            "mouth_closed",
            opening,
            N_("Mouth is open"),
            N_("Close your mouth and keep a neutral face"),
        )
    return CheckResult("mouth_closed", True, opening, N_("Mouth is closed"))
