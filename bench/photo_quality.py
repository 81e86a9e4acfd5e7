"""Photo quality check speed at 640×480 on one core, against bare face detection.

``python -m bench.photo_quality [--quick]`` prints a table; ``run(quick)`` returns
the rows for a report. The frame is scikit-image's astronaut portrait placed on a
plain wall in a 640×480 camera frame, so every check runs (one face is found).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import cv2
import numpy as np
from skimage import data

from bench.report import table
from kiosk.photo import PhotoQualityChecker, PhotoQualityConfig
from kiosk.photo.detect import FaceDetector, to_gray

FRAME_WIDTH, FRAME_HEIGHT = 640, 480


def camera_frame() -> np.ndarray:
    """A 640×480 BGR frame: the astronaut (480×480) centred on a white wall."""
    person = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    person = cv2.resize(person, (FRAME_HEIGHT, FRAME_HEIGHT), interpolation=cv2.INTER_AREA)
    frame = np.full((FRAME_HEIGHT, FRAME_WIDTH, 3), 238, np.uint8)
    left = (FRAME_WIDTH - FRAME_HEIGHT) // 2
    frame[:, left : left + FRAME_HEIGHT] = person
    return frame


def _per_second(action: Callable[[], object], repeats: int) -> float:
    action()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        action()
    return repeats / (time.perf_counter() - start)


def _row(name: str, value: float, unit: str, baseline: str, baseline_value: float) -> dict:
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(baseline_value, 2),
        "ratio": round(value / baseline_value, 3) if baseline_value else None,
    }


def run(quick: bool) -> list[dict]:
    """Measure on one OpenCV thread; ``quick`` uses fewer repetitions."""
    previous_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        repeats = 8 if quick else 40
        config = PhotoQualityConfig()
        checker = PhotoQualityChecker(config)
        detector = FaceDetector(config)
        frame = camera_frame()
        verdict = checker.assess(frame, "white")
        if verdict.face_box is None:
            raise RuntimeError("the benchmark frame has no detectable face")

        detect_fps = _per_second(lambda: detector.faces(to_gray(frame)), repeats)
        assess_fps = _per_second(lambda: checker.assess(frame, "white"), repeats)
        crop_fps = _per_second(lambda: checker.crop_portrait(frame, verdict.face_box), repeats)
        encode_fps = _per_second(lambda: cv2.imencode(".jpg", frame), repeats)
        detection = "bare face detection (gray + alt2 cascade), same frame"
        return [
            _row("photo_quality_check_640x480", assess_fps, "frames/s", detection, detect_fps),
            _row(
                "photo_quality_check_640x480_time",
                1000.0 / assess_fps,
                "ms/frame",
                detection,
                1000.0 / detect_fps,
            ),
            _row(
                "portrait_crop_jpeg_480x640",
                crop_fps,
                "portraits/s",
                "plain JPEG encoding of the 640×480 frame",
                encode_fps,
            ),
        ]
    finally:
        cv2.setNumThreads(previous_threads)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    print(table(run(args.quick)))


if __name__ == "__main__":
    main()
