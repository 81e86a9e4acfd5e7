"""A scripted session for ``rekam-kiosk --headless --script FILE`` (TOML).

It plays the people — residents at the touchscreen and at the sensor, an operator
with a card — against emulated devices, so the whole flow runs without a screen.

    [operator]
    operator_id = "OP-0001"
    name = "Siti Rahma"
    pin = "246810"          # the emulated card's PIN

    [[residents]]
    nik = "6403065402900001"
    kk = "6403061203150002"
    name = "Ani Lestari"
    kelurahan = "Gunung Tabur"
    finger_exceptions = { left_little = "missing" }
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ektp.record import Finger, FingerExceptionReason
from ektp.services import ServiceType


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScriptOperator(_Model):
    operator_id: str = Field(default="OP-0001", description="Id stored on the emulated card.")
    name: str = Field(default="Operator Latihan", description="Name on the emulated card.")
    pin: SecretStr = Field(
        default=SecretStr("246810"), description="The card's PIN (never logged)."
    )


class ScriptResident(_Model):
    nik: str = Field(description="The NIK the resident types.")
    kk: str = Field(description="The KK number the resident types.")
    name: str = Field(description="The resident's name in the roster.")
    kelurahan: str = Field(default="Gunung Tabur", description="The resident's village.")
    service: ServiceType = Field(default=ServiceType.NEW_RECORDING, description="Service.")
    in_roster: bool = Field(default=True, description="Whether the office roster has them.")
    finger_quality: int = Field(default=90, ge=0, le=100, description="How clear the prints are.")
    finger_exceptions: dict[Finger, FingerExceptionReason] = Field(
        default_factory=dict, description="Fingers that cannot be captured, with the reason."
    )


class EnrollmentScript(_Model):
    operator: ScriptOperator = Field(default_factory=ScriptOperator, description="Who captures.")
    mode: Literal["recording", "training"] = Field(
        default="recording",
        description='"training": the operator practises on practice residents (kiosk.training); '
        "the residents' NIKs are then ignored, their finger quality and exceptions are used.",
    )
    residents: list[ScriptResident] = Field(min_length=1, description="Who comes, in order.")


def load_script(path: Path) -> EnrollmentScript:
    with path.open("rb") as f:
        return EnrollmentScript.model_validate(tomllib.load(f))
