"""Region codes (Kemendagri): province (2 digits), regency (4), district (6), village (10).

A :class:`RegionTable` answers "is this code known?" for the NIK and KK checks and
"is this resident from our own district?" for the supervisor flags. The bundled table
(``ektp/region_codes.json``) has all 38 provinces, the regencies of Kalimantan Timur and
the districts of Kabupaten Berau; an office adds its own lists with an extra JSON file
of the same shape. Where the table does not claim to be complete (the ``complete``
section), an unknown regency or district is accepted: we only reject what we know is
wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

BUNDLED_TABLE = "region_codes.json"
_LEVELS = {"provinces": 2, "regencies": 4, "districts": 6, "villages": 10}
NO_SUCH_NUMBER = "00"
"""A regency or district number that no region has (numbering starts at 01)."""


class RegionConfig(BaseModel):
    """The office's region settings (a section of the kiosk and edge configs)."""

    model_config = ConfigDict(extra="forbid")

    office_district_code: str = Field(
        default="640306",
        pattern=r"^[0-9]{6}$",
        description="The 6-digit district (kecamatan) code of this office; Gunung Tabur is 640306.",
    )
    extra_regions_file: Path | None = Field(
        default=None,
        description="Optional JSON file with more regions, same shape as ektp/region_codes.json.",
    )


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


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
    def bundled(cls, *, office_district_code: str | None = None) -> RegionTable:
        """The table shipped with Rekam."""
        text = resources.files("ektp").joinpath(BUNDLED_TABLE).read_text("utf-8")
        return cls.from_mapping(json.loads(text), office_district_code=office_district_code)

    @classmethod
    def from_config(cls, config: RegionConfig) -> RegionTable:
        table = cls.bundled(office_district_code=config.office_district_code)
        if config.extra_regions_file is not None:
            extra = json.loads(config.extra_regions_file.read_text("utf-8"))
            table = table.merged(cls.from_mapping(extra))
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
