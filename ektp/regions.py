"""Region codes (Kemendagri): province (2 digits), regency (4), district (6), village (10).

A :class:`RegionTable` answers "is this code known?" for the NIK and KK checks and
"is this resident from our own district?" for the supervisor flags. Its data is the
official table in ``ektp/region_data/`` (every province, regency, district and village
of the decree named in its ``index.json``, built by ``scripts/build_region_table.py``).
Each office loads what its ``[region]`` section chooses: every province and regency,
plus the districts and villages of its own regency, province or the whole country
(``checked``). A code is refused only where the table claims completeness: under a
regency whose districts are loaded, a district not in the list does not exist. Outside
that, an unknown district is accepted: NIKs keep the codes of the year they were issued,
and a district later moved to a new regency keeps its old code in old NIKs. Papua's
provinces (renumbered in 2022) are never complete, for the same reason. An office adds
what the decree no longer lists (retired codes) with an extra JSON file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TABLE_PACKAGE_DIR = "region_data"
DEFAULT_OFFICE_DISTRICT = "640306"
_LEVELS = {"provinces": 2, "regencies": 4, "districts": 6, "villages": 10}
NO_SUCH_NUMBER = "00"
"""A regency or district number that no region has (numbering starts at 01)."""

Checked = Literal["regency", "province", "country"]


class RegionConfig(BaseModel):
    """The office's region settings (``[region]`` of booth.toml and edge.toml)."""

    model_config = ConfigDict(extra="forbid")

    office_district_code: str = Field(
        default=DEFAULT_OFFICE_DISTRICT,
        pattern=r"^[0-9]{6}$",
        description="The 6-digit district (kecamatan) code of this office; Gunung Tabur is "
        "640306. Its first 2 digits are the office's province, its first 4 its regency.",
    )
    checked: Checked = Field(
        default="regency",
        description='Where district codes are checked against the official table: "regency" '
        '(the office\'s regency), "province" (every regency of its province) or "country". '
        "Elsewhere a district code is accepted unchecked (old NIKs keep retired codes).",
    )
    table_dir: Path | None = Field(
        default=None,
        description="Another official table in the layout of ektp/region_data (e.g. a newer "
        "decree, built by scripts/build_region_table.py); none = the one shipped.",
    )
    extra_regions_file: Path | None = Field(
        default=None,
        description="Optional JSON file with more regions (e.g. retired codes still in old "
        "NIKs): provinces/regencies/districts/villages of code → name, and 'complete'.",
    )


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


def _read_json(table_dir: Path | None, name: str) -> dict[str, Any]:
    if table_dir is not None:
        text = (table_dir / name).read_text("utf-8")
    else:
        text = resources.files("ektp").joinpath(TABLE_PACKAGE_DIR, name).read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"regions: {name} is not a JSON object")
    return data


def _with_source(table: RegionTable, source: str) -> RegionTable:
    return replace(table, source=source)


@dataclass(frozen=True)
class RegionTable:
    """Known region codes → names, plus which parents have complete child lists."""

    provinces: Mapping[str, str]
    regencies: Mapping[str, str] = field(default_factory=dict)
    districts: Mapping[str, str] = field(default_factory=dict)
    villages: Mapping[str, str] = field(default_factory=dict)
    complete_provinces: frozenset[str] = frozenset()
    complete_regencies: frozenset[str] = frozenset()
    office_district_code: str | None = None
    source: str = ""
    """Where the codes come from (decree, package, date built)."""

    # --- building -------------------------------------------------------------------
    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, office_district_code: str | None = None
    ) -> RegionTable:
        """Build from the JSON shape; raises ``ValueError`` on a malformed code."""
        levels: dict[str, dict[str, str]] = {}
        for level, width in _LEVELS.items():
            entries = data.get(level, {})
            if not isinstance(entries, Mapping):
                raise ValueError(f"regions: {level!r} must be an object of code → name")
            for code, name in entries.items():
                if not re.fullmatch(rf"[0-9]{{{width}}}", str(code)) or not isinstance(name, str):
                    raise ValueError(f"regions: bad {level} entry {code!r}")
            levels[level] = dict(entries)
        complete = data.get("complete", {})
        if office_district_code is not None and not re.fullmatch(r"[0-9]{6}", office_district_code):
            raise ValueError("regions: the office district code must have 6 digits")
        return cls(
            provinces=_frozen(levels["provinces"]),
            regencies=_frozen(levels["regencies"]),
            districts=_frozen(levels["districts"]),
            villages=_frozen(levels["villages"]),
            complete_provinces=frozenset(complete.get("regencies_of_provinces", ())),
            complete_regencies=frozenset(complete.get("districts_of_regencies", ())),
            office_district_code=office_district_code,
        )

    @classmethod
    def official(
        cls,
        office_district_code: str | None = None,
        *,
        checked: Checked = "regency",
        table_dir: Path | None = None,
    ) -> RegionTable:
        """The official table as an office loads it (see :class:`RegionConfig`)."""
        scope_code = office_district_code or DEFAULT_OFFICE_DISTRICT
        index = _read_json(table_dir, "index.json")
        renumbered = set(index.get("renumbered_provinces", ()))
        provinces: dict[str, str] = dict(index["provinces"])
        regencies: dict[str, str] = dict(index["regencies"])
        wanted = sorted(provinces) if checked == "country" else [scope_code[:2]]
        prefix = scope_code[:4] if checked == "regency" else ""
        districts: dict[str, str] = {}
        villages: dict[str, str] = {}
        for province in wanted:
            if province not in provinces:
                raise ValueError(f"regions: the official table has no province {province}")
            data = _read_json(table_dir, f"{province}.json")
            districts.update((c, n) for c, n in data["districts"].items() if c.startswith(prefix))
            villages.update((c, n) for c, n in data["villages"].items() if c.startswith(prefix))
        loaded_regencies = {code for code in regencies if code[:2] in wanted}
        if prefix:
            loaded_regencies &= {prefix}
        table = cls.from_mapping(
            {
                "provinces": provinces,
                "regencies": regencies,
                "districts": districts,
                "villages": villages,
                "complete": {
                    "regencies_of_provinces": sorted(set(provinces) - renumbered),
                    "districts_of_regencies": sorted(
                        code for code in loaded_regencies if code[:2] not in renumbered
                    ),
                },
            },
            office_district_code=office_district_code,
        )
        return _with_source(table, f"{index['source']}; built on {index['built_on']}")

    @classmethod
    def bundled(cls, *, office_district_code: str | None = None) -> RegionTable:
        """The shipped official table, checked for the office's regency (Berau by default)."""
        return cls.official(office_district_code)

    @classmethod
    def from_config(cls, config: RegionConfig) -> RegionTable:
        table = cls.official(
            config.office_district_code, checked=config.checked, table_dir=config.table_dir
        )
        if config.extra_regions_file is not None:
            extra = json.loads(config.extra_regions_file.read_text("utf-8"))
            sources = f"{table.source}; plus {config.extra_regions_file}"
            table = _with_source(table.merged(cls.from_mapping(extra)), sources)
        return table

    def merged(self, other: RegionTable) -> RegionTable:
        """This table with ``other``'s entries added (``other`` wins on a clash)."""
        return RegionTable(
            provinces=_frozen({**self.provinces, **other.provinces}),
            regencies=_frozen({**self.regencies, **other.regencies}),
            districts=_frozen({**self.districts, **other.districts}),
            villages=_frozen({**self.villages, **other.villages}),
            complete_provinces=self.complete_provinces | other.complete_provinces,
            complete_regencies=self.complete_regencies | other.complete_regencies,
            office_district_code=other.office_district_code or self.office_district_code,
            source=self.source,
        )

    # --- questions ------------------------------------------------------------------
    def has_province(self, province_code: str) -> bool:
        return province_code in self.provinces

    def accepts_regency(self, regency_code: str) -> bool:
        """Known, or under a province whose regency list is not complete here.

        Regency ``00`` never exists (Kemendagri numbers kabupaten from 01, kota from 71).
        """
        if regency_code[2:4] == NO_SUCH_NUMBER:
            return False
        if regency_code in self.regencies:
            return True
        return regency_code[:2] not in self.complete_provinces

    def accepts_district(self, district_code: str) -> bool:
        """Known, or under a regency whose district list is not complete here.

        District ``00`` never exists, nor does a district under regency ``00``.
        """
        if district_code[4:6] == NO_SUCH_NUMBER or not self.accepts_regency(district_code[:4]):
            return False
        if district_code in self.districts:
            return True
        return district_code[:4] not in self.complete_regencies

    def is_office_district(self, district_code: str) -> bool:
        """True when the 6-digit code is this office's own district (kecamatan)."""
        return self.office_district_code is not None and district_code == self.office_district_code

    def describe(self, region_code: str) -> str:
        """ "Gunung Tabur, Kabupaten Berau, Kalimantan Timur" for what is known of a code."""
        parts = [
            self.districts.get(region_code[:6]) if len(region_code) >= 6 else None,
            self.regencies.get(region_code[:4]) if len(region_code) >= 4 else None,
            self.provinces.get(region_code[:2]),
        ]
        return ", ".join(part for part in parts if part)

    def office_villages(self) -> dict[str, str]:
        """The villages (kelurahan/desa) of the office's district, code → name."""
        if self.office_district_code is None:
            return {}
        return {
            code: name
            for code, name in self.villages.items()
            if code.startswith(self.office_district_code)
        }
