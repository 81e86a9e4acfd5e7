"""The bundled region table and an office's own additions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError as ConfigError

from ektp.regions import RegionConfig, RegionTable


def test_all_38_provinces_are_known(regions: RegionTable) -> None:
    assert len(regions.provinces) == 38
    assert regions.provinces["64"] == "Kalimantan Timur"
    assert regions.provinces["65"] == "Kalimantan Utara"


def test_the_districts_of_berau(regions: RegionTable) -> None:
    berau = {code: name for code, name in regions.districts.items() if code.startswith("6403")}
    assert len(berau) == 13
    assert berau["640306"] == "Gunung Tabur"
    assert regions.accepts_district("640306")
    assert not regions.accepts_district("640342")


def test_office_district_and_its_villages(regions: RegionTable) -> None:
    assert regions.is_office_district("640306")
    assert not regions.is_office_district("640305")  # Tanjung Redeb: a foreign resident
    villages = set(regions.office_villages().values())
    assert {"Sambakungan", "Batu-Batu", "Pulau Besing"} <= villages
    assert len(villages) == 11


def test_an_office_adds_its_own_regions(tmp_path: Path) -> None:
    extra = tmp_path / "sangasanga.json"
    extra.write_text(
        json.dumps(
            {
                "districts": {"640215": "Sangasanga"},
                "villages": {"6402151001": "Sangasanga Dalam"},
                "complete": {"districts_of_regencies": ["6402"]},
            }
        )
    )
    table = RegionTable.from_config(
        RegionConfig(office_district_code="640215", extra_regions_file=extra)
    )
    assert table.office_villages() == {"6402151001": "Sangasanga Dalam"}
    assert not table.accepts_district("640299")  # Kutai Kartanegara is complete now


def test_config_rejects_unknown_fields_and_bad_codes() -> None:
    with pytest.raises(ConfigError):
        RegionConfig.model_validate({"office_district_code": "6403"})
    with pytest.raises(ConfigError):
        RegionConfig.model_validate({"office_district": "640306"})


def test_malformed_table_is_refused() -> None:
    with pytest.raises(ValueError, match="bad districts entry"):
        RegionTable.from_mapping({"provinces": {"64": "x"}, "districts": {"6403": "short"}})
