"""Configuration of the camera: ``picamera2`` (Pi), ``opencv`` (USB webcam) or ``emulated``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from hardware.camera.base import Camera
from hardware.camera.emulated import EmulatedCamera
from hardware.camera.images import load_image_files
from hardware.camera.opencv_backend import OpenCvCamera
from hardware.camera.picamera2_backend import Picamera2Camera
from hardware.config_types import ConfigSection, Duration, FrameRate, Pixels


class _SizeFields(ConfigSection):
    width: Pixels | None = Field(None, description="Frame width in pixels (with height).")
    height: Pixels | None = Field(None, description="Frame height in pixels (with width).")
    read_timeout: Duration = Field(2.0, description="Seconds to wait for one frame.")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither")
        return self

    def size(self) -> tuple[int, int] | None:
        return None if self.width is None or self.height is None else (self.width, self.height)


class Picamera2CameraConfig(_SizeFields):
    """The Raspberry Pi camera module through picamera2."""

    backend: Literal["picamera2"] = Field("picamera2", description="Pi camera via libcamera.")
    camera_num: int = Field(0, ge=0, description="Which Pi camera (0 = the first).")
    width: Pixels | None = Field(1280, description="Frame width in pixels.")
    height: Pixels | None = Field(960, description="Frame height in pixels.")


class OpenCvCameraConfig(_SizeFields):
    """A USB webcam (or a video file / stream URL) through OpenCV."""

    backend: Literal["opencv"] = Field("opencv", description="USB webcam via OpenCV.")
    source: int | str = Field(
        0, description="Camera index (0 = /dev/video0), device path, or video file path."
    )
    fps: FrameRate | None = Field(None, description="Frame rate to ask the camera for.")
    open_timeout: Duration = Field(10.0, description="Seconds to wait for the camera to open.")


class EmulatedCameraConfig(_SizeFields):
    """Plays still images or a video file; with neither, a real portrait photograph."""

    backend: Literal["emulated"] = Field("emulated", description="Play images or a video.")
    image_paths: list[Path] = Field(
        default_factory=list, description="Image files to show in turn (empty: the default)."
    )
    video_path: Path | None = Field(None, description="A video file to play instead of images.")
    fps: FrameRate | None = Field(
        None, description="Frames per second (default 15, or the video's own rate)."
    )
    loop: bool = Field(True, description="Start again after the last image or video frame.")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.image_paths and self.video_path is not None:
            raise ValueError("give image_paths or video_path, not both")
        return self


CameraConfig = Annotated[
    Picamera2CameraConfig | OpenCvCameraConfig | EmulatedCameraConfig,
    Field(discriminator="backend"),
]


def open_camera(
    config: Picamera2CameraConfig | OpenCvCameraConfig | EmulatedCameraConfig,
) -> Camera:
    """Build the configured camera (not started: call ``start()``)."""
    if isinstance(config, EmulatedCameraConfig):
        return EmulatedCamera(
            load_image_files(config.image_paths) if config.image_paths else None,
            video_path=config.video_path,
            fps=config.fps,
            resolution=config.size(),
            loop=config.loop,
            read_timeout=config.read_timeout,
        )
    if isinstance(config, OpenCvCameraConfig):
        width, height = config.size() or (None, None)
        return OpenCvCamera(
            config.source,
            width=width,
            height=height,
            fps=config.fps,
            read_timeout=config.read_timeout,
            open_timeout=config.open_timeout,
        )
    width, height = config.size() or (1280, 960)
    return Picamera2Camera(
        config.camera_num, width=width, height=height, read_timeout=config.read_timeout
    )
