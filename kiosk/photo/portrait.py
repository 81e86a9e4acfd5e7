"""The saved photo: a 3:4 crop around the face, at the office's fixed size, as JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.config.photo import PhotoQualityConfig
from kiosk.photo.detect import Box, portrait_area
from kiosk.photo.geometry import portrait_box


def portrait_crop(
    frame: np.ndarray, face_box: Box | None, config: PhotoQualityConfig
) -> np.ndarray:
    """The portrait as a BGR array of ``output_width × output_height``.

    With a face (the face box from the landmarks, chin to forehead), the crop makes
    chin-to-crown ``portrait_head_share`` of its height with the crown
    ``portrait_crown_margin`` below its top, centred on the face — slid back inside the
    frame when it would cross an edge, or filled out with the wall's colour when larger
    than the frame. Without a face (an operator's override), the frame's central 3:4 area
    is used.
    """
    if face_box is None:
        area = portrait_area(frame.shape)
        crop = frame[area.y : area.y + area.h, area.x : area.x + area.w]
    else:
        box = portrait_box(face_box, config.portrait_head_share, config.portrait_crown_margin)
        crop = _crop_with_edge(frame, box)
    size = (config.output_width, config.output_height)
    shrinking = crop.shape[0] > config.output_height
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the portrait could not be encoded as JPEG")
    return encoded.tobytes()


def _crop_with_edge(frame: np.ndarray, box: Box) -> np.ndarray:
    """The box's pixels. A box that fits in the frame is slid inside it; a larger one
    is filled out with the frame's border colour (the wall behind the resident)."""
    height, width = frame.shape[:2]
    x = min(max(box.x, 0), width - box.w) if box.w <= width else box.x
    y = min(max(box.y, 0), height - box.h) if box.h <= height else box.y
    pad_left, pad_top = max(0, -x), max(0, -y)
    pad_right = max(0, x + box.w - width)
    pad_bottom = max(0, y + box.h - height)
    if pad_left or pad_top or pad_right or pad_bottom:
        frame = cv2.copyMakeBorder(
            frame,
            pad_top,
            pad_bottom,
            pad_left,
            pad_right,
            cv2.BORDER_CONSTANT,
            value=_border_colour(frame),
        )
    x, y = x + pad_left, y + pad_top
    return frame[y : y + box.h, x : x + box.w]


def _border_colour(frame: np.ndarray) -> tuple[float, ...]:
    edge = np.concatenate([frame[0], frame[:, 0], frame[:, -1]])
    return tuple(float(v) for v in np.median(edge, axis=0))
