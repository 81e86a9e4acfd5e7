"""The gate tells the resident one thing to do, the most useful first, in Indonesian and
English; the operator sees every failing check.

Frames are real photographs (scikit-image's astronaut, cut out of her studio backdrop)
composed into booth camera frames: placed right or wrong, turned, nodded or tilted by a
perspective warp, with a second person, a cluttered wall, blurred or in the dark.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
from photo_fixtures import (
    astronaut_bgr,
    checker,
    coffee_bgr,
    landscape_camera_frame,
    portrait_frame,
    tilted_head,
    two_people_frame,
)

from hardware.camera.scenes import PLACEMENTS, scene
from kiosk.photo import in_languages
from kiosk.photo.geometry import CROWN_FROM_FOREHEAD
from kiosk.photo.live import LiveGuide


def camera(background="white", **placement):
    """A 640×480 landscape camera frame with the resident placed as asked."""
    return landscape_camera_frame(portrait_frame(background, **placement), background)


def first_failing(assessment):
    return assessment.failing[0].name if assessment.failing else None


@pytest.mark.parametrize("background", ["white", "blue"])
def test_a_resident_placed_right_passes_with_nothing_to_say(checker, background):
    assessment = checker.assess(camera(background), background)
    assert assessment.ok, assessment.failing
    assert assessment.instructions == []


# (frame, required background, the check that must fail, the first instruction)
CASES = {
    "too far": (
        lambda: camera(face_share=0.22),
        "white",
        "face_size",
        "Come a little closer",
    ),
    "too close": (
        lambda: portrait_frame("white", face_share=0.62),
        "white",
        "face_size",
        "Move back a little",
    ),
    "off to the image's left": (
        lambda: camera(face_centre_x=0.25),
        "white",
        "centred",
        "Move a little to your left",
    ),
    "off to the image's right": (
        lambda: camera(face_centre_x=0.75),
        "white",
        "centred",
        "Move a little to your right",
    ),
    "head turned one way": (
        lambda: portrait_frame("white", head_turn=0.25),
        "white",
        "pose_yaw",
        "Turn your face straight to the camera",
    ),
    "head turned the other way": (
        lambda: portrait_frame("blue", head_turn=-0.25),
        "blue",
        "pose_yaw",
        "Turn your face straight to the camera",
    ),
    "chin down": (
        lambda: portrait_frame("white", head_nod=0.3),
        "white",
        "pose_pitch",
        "Raise your chin a little",
    ),
    "chin up": (
        lambda: portrait_frame("white", head_nod=-0.3),
        "white",
        "pose_pitch",
        "Lower your chin a little",
    ),
    "head tilted": (
        lambda: tilted_head(portrait_frame("white"), 12),
        "white",
        "eyes_level",
        "Hold your head straight, not tilted",
    ),
    "two faces": (
        two_people_frame,
        "white",
        "face_count",
        "Only the resident may be in front of the camera",
    ),
    "poster on the wall": (
        lambda: _with_poster(portrait_frame("white")),
        "white",
        "background_uniform",
        "Stand in front of the plain backdrop",
    ),
    "blurred": (
        lambda: cv2.GaussianBlur(camera(), (0, 0), 3),
        "white",
        "sharpness",
        "Hold still",
    ),
    "dark": (
        lambda: (camera().astype(np.float32) * 0.3).astype(np.uint8),
        "white",
        "exposure",
        "More light is needed: switch on the booth light",
    ),
    "wrong backdrop": (
        lambda: camera("blue"),
        "red",
        "background_colour",
        "Use the red backdrop",
    ),
}


def _with_poster(frame):
    frame[10:170, 10:130] = cv2.resize(coffee_bgr(), (120, 160))
    return frame


@pytest.mark.parametrize("case", list(CASES))
def test_each_wrong_frame_fails_its_check_and_says_what_to_do(checker, case):
    make, background, failing, instruction = CASES[case]
    assessment = checker.assess(make(), background)
    assert not assessment.ok
    assert failing in [c.name for c in assessment.failing]
    assert assessment.instructions[0] == instruction
    check = next(c for c in assessment.checks if c.name == failing)
    assert check.instruction_msgid == instruction


def test_a_far_resident_in_a_white_room_is_told_to_come_closer_not_to_look(checker):
    # The old gate equalised the whole frame and lost a small face on a white wall.
    assessment = checker.assess(camera(face_share=0.18), "white")
    assert assessment.checks[0].name == "face_count"
    assert assessment.checks[0].ok
    assert assessment.instructions[0] == "Come a little closer"


def test_the_studio_backdrop_with_a_flag_is_not_plain(checker):
    assessment = checker.assess(astronaut_bgr(), "white")
    assert not next(c for c in assessment.checks if c.name == "background_uniform").ok


def test_where_to_stand_comes_before_the_light_and_the_operator_sees_every_check(checker):
    frame = (camera(face_share=0.22).astype(np.float32) * 0.3).astype(np.uint8)
    frame = cv2.GaussianBlur(frame, (0, 0), 3)
    assessment = checker.assess(frame, "white")
    failing = [c.name for c in assessment.failing]
    assert {"face_size", "sharpness", "exposure"} <= set(failing)
    assert assessment.instructions[0] == "Come a little closer"
    assert assessment.instructions.index("Hold still") < assessment.instructions.index(
        "More light is needed: switch on the booth light"
    )
    assert len(assessment.failing) >= len(assessment.instructions)  # one line per check


def test_the_resident_hears_indonesian_first_then_english():
    assert in_languages("Come a little closer") == ["Maju sedikit", "Come a little closer"]
    assert in_languages("Raise your chin a little")[0] == "Angkat dagu sedikit"


def test_the_saved_portrait_has_the_head_at_70_to_80_percent(checker):
    frame = camera(face_share=0.40, face_centre_x=0.47)
    assessment = checker.assess(frame, "white")
    image = checker.portrait(frame, assessment.face_box)
    assert image.shape == (640, 480, 3)
    again = checker.assess(image, "white")
    assert again.ok, again.failing
    assert again.face_box is not None
    head = again.face_box.h * CROWN_FROM_FOREHEAD  # chin to crown
    assert 0.70 <= head / image.shape[0] <= 0.80


def test_live_guidance_follows_the_face_and_sees_a_second_person(checker):
    tracker = checker.tracker()
    good = camera()
    for _ in range(3):
        assert checker.assess(good, "white", tracker).ok
    pair = two_people_frame()
    verdicts = [
        checker.assess(pair, "white", tracker) for _ in range(checker.config.redetect_every)
    ]
    assert not verdicts[-1].ok
    assert verdicts[-1].instructions == ["Only the resident may be in front of the camera"]
    assert checker.assess(good, "white", checker.tracker()).ok


def test_the_live_guide_judges_the_newest_preview_frame_on_its_own_thread(checker):
    frames = [cv2.cvtColor(camera(face_share=0.22), cv2.COLOR_BGR2RGB)]
    callers = set()

    def newest():  # what the preview keeps: the newest RGB frame (a new one each time)
        callers.add(threading.current_thread().name)
        return frames[-1].copy()

    guide = LiveGuide(checker, newest)
    assert guide.latest() is None  # before the first verdict: nothing, and no waiting
    guide.start("white")
    try:
        first = _wait_for(guide.latest)
        assert first.instructions[0] == "Come a little closer"
        frames.append(cv2.cvtColor(camera(), cv2.COLOR_BGR2RGB))  # the resident stepped in
        placed = _wait_for(lambda: (v := guide.latest()) is not None and v.ok and v)
        assert placed.instructions == []
    finally:
        guide.stop()
    assert callers == {"photo-guide"}  # the UI thread never ran the gate


def _wait_for(condition, limit=30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("the live guide gave no verdict")


DEMO_SCENES = {
    "placed_right": None,
    "too_far": "Come a little closer",
    "too_close": "Move back a little",
    "left_in_picture": "Move a little to your left",
    "right_in_picture": "Move a little to your right",
    "head_turned": "Turn your face straight to the camera",
    "chin_down": "Raise your chin a little",
    "chin_up": "Lower your chin a little",
}


@pytest.mark.parametrize("placement", list(DEMO_SCENES))
@pytest.mark.parametrize("background", ["white", "red", "blue"])
def test_the_emulated_cameras_scenes_pass_placed_right_and_say_what_to_change(
    checker, placement, background
):
    assert set(DEMO_SCENES) == set(PLACEMENTS)
    assessment = checker.assess(scene(placement, background, seed=1), background)
    expected = DEMO_SCENES[placement]
    if expected is None:
        assert assessment.ok, assessment.failing
    else:
        assert assessment.instructions[0] == expected
