"""Burst auto-capture keeps the best passing frame; the saved photo is a 3:4 JPEG."""

from __future__ import annotations

import cv2
import numpy as np
from photo_fixtures import checker, coffee_bgr, portrait_frame

from kiosk.photo import BurstCapture, PhotoQualityChecker, PhotoQualityConfig, crop_portrait


def decode(jpeg: bytes) -> np.ndarray:
    assert jpeg[:2] == b"\xff\xd8"  # a JPEG, not some other encoding
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_the_burst_keeps_the_passing_frame(checker):
    good = portrait_frame("red", seed=1)
    burst = [
        cv2.GaussianBlur(portrait_frame("red", seed=2), (0, 0), 3),  # moved
        portrait_frame("red", face_centre_x=0.30, seed=3),  # leaned aside
        good,
        coffee_bgr(),  # resident stepped out
    ]
    best = checker.best_of_burst(burst, "red")
    assert best is not None
    frame, assessment = best
    assert assessment.ok
    assert frame is good


def test_a_burst_with_no_passing_frame_says_what_fails(checker):
    burst = [
        coffee_bgr(),
        portrait_frame("blue", face_centre_x=0.30),  # wrong colour and off centre
        portrait_frame("blue"),  # only the colour is wrong
    ]
    best = checker.best_of_burst(burst, "red")
    assert best is not None
    frame, assessment = best
    assert not assessment.ok
    assert frame is burst[2]
    assert [(c.name, c.message_msgid) for c in assessment.failing] == [
        ("background_colour", "The background must be red")
    ]


def test_an_empty_burst_gives_nothing(checker):
    assert checker.best_of_burst([], "white") is None


def test_the_saved_portrait_is_3_by_4_at_the_fixed_size_and_itself_passes(checker):
    frame = portrait_frame("blue", face_share=0.34, face_centre_x=0.45, face_centre_y=0.5)
    assessment = checker.assess(frame, "blue")
    jpeg = checker.crop_portrait(frame, assessment.face_box)
    image = decode(jpeg)
    assert image.shape == (640, 480, 3)
    again = checker.assess(image, "blue")
    assert again.ok, again.failing  # re-centred and re-sized to the office's framing
    assert abs(again.checks[2].value) < 0.03  # centred


def test_the_portrait_size_follows_the_config():
    config = PhotoQualityConfig(output_width=300)
    frame = portrait_frame("white")
    checker = PhotoQualityChecker(config)
    face = checker.assess(frame, "white").face_box
    assert decode(crop_portrait(frame, face, config)).shape == (400, 300, 3)


def test_a_face_near_the_frame_edge_still_gives_a_full_portrait(checker):
    frame = portrait_frame("white", face_share=0.34, face_centre_x=0.27, face_centre_y=0.3)
    face = checker.assess(frame, "white").face_box
    assert face is not None
    image = decode(checker.crop_portrait(frame, face))
    assert image.shape == (640, 480, 3)


def test_burst_capture_gives_the_flow_a_jpeg_and_named_checks(checker):
    bursts = iter([[portrait_frame("white", face_share=0.24)], [portrait_frame("white")]])
    capture = BurstCapture(lambda: next(bursts), checker)

    first = capture.capture("white")
    assert not first.ok
    assert first.failing == ["face_size"]
    assert first.messages == ["Face too small: come closer to the camera"]
    assert first.jpeg is not None  # kept, in case the operator accepts it with a reason

    second = capture.capture("white")
    assert second.ok
    assert second.failing == []
    assert all(second.checks.values())
    assert decode(second.jpeg).shape == (640, 480, 3)


def test_burst_capture_with_an_empty_burst_reports_no_face(checker):
    outcome = BurstCapture(list, checker).capture("white")
    assert (outcome.ok, outcome.jpeg, outcome.failing) == (False, None, ["face_count"])
