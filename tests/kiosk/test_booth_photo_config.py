"""The office's photo thresholds are the booth TOML's ``[photo]`` section: a bad value is
refused naming the field, a good one is what the booth's photo gate judges with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from booth_fixtures import running_booth, write_booth_config
from pydantic import ValidationError

from hardware.camera.scenes import scene
from kiosk.booth import Booth
from kiosk.cli import main as kiosk_main
from kiosk.config.booth import load_booth_config
from kiosk.photo import PhotoQualityChecker


def test_a_bad_photo_value_is_refused_naming_the_field(tmp_path: Path) -> None:
    setup = write_booth_config(tmp_path, extra="[photo]\nface_min_share = 1.5\n")
    with pytest.raises(ValidationError) as refused:
        load_booth_config(setup.config_path)
    assert "photo.face_min_share" in str(refused.value)


def test_a_misspelt_photo_field_is_refused_by_name(tmp_path: Path) -> None:
    setup = write_booth_config(tmp_path, extra="[photo]\nface_min_shere = 0.3\n")
    with pytest.raises(ValidationError) as refused:
        load_booth_config(setup.config_path)
    assert "photo.face_min_shere" in str(refused.value)


def test_the_booth_command_names_the_bad_photo_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = write_booth_config(tmp_path, extra="[photo]\njpeg_quality = 7000\n")
    assert kiosk_main(["--config", str(setup.config_path)]) == 2
    assert "photo.jpeg_quality" in capsys.readouterr().err


@pytest.fixture
def lenient_booth(tmp_path: Path, smartcard_pcscd: object) -> Iterator[Booth]:
    """An office that accepts smaller faces than the default (a lower-resolution portrait)."""
    lenient = "[photo]\nface_min_share = 0.25\nmin_portrait_pixels = 200\n"
    with running_booth(write_booth_config(tmp_path, extra=lenient)) as booth:
        yield booth


def test_the_booth_gate_judges_with_the_office_photo_section(lenient_booth: Booth) -> None:
    far = scene("too_far", "blue")  # the resident stands a step back
    default_verdict = PhotoQualityChecker().assess(far, "blue")
    assert "face_size" in [c.name for c in default_verdict.failing]
    gate = lenient_booth.photo_checker
    assert gate is not None
    assert gate.assess(far, "blue").ok  # the same resident passes this office's gate
