"""The emulated camera served as MJPEG over HTTP on a loopback port.

Motion JPEG over HTTP (``multipart/x-mixed-replace``) is what IP cameras and
``mjpg-streamer`` serve, so standard clients read it: OpenCV
(``cv2.VideoCapture("http://127.0.0.1:PORT/stream.mjpg")``, and so the booth's own
``opencv`` camera backend with that URL as its ``source``), ffmpeg/ffplay, VLC, a
browser; ``curl http://127.0.0.1:PORT/frame.jpg`` takes one still.

One thread reads the camera at its frame rate and keeps the latest frame as JPEG;
every client gets each new frame, so two viewers do not split the frames between them.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2

from hardware.camera.base import Camera
from hardware.errors import DeviceError, DeviceUnavailable

DEVICE = "camera"
BOUNDARY = "rekamframe"
JPEG_QUALITY = 85
_WAIT_SECONDS = 2.0


class _LatestFrame:
    """The newest JPEG and its number; readers wait for a newer one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._jpeg = b""
        self._number = 0
        self.closed = False

    def put(self, jpeg: bytes) -> None:
        with self._changed:
            self._jpeg, self._number = jpeg, self._number + 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def newer_than(self, number: int, timeout: float) -> tuple[int, bytes] | None:
        with self._changed:
            self._changed.wait_for(lambda: self._number > number or self.closed, timeout)
            if self.closed or self._number <= number:
                return None
            return self._number, self._jpeg


class MjpegCameraServer:
    """Serves ``camera`` at ``http://127.0.0.1:<port>/stream.mjpg`` and ``/frame.jpg``."""

    def __init__(self, camera: Camera, port: int = 0) -> None:
        self._camera = camera
        self._latest = _LatestFrame()
        self._stop = threading.Event()
        latest, stop = self._latest, self._stop

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/frame.jpg":
                    self._still()
                elif self.path == "/stream.mjpg":
                    self._stream()
                else:
                    self.send_error(404, "try /stream.mjpg or /frame.jpg")

            def _still(self) -> None:
                frame = latest.newer_than(0, _WAIT_SECONDS)
                if frame is None:
                    self.send_error(503, "the camera gives no frame")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(frame[1])))
                self.end_headers()
                self.wfile.write(frame[1])

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                number = 0
                while not stop.is_set():
                    frame = latest.newer_than(number, _WAIT_SECONDS)
                    if frame is None:
                        continue
                    number, jpeg = frame
                    part = (
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(jpeg)}\r\n\r\n"
                    ).encode("ascii")
                    try:
                        self.wfile.write(part + jpeg + b"\r\n")
                    except OSError:  # the viewer went away
                        return

            def log_message(self, format: str, *args: object) -> None:
                pass  # no access log on the terminal

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as err:
            raise DeviceUnavailable(
                f"Cannot serve the camera on port {port}: {err}", device=DEVICE
            ) from err
        self._server.daemon_threads = True
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def stream_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    @property
    def still_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/frame.jpg"

    def start(self) -> None:
        """Start the camera, the frame reader and the HTTP server; return at once."""
        self._camera.start()
        self._threads = [
            threading.Thread(target=self._grab, name="camera-grab", daemon=True),
            threading.Thread(target=self._server.serve_forever, name="camera-http", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop serving, reading and the camera. Idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._latest.close()
        if self._threads:
            self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._camera.close()

    def _grab(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._camera.read_frame(timeout=_WAIT_SECONDS)
            except DeviceError:  # no frame for now (a fault, the end of a non-looping video)
                self._stop.wait(0.1)
                continue
            ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                self._latest.put(jpeg.tobytes())
