"""Thresholds of the photo checks, per office (TOML section ``[photo]``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BackgroundColour = Literal["white", "red", "blue"]
"""The background a resident's photo must have: white, or red / blue by birth year."""

PortraitShare = Annotated[float, Field(gt=0.0, lt=1.0)]
"""A share of the frame or portrait, strictly between 0 and 1."""

HsvLevel = Annotated[int, Field(ge=0, le=255)]
"""An HSV saturation or brightness on OpenCV's 0–255 scale."""

Luminance = Annotated[float, Field(ge=0, le=255)]
"""A mean luminance on the 0–255 scale."""


class PhotoQualityConfig(BaseModel):
    """What makes a booth photo acceptable, and the output it produces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    face_cascade: str = Field(
        default="haarcascade_frontalface_alt2.xml",
        description="OpenCV Haar cascade file (from cv2.data.haarcascades) that finds faces.",
    )
    eye_cascade: str = Field(
        default="haarcascade_eye.xml",
        description="OpenCV Haar cascade file that finds eyes inside the face.",
    )
    detection_height: int = Field(
        default=480,
        ge=120,
        le=2160,
        description="Frames taller than this are scaled down to it before face detection.",
    )
    min_face_share_detected: PortraitShare = Field(
        default=0.12,
        description=(
            "Smallest face (as a share of the frame height) the detector looks for; smaller "
            "faces, e.g. far behind the resident, are not counted."
        ),
    )
    face_min_share: PortraitShare = Field(
        default=0.32,
        description=(
            "Smallest height of the detected face box as a share of the 3:4 portrait "
            "height. The box runs from the forehead to the chin, about 0.55 of the head, "
            "so 0.40 means the head fills about 70% of the photo."
        ),
    )
    face_max_share: PortraitShare = Field(
        default=0.50,
        description="Largest face box height as a share of the 3:4 portrait height.",
    )
    centre_tolerance: float = Field(
        default=0.08,
        gt=0.0,
        lt=0.5,
        description=(
            "How far the face centre may sit from the portrait's vertical centre line, as a "
            "share of the portrait width."
        ),
    )
    max_eye_tilt_degrees: float = Field(
        default=6.0,
        gt=0.0,
        lt=45.0,
        description="Largest angle of the line between the eye centres.",
    )
    require_eyes: bool = Field(
        default=False,
        description=(
            "Fail the eyes check when the eyes are not found (else it is skipped: glasses "
            "and lighting make eye detection unreliable)."
        ),
    )
    background_max_std: float = Field(
        default=9.0,
        gt=0.0,
        description=(
            "Largest standard deviation (mean over the L*, a*, b* channels, 0–255 scale) of "
            "the background beside and above the head."
        ),
    )
    background_min_share: PortraitShare = Field(
        default=0.03,
        description="Least share of the portrait that must show background to judge it.",
    )
    white_max_saturation: HsvLevel = Field(
        default=45,
        description="Largest HSV saturation (0–255) of a white background.",
    )
    white_min_value: HsvLevel = Field(
        default=170, description="Least HSV brightness (0–255) of a white background."
    )
    colour_min_saturation: HsvLevel = Field(
        default=100, description="Least HSV saturation of a red or blue background."
    )
    colour_min_value: HsvLevel = Field(
        default=70, description="Least HSV brightness of a red or blue background."
    )
    red_max_hue_distance: int = Field(
        default=12,
        ge=0,
        le=90,
        description="Largest distance of a red background's hue from 0 (OpenCV hue, 0–179).",
    )
    blue_hue_range: tuple[int, int] = Field(
        default=(92, 128),
        description="OpenCV hue range (0–179) of an acceptable blue background.",
    )
    min_sharpness: float = Field(
        default=40.0,
        gt=0.0,
        description=(
            "Least variance of the Laplacian of the face, measured on the face scaled to "
            "160 pixels square."
        ),
    )
    exposure_min_mean: Luminance = Field(
        default=80.0, description="Least mean luminance (0–255) of the face."
    )
    exposure_max_mean: Luminance = Field(
        default=205.0, description="Largest mean luminance (0–255) of the face."
    )
    max_clipped_share: float = Field(
        default=0.08,
        ge=0.0,
        le=1.0,
        description="Largest share of face pixels that are burnt white (≥ 250) or black (≤ 5).",
    )
    output_width: int = Field(
        default=480, ge=120, le=2400, description="Width in pixels of the saved portrait (3:4)."
    )
    jpeg_quality: int = Field(
        default=92, ge=50, le=100, description="JPEG quality of the portrait."
    )
    portrait_face_share: PortraitShare = Field(
        default=0.40,
        description="Face box height as a share of the saved portrait's height.",
    )
    portrait_face_centre_y: PortraitShare = Field(
        default=0.42,
        description="Height of the face box centre in the saved portrait, from the top.",
    )

    @property
    def output_height(self) -> int:
        return self.output_width * 4 // 3

    @model_validator(mode="after")
    def _bands_are_ordered(self) -> PhotoQualityConfig:
        if self.face_min_share >= self.face_max_share:
            raise ValueError("face_min_share must be below face_max_share")
        if self.exposure_min_mean >= self.exposure_max_mean:
            raise ValueError("exposure_min_mean must be below exposure_max_mean")
        if self.output_width % 3:
            raise ValueError("output_width must be a multiple of 3 (the portrait is 3:4)")
        low, high = self.blue_hue_range
        if not 0 <= low < high <= 179:
            raise ValueError("blue_hue_range must be two increasing hues within 0–179")
        return self
