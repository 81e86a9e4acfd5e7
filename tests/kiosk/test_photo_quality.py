"""The photo checks tell the operator, in words, what is wrong with a frame.

Frames are real photographs shipped with scikit-image: the astronaut portrait cut
out and placed on plain walls, and pictures with no person at all.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from photo_fixtures import (
    astronaut_bgr,
    checker,
    chelsea_bgr,
    coffee_bgr,
    landscape_camera_frame,
    portrait_frame,
    two_people_frame,
)
from pydantic import ValidationError

from kiosk.photo import CHECK_NAMES, PhotoQualityChecker, PhotoQualityConfig


def check(assessment, name):
    return next(c for c in assessment.checks if c.name == name)


@pytest.mark.parametrize("colour", ["white", "red", "blue"])
def test_a_good_portrait_on_the_required_background_passes_every_check(checker, colour):
    assessment = checker.assess(portrait_frame(colour), colour)
    assert [c.name for c in assessment.checks] == list(CHECK_NAMES)
    assert assessment.failing == ()
    assert assessment.ok
    assert assessment.face_box is not None
    assert check(assessment, "background_colour").message_msgid == f"Background is {colour}"


def test_a_landscape_camera_frame_is_judged_on_its_central_portrait(checker):
    frame = landscape_camera_frame(portrait_frame("white"))
    assert frame.shape == (480, 640, 3)
    assessment = checker.assess(frame, "white")
    assert assessment.ok, assessment.failing


@pytest.mark.parametrize("picture", [coffee_bgr, chelsea_bgr], ids=["coffee", "cat"])
def test_a_picture_without_a_person_says_no_face(checker, picture):
    assessment = checker.assess(picture(), "white")
    assert not assessment.ok
    assert [(c.name, c.ok) for c in assessment.checks] == [("face_count", False)]
    assert assessment.checks[0].message_msgid.startswith("No face found")
    assert assessment.face_box is None


def test_two_people_in_the_frame_is_refused(checker):
    assessment = checker.assess(two_people_frame(), "white")
    assert not assessment.ok
    assert check(assessment, "face_count").value == 2
    assert check(assessment, "face_count").message_msgid.startswith("More than one face")


def test_a_blurred_frame_is_not_sharp(checker):
    blurred = cv2.GaussianBlur(portrait_frame("white"), (0, 0), 3)
    assessment = checker.assess(blurred, "white")
    assert [c.name for c in assessment.failing] == ["sharpness"]
    assert "blurred" in check(assessment, "sharpness").message_msgid


def test_a_dark_frame_is_underexposed_but_not_called_blurred(checker):
    dark = (portrait_frame("white").astype(np.float32) * 0.3).astype(np.uint8)
    assessment = checker.assess(dark, "white")
    assert check(assessment, "exposure").message_msgid == "Face is too dark: add light"
    assert check(assessment, "sharpness").ok


def test_an_overexposed_frame_is_too_bright(checker):
    bright = np.clip(portrait_frame("white").astype(np.float32) * 1.6, 0, 255).astype(np.uint8)
    assessment = checker.assess(bright, "white")
    assert [c.name for c in assessment.failing] == ["exposure"]
    assert "too bright" in check(assessment, "exposure").message_msgid


@pytest.mark.parametrize(
    ("placement", "name", "message"),
    [
        ({"face_centre_x": 0.33}, "centred", "Face is left of centre in the picture"),
        ({"face_centre_x": 0.67}, "centred", "Face is right of centre in the picture"),
        ({"face_share": 0.24}, "face_size", "Face too small: come closer to the camera"),
        ({"face_share": 0.58}, "face_size", "Face too large: move back from the camera"),
    ],
)
def test_a_misplaced_face_says_which_way_to_move(checker, placement, name, message):
    assessment = checker.assess(portrait_frame("white", **placement), "white")
    assert not assessment.ok
    assert assessment.failing[0].name == name
    assert check(assessment, name).message_msgid == message


def test_the_size_band_is_the_offices(checker):
    frame = portrait_frame("white", face_share=0.27)
    assert [c.name for c in checker.assess(frame, "white").failing] == ["face_size"]
    wider = PhotoQualityChecker(PhotoQualityConfig(face_min_share=0.25))
    assert wider.assess(frame, "white").ok


@pytest.mark.parametrize(
    ("painted", "required"), [("blue", "red"), ("red", "blue"), ("red", "white"), ("grey", "white")]
)
def test_a_wrong_background_colour_names_the_required_one(checker, painted, required):
    assessment = checker.assess(portrait_frame(painted), required)
    assert [c.name for c in assessment.failing] == ["background_colour"]
    assert check(assessment, "background_colour").message_msgid == (
        f"The background must be {required}"
    )


def test_a_poster_on_the_wall_makes_the_background_not_plain(checker):
    frame = portrait_frame("white")
    frame[10:170, 10:130] = cv2.resize(coffee_bgr(), (120, 160))
    assessment = checker.assess(frame, "white")
    assert [c.name for c in assessment.failing] == ["background_uniform"]
    assert "not plain" in check(assessment, "background_uniform").message_msgid


def test_a_studio_backdrop_with_a_flag_is_not_plain(checker):
    assessment = checker.assess(astronaut_bgr(), "white")  # flag and shuttle beside her
    assert not check(assessment, "background_uniform").ok


def test_a_tilted_head_is_reported(checker):
    frame = portrait_frame("white")
    turn = cv2.getRotationMatrix2D((240, 270), 14, 1.0)
    tilted = cv2.warpAffine(frame, turn, (480, 640), borderMode=cv2.BORDER_REPLICATE)
    assessment = checker.assess(tilted, "white")
    assert check(assessment, "eyes_level").message_msgid == "Head is tilted: keep the eyes level"


def test_the_pose_eye_and_mouth_limits_are_the_offices(checker):
    frame = portrait_frame("white")
    assert checker.assess(frame, "white").ok
    strict = PhotoQualityChecker(
        PhotoQualityConfig(min_eye_openness=0.5, max_mouth_opening=0.08, max_eye_tilt_degrees=1)
    )
    assessment = strict.assess(frame, "white")
    assert [c.name for c in assessment.failing] == ["eyes_level", "eyes_open", "mouth_closed"]
    # the astronaut smiles with her teeth showing: ICAO's closed mouth refuses it
    assert check(assessment, "mouth_closed").message_msgid == "Mouth is open"
    assert assessment.instructions == [
        "Hold your head straight, not tilted",
        "Open your eyes",
        "Close your mouth and keep a neutral face",
    ]


def test_frames_that_are_not_bgr_images_are_refused(checker):
    with pytest.raises(ValueError, match="BGR"):
        checker.assess(np.zeros((480, 640), np.uint8), "white")
    with pytest.raises(ValueError, match="required_background"):
        checker.assess(portrait_frame("white"), "green")


def test_config_refuses_unknown_fields_and_inverted_bands():
    with pytest.raises(ValidationError):
        PhotoQualityConfig(face_min_sharee=0.3)
    with pytest.raises(ValidationError):
        PhotoQualityConfig(face_min_share=0.6, face_max_share=0.5)
    with pytest.raises(ValidationError):
        PhotoQualityConfig(portrait_head_share=0.85)  # ISO/IEC 19794-5: 70-80%
    with pytest.raises(ValidationError):
        PhotoQualityConfig(output_width=500)
