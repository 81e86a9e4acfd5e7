"""The emulated camera: plays still images or a video file at a set frame rate.

Frame number ``n`` is due ``n / fps`` seconds after :meth:`EmulatedCamera.start` on the
camera's clock; a reader slower than the frame rate skips frames, as with a real
camera. Test controls: :meth:`inject_fault` (``"no_frames"`` → reads time out,
``"black_frames"`` → black frames are delivered) and an injectable ``clock``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from hardware.camera.base import DEVICE, Camera, as_bgr_frame
from hardware.camera.images import default_frames
from hardware.errors import DeviceTimeout, DeviceUnavailable

CameraFault = Literal["no_frames", "black_frames"]


class StillFrames:
    """Frames from a list of images; frame ``n`` shows image ``n % len`` when looping."""

    def __init__(self, frames: Sequence[np.ndarray], *, loop: bool) -> None:
        if not frames:
            raise DeviceUnavailable("the emulated camera has no images to play", device=DEVICE)
        self._frames = [as_bgr_frame(frame) for frame in frames]
        self._loop = loop

    def frame_at(self, index: int) -> np.ndarray | None:
        if self._loop:
            return self._frames[index % len(self._frames)]
        return self._frames[index] if index < len(self._frames) else None

    def close(self) -> None:
        pass


class VideoFileFrames:
    """Frames decoded in order from a video file; frame ``n`` is the file's ``n``-th frame."""

    def __init__(self, path: str | Path, *, loop: bool) -> None:
        self._path = str(path)
        self._loop = loop
        self._length: int | None = None
        self._capture: Any = None
        self._position = 0
        self._last: np.ndarray | None = None
        capture = self._rewind()
        self.fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)

    def frame_at(self, index: int) -> np.ndarray | None:
        if self._length is not None:
            if not self._loop and index >= self._length:
                return None
            index %= self._length
        if index < self._position - 1:
            self._rewind()
        while self._position <= index:
            ok, frame = self._capture.read()
            if not ok:
                if self._position == 0:
                    raise DeviceUnavailable(f"video file {self._path} has no frames", device=DEVICE)
                self._length = self._position
                if not self._loop:
                    return None
                index %= self._length
                self._rewind()
                continue
            self._position += 1
            self._last = as_bgr_frame(frame)
        return self._last

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _rewind(self) -> Any:
        self.close()
        capture = cv2.VideoCapture(self._path)
        if not capture.isOpened():
            capture.release()
            raise DeviceUnavailable(f"cannot open video file {self._path}", device=DEVICE)
        self._capture = capture
        self._position = 0
        return capture


class EmulatedCamera(Camera):
    """Plays ``frames`` (BGR arrays; default: a real portrait) or ``video_path``.

    ``fps`` defaults to 15 for stills and to the file's own rate for a video.
    ``resolution`` ``(width, height)`` resizes every frame; by default frames keep
    their size. ``loop=False`` stops after the last frame (reads then time out).
    """

    def __init__(
        self,
        frames: Sequence[np.ndarray] | None = None,
        *,
        video_path: str | Path | None = None,
        fps: float | None = None,
        resolution: tuple[int, int] | None = None,
        loop: bool = True,
        read_timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(read_timeout=read_timeout, size=resolution or (0, 0))
        if frames is not None and video_path is not None:
            raise ValueError("give still frames or a video file, not both")
        self._frames = frames
        self._video_path = video_path
        self._loop = loop
        self._fps = fps
        self._wanted_size = resolution
        self._clock = clock
        self._lock = threading.Lock()
        self._source: StillFrames | VideoFileFrames | None = None
        self._playing_fps = fps or 15.0
        self._started_at = 0.0
        self.fault: CameraFault | None = None
        self.frame_number = -1
        self.frames_delivered = 0

    # -- test controls --------------------------------------------------------------------

    def show(self, frames: Sequence[np.ndarray]) -> None:
        """Change what the camera sees (a resident steps in front of it), from now on."""
        if not frames:
            raise ValueError("show at least one frame")
        with self._lock:
            self._frames = list(frames)
            self._video_path = None
            if self._source is not None:
                self._source.close()
                self._source = StillFrames(self._frames, loop=True)

    def inject_fault(self, fault: CameraFault | None) -> None:
        """``"no_frames"``: reads time out; ``"black_frames"``: frames are all black."""
        if fault not in (None, "no_frames", "black_frames"):
            raise ValueError(f"unknown camera fault {fault!r}")
        self.fault = fault

    def clear_fault(self) -> None:
        self.fault = None

    @property
    def fps(self) -> float:
        return self._playing_fps

    # -- Camera ---------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._source is not None

    def start(self) -> None:
        with self._lock:
            if self._source is not None:
                return
            if self._video_path is not None:
                video = VideoFileFrames(self._video_path, loop=self._loop)
                self._playing_fps = self._fps or video.fps or 15.0
                self._source = video
            else:
                frames = default_frames() if self._frames is None else self._frames
                self._source = StillFrames(frames, loop=self._loop)
                self._playing_fps = self._fps or 15.0
            first = self._source.frame_at(0)
            if self._wanted_size is None and first is not None:
                self._size = (first.shape[1], first.shape[0])
            self._started_at = self._clock()
            self.frame_number = -1

    def read_frame(self, timeout: float | None = None) -> np.ndarray:
        wait = self.read_timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if self._source is None:
                    raise DeviceUnavailable("the camera is not started", device=DEVICE)
                frame = self._next_due_frame()
                if frame is not None:
                    return frame
                pause = self._until_next_frame()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeout(f"the camera gave no frame within {wait:g} s", device=DEVICE)
            time.sleep(max(0.001, min(remaining, pause, 0.05)))

    def stop(self) -> None:
        with self._lock:
            source, self._source = self._source, None
            if source is not None:
                source.close()

    # -- plumbing -------------------------------------------------------------------------

    def _due_index(self) -> int:
        return int((self._clock() - self._started_at) * self._playing_fps)

    def _until_next_frame(self) -> float:
        due_at = (self.frame_number + 1) / self._playing_fps
        return due_at - (self._clock() - self._started_at)

    def _next_due_frame(self) -> np.ndarray | None:
        assert self._source is not None
        if self.fault == "no_frames":
            return None
        index = self._due_index()
        if index <= self.frame_number:
            return None
        frame = self._source.frame_at(index)
        if frame is None:  # the end of a non-looping source
            return None
        self.frame_number = index
        self.frames_delivered += 1
        if self._wanted_size is not None and (frame.shape[1], frame.shape[0]) != self._wanted_size:
            frame = cv2.resize(frame, self._wanted_size, interpolation=cv2.INTER_AREA)
        if self.fault == "black_frames":
            return np.zeros_like(frame)
        return frame.copy()
