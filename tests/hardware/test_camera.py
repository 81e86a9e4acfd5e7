"""The emulated camera and the OpenCV backend (reading generated video files).

The picamera2 backend needs libcamera, which exists only on a Raspberry Pi: it is not
exercised here beyond saying clearly that it is unavailable.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from camera_fixtures import (
    COLOURS,
    ManualClock,
    close_to,
    colour_video_fixture,
    solid_frame,
    write_video,
)
from pydantic import TypeAdapter, ValidationError

from hardware.camera import (
    CameraConfig,
    EmulatedCamera,
    EmulatedCameraConfig,
    OpenCvCamera,
    OpenCvCameraConfig,
    Picamera2CameraConfig,
    colour_bars,
    is_black_frame,
    open_camera,
)
from hardware.errors import DeviceTimeout, DeviceUnavailable

RED, GREEN, BLUE = COLOURS[0], COLOURS[1], COLOURS[2]


def test_default_emulated_camera_shows_one_real_face() -> None:
    with open_camera(EmulatedCameraConfig()) as camera:
        camera.start()
        frame = camera.read_frame()
    assert frame.dtype == np.uint8
    assert frame.shape == (512, 512, 3)
    assert camera.resolution == (512, 512)
    cascades = Path(cv2.__file__).parent / "data"
    cascade = cv2.CascadeClassifier(str(cascades / "haarcascade_frontalface_alt2.xml"))
    assert not cascade.empty()
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(64, 64))
    assert len(faces) == 1


def test_stills_advance_one_image_per_frame_period() -> None:
    clock = ManualClock()
    camera = EmulatedCamera(
        [solid_frame(RED), solid_frame(GREEN), solid_frame(BLUE)], fps=10, clock=clock
    )
    with camera:
        camera.start()
        assert close_to(camera.read_frame(), RED)
        with pytest.raises(DeviceTimeout):  # the next frame is not due yet
            camera.read_frame(timeout=0.2)
        clock.advance(0.1)
        assert close_to(camera.read_frame(), GREEN)
        clock.advance(0.25)  # 2.5 periods later: frame 3 is due, frame 2 was missed
        assert close_to(camera.read_frame(), RED)
        assert camera.frame_number == 3
        assert camera.frames_delivered == 3


def test_stills_without_loop_stop_after_the_last_image() -> None:
    clock = ManualClock()
    camera = EmulatedCamera([solid_frame(RED)], fps=5, loop=False, clock=clock)
    with camera:
        camera.start()
        camera.read_frame()
        clock.advance(1.0)
        with pytest.raises(DeviceTimeout):
            camera.read_frame(timeout=0.2)


def test_no_frames_fault_times_out_and_recovers() -> None:
    clock = ManualClock()
    with EmulatedCamera([solid_frame(GREEN)], fps=10, clock=clock) as camera:
        camera.start()
        camera.inject_fault("no_frames")
        clock.advance(1.0)
        with pytest.raises(DeviceTimeout) as caught:
            camera.read_frame(timeout=0.3)
        assert caught.value.device == "camera"
        assert not camera.self_test().ok
        camera.clear_fault()
        assert close_to(camera.read_frame(), GREEN)


def test_black_frames_are_delivered_but_fail_the_self_test() -> None:
    with open_camera(EmulatedCameraConfig(fps=50)) as camera:
        assert isinstance(camera, EmulatedCamera)
        camera.inject_fault("black_frames")
        camera.start()
        frame = camera.read_frame()
        assert frame.shape == (512, 512, 3)
        assert not frame.any()
        result = camera.self_test()
        assert not result.ok
        assert result.detail == "camera delivers only black frames"
        camera.clear_fault()
        assert camera.self_test().ok


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown camera fault"):
        EmulatedCamera().inject_fault("smudge")  # type: ignore[arg-type]


def test_configured_resolution_resizes_frames() -> None:
    config = EmulatedCameraConfig(width=320, height=240, fps=50)
    with open_camera(config) as camera:
        camera.start()
        assert camera.read_frame().shape == (240, 320, 3)
        assert camera.resolution == (320, 240)


def test_image_files_are_played_in_order(tmp_path: Path) -> None:
    paths = []
    for number, colour in enumerate((RED, BLUE)):
        path = tmp_path / f"shot{number}.png"
        assert cv2.imwrite(str(path), solid_frame(colour))
        paths.append(path)
    camera = open_camera(EmulatedCameraConfig(image_paths=paths, fps=10))
    assert isinstance(camera, EmulatedCamera)
    with camera:
        camera.start()
        seen = [camera.read_frame(timeout=5) for _ in range(4)]
    # a slow machine may skip frames, but every frame is one of the files, in its slot
    assert camera.frames_delivered == 4
    assert all(close_to(frame, RED) or close_to(frame, BLUE) for frame in seen)
    assert (camera.frame_number % 2 == 0) == close_to(seen[-1], RED)


def test_missing_image_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable, match="cannot read image file"):
        open_camera(EmulatedCameraConfig(image_paths=[tmp_path / "nope.png"]))


def test_emulated_camera_plays_a_video_file_at_its_own_rate(colour_video: Path) -> None:
    clock = ManualClock()
    with EmulatedCamera(video_path=colour_video, clock=clock) as camera:
        camera.start()
        assert camera.fps == pytest.approx(10.0)
        seen = []
        for _ in range(len(COLOURS) + 2):  # past the end: the video loops
            seen.append(camera.read_frame())
            clock.advance(0.1)
    expected = [*COLOURS, COLOURS[0], COLOURS[1]]
    assert all(close_to(frame, colour) for frame, colour in zip(seen, expected, strict=True))
    assert camera.resolution == (160, 120)


def test_opencv_camera_reads_every_frame_of_a_video_then_reports_the_end(
    colour_video: Path,
) -> None:
    camera = open_camera(OpenCvCameraConfig(source=str(colour_video), read_timeout=10))
    assert isinstance(camera, OpenCvCamera)
    with camera:
        camera.start()
        assert camera.resolution == (160, 120)
        frames = [camera.read_frame() for _ in COLOURS]
        with pytest.raises(DeviceUnavailable, match="no frame"):
            camera.read_frame()
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert all(close_to(frame, colour) for frame, colour in zip(frames, COLOURS, strict=True))
    assert not camera.started


def test_opencv_self_test_passes_on_a_picture_and_flags_black_video(tmp_path: Path) -> None:
    good = write_video(tmp_path / "good.avi", [colour_bars(160, 120)] * 4)
    black = write_video(tmp_path / "black.avi", [solid_frame((0, 0, 0))] * 4)
    assert OpenCvCamera(str(good)).self_test().ok
    result = OpenCvCamera(str(black)).self_test()
    assert not result.ok
    assert result.detail == "camera delivers only black frames"


def test_opencv_camera_that_cannot_open_is_unavailable(tmp_path: Path) -> None:
    camera = OpenCvCamera(str(tmp_path / "no-such-camera.avi"))
    with pytest.raises(DeviceUnavailable, match="cannot open camera"):
        camera.start()
    with pytest.raises(DeviceUnavailable, match="not started"):
        camera.read_frame()
    assert "cannot open camera" in camera.self_test().detail


@pytest.mark.skipif(
    importlib.util.find_spec("picamera2") is not None, reason="picamera2 is installed"
)
def test_picamera2_off_a_pi_says_why_it_is_unavailable() -> None:
    camera = open_camera(Picamera2CameraConfig())
    with pytest.raises(DeviceUnavailable, match="Raspberry Pi"):
        camera.start()
    assert not camera.self_test().ok


def test_black_frame_rule() -> None:
    assert is_black_frame(solid_frame((0, 0, 0)))
    assert is_black_frame(solid_frame((10, 12, 8)))
    assert not is_black_frame(colour_bars())
    dim_but_visible = solid_frame((60, 60, 60))
    assert not is_black_frame(dim_but_visible)


def test_config_union_and_validation() -> None:
    adapter: TypeAdapter[object] = TypeAdapter(CameraConfig)
    assert isinstance(
        adapter.validate_python({"backend": "opencv", "source": 1}), OpenCvCameraConfig
    )
    assert isinstance(adapter.validate_python({"backend": "picamera2"}), Picamera2CameraConfig)
    with pytest.raises(ValidationError, match="both width and height"):
        adapter.validate_python({"backend": "emulated", "width": 640})
    with pytest.raises(ValidationError, match="not both"):
        adapter.validate_python(
            {"backend": "emulated", "image_paths": ["a.png"], "video_path": "b.avi"}
        )
    with pytest.raises(ValidationError):
        adapter.validate_python({"backend": "real"})
