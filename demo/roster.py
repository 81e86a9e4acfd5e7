"""A synthetic but realistic office roster, for the demo, the chaos harness and tests.

Residents get valid NIKs and KK numbers of Kecamatan Gunung Tabur (Kabupaten Berau,
district code 640306), all aged 17 or more on a reference day, spread over a village's
RTs in families — matching per-kelurahan counts such as those of the office's published
2012 schedule (``data/gunung_tabur_2012.csv``). :func:`insert_residents` writes straight
to the edge database with ``executemany`` (about 15,000 residents in well under a second);
:func:`write_roster_csv` writes the same rows as a spreadsheet export for the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from edge_controller.ingest.db import transaction
from edge_controller.roster.csv_rows import ResidentRow
from edge_controller.roster.store import INSERT_RESIDENT
from ektp.kk import build_kk
from ektp.nik import Sex, build_nik

GUNUNG_TABUR_DISTRICT = "640306"
SCHEDULE_CSV = Path(__file__).resolve().parent / "data" / "gunung_tabur_2012.csv"

FIRST_NAMES = (
    "Siti",
    "Ahmad",
    "Budi",
    "Dewi",
    "Rahmat",
    "Nur",
    "Agus",
    "Sri",
    "Hendra",
    "Aminah",
    "Yusuf",
    "Fitri",
    "Rudi",
    "Wati",
    "Andi",
    "Lestari",
    "Hasan",
    "Rina",
    "Imam",
    "Ayu",
)
FAMILY_NAMES = (
    "Aminah",
    "Saputra",
    "Hidayat",
    "Rahayu",
    "Wijaya",
    "Santoso",
    "Lestari",
    "Pratama",
    "Nugroho",
    "Kurniawan",
    "Daeng",
    "Basri",
    "Hamzah",
    "Ismail",
    "Syahrani",
)


@dataclass(frozen=True)
class VillageCount:
    """One row of the office's schedule: a kelurahan, its RTs and its wajib-KTP count."""

    kelurahan: str
    rt_count: int
    wajib_ktp: int
    office_days: tuple[dt.date, ...] = ()


def schedule_csv_path() -> Path:
    """The published 2012 schedule of Kecamatan Gunung Tabur (public data, shipped here)."""
    return SCHEDULE_CSV


def gunung_tabur_counts(path: Path | None = None) -> list[VillageCount]:
    lines = (path or schedule_csv_path()).read_text("utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if line.strip() and not line.startswith("#"))
    return [
        VillageCount(
            row["kelurahan"],
            int(row["rt_count"]),
            int(row["wajib_ktp"]),
            (dt.date.fromisoformat(row["day_1"]), dt.date.fromisoformat(row["day_2"])),
        )
        for row in rows
    ]


SyntheticResident = ResidentRow
"""A made-up resident: a row of the residents table, as a roster import would store it."""


class NumberMaker:
    """Hands out unique, valid NIKs and KK numbers of one district."""

    def __init__(self, district: str = GUNUNG_TABUR_DISTRICT) -> None:
        self.district = district
        self._nik_serials: dict[tuple[dt.date, Sex], int] = {}
        self._kk_serials: dict[dt.date, int] = {}

    def nik(self, birth_date: dt.date, sex: Sex) -> str:
        serial = self._nik_serials.get((birth_date, sex), 0) + 1
        self._nik_serials[(birth_date, sex)] = serial
        return build_nik(self.district, birth_date, sex, serial)

    def kk(self, registered: dt.date) -> str:
        serial = self._kk_serials.get(registered, 0) + 1
        self._kk_serials[registered] = serial
        return build_kk(self.district, registered, serial)


def synthetic_roster(
    villages: Sequence[VillageCount],
    *,
    adult_on: dt.date,
    seed: int = 2012,
    numbers: NumberMaker | None = None,
) -> list[SyntheticResident]:
    """``wajib_ktp`` residents per village, all 17 or older on ``adult_on``.

    Residents are spread over RT 1..rt_count (four RTs to an RW) with uneven sizes,
    in families of one to four adults sharing a KK.
    """
    rng = random.Random(seed)
    numbers = numbers or NumberMaker()
    youngest = adult_on.replace(year=adult_on.year - 18)
    residents: list[SyntheticResident] = []
    for village in villages:
        weights = [rng.uniform(0.6, 1.4) for _ in range(village.rt_count)]
        rts = rng.choices(range(1, village.rt_count + 1), weights, k=village.wajib_ktp)
        for rt, count in sorted(_count(rts).items()):
            residents.extend(_families(rng, numbers, village.kelurahan, rt, count, youngest))
    return residents


def _count(values: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _families(  # noqa: PLR0917 - a private generator step
    rng: random.Random,
    numbers: NumberMaker,
    kelurahan: str,
    rt: int,
    count: int,
    youngest: dt.date,
) -> Iterator[SyntheticResident]:
    made = 0
    while made < count:
        size = min(count - made, rng.randint(1, 4))
        kk = numbers.kk(dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(2000)))
        family_name = rng.choice(FAMILY_NAMES)
        for member in range(size):
            sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
            birth_date = youngest - dt.timedelta(days=rng.randrange(60 * 365))
            yield SyntheticResident(
                numbers.nik(birth_date, sex),
                kk,
                f"{rng.choice(FIRST_NAMES)} {family_name}",
                sex,
                birth_date,
                kelurahan,
                rt,
                (rt - 1) // 4 + 1,
                married=member < 2 and size > 1,
            )
        made += size


def insert_residents(conn: sqlite3.Connection, residents: Sequence[SyntheticResident]) -> None:
    """Bulk insert (the fast path for tests; real rosters come through the importer)."""
    with transaction(conn):
        conn.executemany(INSERT_RESIDENT, [resident.stored_values() for resident in residents])


ROSTER_HEADER = ("NIK", "KK", "Name", "Sex", "Birth date", "Kelurahan", "RT", "RW", "Married")


def roster_csv_rows(residents: Sequence[SyntheticResident]) -> list[list[str]]:
    """Rows as an office spreadsheet writes them: L/P, DD-MM-YYYY, zero-padded RT/RW."""
    return [
        [
            r.nik,
            r.kk,
            r.name,
            "L" if r.sex is Sex.MALE else "P",
            f"{r.birth_date:%d-%m-%Y}",
            r.kelurahan,
            f"{r.rt:03d}",
            f"{r.rw:03d}",
            "kawin" if r.married else "belum kawin",
        ]
        for r in residents
    ]


def write_roster_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = ROSTER_HEADER,
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path
