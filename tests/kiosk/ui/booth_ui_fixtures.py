"""A real booth for the UI tests: emulated devices from a booth config, its resident.

Shared by the test modules (pytest side) and the scenarios (inside the driver
subprocess). The booth config comes from ``tests/kiosk/booth_fixtures.py``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "kiosk"))

from booth_fixtures import (
    BoothSetup,
    resident_kk,
    resident_nik,
    write_booth_config,
)

from hardware.fingerprint.synthetic import encode_template, identity_features

OPERATOR_ID = "OP-0007"
OPERATOR_NAME = "Siti Rahma"
OPERATOR_PIN = "135790"
RESIDENT_NAME = "Ani Lestari"
RESIDENT_KELURAHAN = "Gunung Tabur"


def resident() -> tuple[str, str]:
    """The NIK and KK of the resident every booth scenario checks in and records."""
    return resident_nik(1), resident_kk(3)


def write_ui_booth_config(
    directory: Path, *, speed: float = 20.0, capture_seconds: float | None = None
) -> BoothSetup:
    """A booth config with emulated devices; the fingerprint emulator at ``speed``.

    With ``capture_seconds`` (one image with a finger on the glass), the driver waits
    longer for each reply than that.
    """
    setup = write_booth_config(directory)
    text = re.sub(r"(?m)^speed = .*$", f"speed = {speed}", setup.config_path.read_text())
    if capture_seconds is not None:
        text = text.replace(
            f"speed = {speed}\n",
            f"speed = {speed}\ncapture_seconds = {capture_seconds}\n"
            f"timeout = {capture_seconds / speed + 3.0}\n",
        )
    setup.config_path.write_text(text)
    return setup


def card_template(identity: str, quality: int = 95) -> bytes:
    """The template a printed e-KTP holds for the finger the emulator calls ``identity``."""
    return encode_template(identity_features(identity), quality)


__all__ = [
    "OPERATOR_ID",
    "OPERATOR_NAME",
    "OPERATOR_PIN",
    "RESIDENT_KELURAHAN",
    "RESIDENT_NAME",
    "BoothSetup",
    "card_template",
    "resident",
    "write_ui_booth_config",
]
