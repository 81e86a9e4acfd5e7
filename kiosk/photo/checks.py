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


def failed(name: str, value: float | str | None, message: str, instruction: str) -> CheckResult:
    return CheckResult(name, False, value, message, instruction_msgid=instruction)


@dataclass(frozen=True)
class Advice:
    """What a failing check says: to the operator (``message``), to the resident
    (``instruction``)."""

    message: str
    instruction: str


def bounded(
    name: str,
    value: float,
    passed: str,
    *,
    below: tuple[float, Advice] | None = None,
    above: tuple[float, Advice] | None = None,
) -> CheckResult:
    """A measure that fails under ``below``'s limit or over ``above``'s, with its advice."""
    if below is not None and value < below[0]:
        return failed(name, value, below[1].message, below[1].instruction)
    if above is not None and value > above[0]:
        return failed(name, value, above[1].message, above[1].instruction)
    return CheckResult(name, True, value, passed)


def face_count(count: int) -> CheckResult:
    if count == 0:
        return failed(
            "face_count",
            0,
            N_("No face found: look at the camera"),
            N_("Stand in front of the camera and look into it"),
        )
    if count > 1:
        return failed(
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
    size = bounded(
        "face_size",
        share,
        N_("Face size is right"),
        below=(
            config.face_min_share,
            Advice(N_("Face too small: come closer to the camera"), COME_CLOSER),
        ),
        above=(
            config.face_max_share,
            Advice(N_("Face too large: move back from the camera"), MOVE_BACK),
        ),
    )
    if size.ok and crop.h < config.min_portrait_pixels:
        return failed(
            "face_size",
            share,
            N_("Too few pixels for the portrait: come closer to the camera"),
            COME_CLOSER,
        )
    return size


def face_centred(crop: Box, area: Box, config: PhotoQualityConfig) -> CheckResult:
    """Signed horizontal offset of the face's midline, as a share of the area's width.

    The camera does not mirror: a face on the image's left is a resident standing to
    their own right, who moves to their left.
    """
    offset = (crop.centre[0] - area.centre[0]) / area.w
    return bounded(
        "centred",
        offset,
        N_("Face is centred"),
        below=(
            -config.centre_tolerance,
            Advice(N_("Face is left of centre in the picture"), N_("Move a little to your left")),
        ),
        above=(
            config.centre_tolerance,
            Advice(N_("Face is right of centre in the picture"), N_("Move a little to your right")),
        ),
    )


def portrait_fit(crop: Box, frame_shape: tuple[int, ...]) -> CheckResult:
    """The portrait crop (head at the required share) must lie inside the camera frame;
    a little of the plain wall above the head may be filled in."""
    height, width = frame_shape[:2]
    slack = round(0.02 * crop.h)
    above = -crop.y
    below = crop.y + crop.h - height
    if crop.h > height + slack or crop.w > width + slack:
        return failed(
            "portrait_fit",
            crop.h / height,
            N_("The portrait does not fit in the picture: move back"),
            MOVE_BACK,
        )
    if above > 3 * slack:
        return failed(
            "portrait_fit",
            crop.y / height,
            N_("The head is too near the top of the picture"),
            N_("Sit a little lower"),
        )
    if below > slack:
        return failed(
            "portrait_fit",
            crop.y / height,
            N_("The chin is too near the bottom of the picture"),
            N_("Sit up a little taller"),
        )
    if crop.x < -slack or crop.x + crop.w > width + slack:
        return failed(
            "portrait_fit",
            crop.x / width,
            N_("The portrait is cut at the side of the picture"),
            N_("Move to the middle of the picture"),
        )
    return CheckResult("portrait_fit", True, crop.h / height, N_("The portrait fits"))


def _turned_at_most(
    name: str, angle: float, limit: float, advice: Advice, passed: str
) -> CheckResult:
    """An angle that may lean either way by at most ``limit`` degrees."""
    return bounded(name, angle, passed, below=(-limit, advice), above=(limit, advice))


def pose_yaw(pose: geometry.Pose, config: PhotoQualityConfig) -> CheckResult:
    return _turned_at_most(
        "pose_yaw",
        pose.yaw,
        config.max_yaw_degrees,
        Advice(N_("Head is turned to the side"), N_("Turn your face straight to the camera")),
        N_("Head faces the camera"),
    )


def pose_pitch(pose: geometry.Pose, config: PhotoQualityConfig) -> CheckResult:
    limit = config.max_pitch_degrees
    return bounded(
        "pose_pitch",
        pose.pitch - config.pitch_zero_degrees,
        N_("Head is level"),
        below=(-limit, Advice(N_("Chin is lowered"), N_("Raise your chin a little"))),
        above=(limit, Advice(N_("Chin is raised"), N_("Lower your chin a little"))),
    )


def eyes_level(pose: geometry.Pose, config: PhotoQualityConfig) -> CheckResult:
    """Head roll: the slope of the line through the eye corners."""
    return _turned_at_most(
        "eyes_level",
        pose.roll,
        config.max_eye_tilt_degrees,
        Advice(
            N_("Head is tilted: keep the eyes level"), N_("Hold your head straight, not tilted")
        ),
        N_("Eyes are level"),
    )


def eyes_open(mesh: Mesh, config: PhotoQualityConfig) -> CheckResult:
    return bounded(
        "eyes_open",
        geometry.eye_openness(mesh),
        N_("Eyes are open"),
        below=(
            config.min_eye_openness,
            Advice(N_("Eyes are closed or half closed"), N_("Open your eyes")),
        ),
    )


def mouth_closed(mesh: Mesh, config: PhotoQualityConfig) -> CheckResult:
    """The inner lips' gap. A smile with closed lips passes; whether a closed mouth smiles
    is not judged (five mouth landmarks do not tell it reliably)."""
    return bounded(
        "mouth_closed",
        geometry.mouth_opening(mesh),
        N_("Mouth is closed"),
        above=(
            config.max_mouth_opening,
            Advice(N_("Mouth is open"), N_("Close your mouth and keep a neutral face")),
        ),
    )
