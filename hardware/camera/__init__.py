"""The camera: picamera2 on a Pi, OpenCV for a USB webcam, and an emulated camera."""

from hardware.camera.base import Camera, as_bgr_frame, is_black_frame
from hardware.camera.config import (
    CameraConfig,
    EmulatedCameraConfig,
    OpenCvCameraConfig,
    Picamera2CameraConfig,
    open_camera,
)
from hardware.camera.emulated import CameraFault, EmulatedCamera
from hardware.camera.images import colour_bars, default_frames, load_image_files
from hardware.camera.opencv_backend import OpenCvCamera
from hardware.camera.picamera2_backend import Picamera2Camera

__all__ = [
    "Camera",
    "CameraConfig",
    "CameraFault",
    "EmulatedCamera",
    "EmulatedCameraConfig",
    "OpenCvCamera",
    "OpenCvCameraConfig",
    "Picamera2Camera",
    "Picamera2CameraConfig",
    "as_bgr_frame",
    "colour_bars",
    "default_frames",
    "is_black_frame",
    "load_image_files",
    "open_camera",
]
