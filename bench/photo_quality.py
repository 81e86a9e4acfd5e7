"""Photo quality check speed at 640×480 on one core, against bare face detection.

``python -m bench.photo_quality [--quick]`` prints a table; ``run(quick)`` returns
the rows for a report. The frame is scikit-image's astronaut portrait placed on a
plain wall in a 640×480 camera frame; it passes the gate, so every check runs.

Rows: the whole gate on single frames (detector + landmarks + every check) and on a
live stream (the face followed between detections), each against the bare detector in
the same run; the detector against OpenCV's Haar cascade that the gate used before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bench.report import make_row, print_table_main
from hardware.camera.scenes import landscape_camera_frame, portrait_frame
from kiosk.photo import PhotoQualityChecker, PhotoQualityConfig
from kiosk.photo.detect import to_gray


def camera_frame() -> np.ndarray:
    """A 640×480 BGR frame: the astronaut cut out of her studio backdrop and placed right
    in front of a white wall (the emulated camera's demo scene)."""
    return landscape_camera_frame(portrait_frame("white"))


def _per_second(action: Callable[[], object], repeats: int) -> float:
    action()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        action()
    return repeats / (time.perf_counter() - start)


def _row(name: str, value: float, unit: str, baseline: str, baseline_value: float) -> dict:
    return make_row(name, value, unit, baseline, baseline_value, places=2, ratio_places=3)


def run(quick: bool) -> list[dict]:
    """Measure on one OpenCV thread; ``quick`` uses fewer repetitions."""
    previous_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        repeats = 20 if quick else 200
        config = PhotoQualityConfig()
        checker = PhotoQualityChecker(config)
        frame = camera_frame()
        verdict = checker.assess(frame, "white")
        if not verdict.ok:
            raise RuntimeError(f"the benchmark frame fails the gate: {verdict.failing}")
        tracker = checker.tracker()
        haar = cv2.CascadeClassifier(
            str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_alt2.xml")  # type: ignore[attr-defined]
        )

        def haar_faces() -> object:
            return haar.detectMultiScale(
                cv2.equalizeHist(to_gray(frame)), scaleFactor=1.1, minNeighbors=4, minSize=(58, 58)
            )

        detect_fps = _per_second(lambda: checker.detector.detect(frame), repeats)
        assess_fps = _per_second(lambda: checker.assess(frame, "white"), repeats)
        live_fps = _per_second(lambda: checker.assess(frame, "white", tracker), repeats)
        haar_fps = _per_second(haar_faces, max(4, repeats // 5))
        crop_fps = _per_second(lambda: checker.crop_portrait(frame, verdict.face_box), repeats)
        encode_fps = _per_second(lambda: cv2.imencode(".jpg", frame), repeats)
        detection = "bare face detection (BlazeFace, no landmarks), same frame"
        return [
            _row("photo_quality_check_640x480", assess_fps, "frames/s", detection, detect_fps),
            _row(
                "photo_quality_check_640x480_time",
                1000.0 / assess_fps,
                "ms/frame",
                detection,
                1000.0 / detect_fps,
            ),
            _row("photo_quality_live_640x480", live_fps, "frames/s", detection, detect_fps),
            _row(
                "face_detection_640x480",
                detect_fps,
                "frames/s",
                "Haar cascade alt2 on the equalised frame (the gate's former detector)",
                haar_fps,
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
    description = __doc__.splitlines()[0]
    print_table_main(run, argv, description=description, quick_help="fewer repetitions")


if __name__ == "__main__":
    main()
