"""Reading and checking a roster CSV as offices export it from their spreadsheets.

Columns (header names are matched without regard to case, spaces or underscores, in
English or Indonesian): NIK, KK (``no_kk``), name (``nama``), sex (``jenis_kelamin``:
L/P, male/female), birth date (``tanggal_lahir``: DD-MM-YYYY, DD/MM/YYYY or
YYYY-MM-DD), kelurahan (``desa``), RT, RW; optional: marital status (``married``,
``status``, ``status_kawin``: kawin / belum kawin / cerai hidup / cerai mati, yes/no)
and card status (``card_status``, ``status_ktp``: belum rekam / sudah rekam / sudah
cetak / diserahkan). Delimiter ``,`` or ``;`` (or tab), UTF-8 with or without BOM.

Every bad row is reported with its line number (the header is line 1) and a plain
reason; the reasons are gettext msgids so the dashboard shows them in Indonesian.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from edge_controller.roster.resident_facts import ResidentFacts
from ektp.errors import RekamError, ValidationError
from ektp.i18n import N_, translate
from ektp.kk import parse_kk
from ektp.nik import Nik, Sex, parse_nik
from ektp.regions import RegionTable

DOMAIN = "edge_controller"

REQUIRED = ("nik", "kk", "name", "sex", "birth_date", "kelurahan", "rt", "rw")
_ALIASES = {
    "nik": ("nik", "no_nik", "nomor_nik"),
    "kk": ("kk", "no_kk", "nomor_kk", "nkk", "nomor_kartu_keluarga"),
    "name": ("name", "nama", "nama_lengkap", "full_name"),
    "sex": ("sex", "jenis_kelamin", "jk", "kelamin", "gender"),
    "birth_date": ("birth_date", "tanggal_lahir", "tgl_lahir", "date_of_birth", "dob"),
    "kelurahan": ("kelurahan", "desa", "desa_kelurahan", "kelurahan_desa", "village"),
    "rt": ("rt", "no_rt"),
    "rw": ("rw", "no_rw"),
    "married": (
        "married",
        "status",
        "status_kawin",
        "status_perkawinan",
        "stat_kwn",
        "marital_status",
        "kawin",
    ),
    "card_status": ("card_status", "status_ktp", "status_ktp_el", "status_rekam", "ektp_status"),
}
_SEX = {
    "l": Sex.MALE,
    "lk": Sex.MALE,
    "laki_laki": Sex.MALE,
    "laki": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "p": Sex.FEMALE,
    "pr": Sex.FEMALE,
    "perempuan": Sex.FEMALE,
    "wanita": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
}
_MARRIED = {
    "": False,
    "0": False,
    "no": False,
    "n": False,
    "tidak": False,
    "false": False,
    "single": False,
    "belum_kawin": False,
    "belum_menikah": False,
    "1": True,
    "yes": True,
    "y": True,
    "ya": True,
    "true": True,
    "married": True,
    "kawin": True,
    "menikah": True,
    "sudah_kawin": True,
    "cerai_hidup": True,
    "cerai_mati": True,
    "pernah_kawin": True,
    "divorced": True,
    "widowed": True,
}
_CARD_STATUS = {
    "": "not_recorded",
    "not_recorded": "not_recorded",
    "belum_rekam": "not_recorded",
    "belum": "not_recorded",
    "recorded": "recorded",
    "sudah_rekam": "recorded",
    "rekam": "recorded",
    "printed": "printed",
    "sudah_cetak": "printed",
    "cetak": "printed",
    "handed_over": "handed_over",
    "diserahkan": "handed_over",
    "sudah_diserahkan": "handed_over",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")

MSG_NOT_UTF8 = N_("The file is not UTF-8 text; save it again as “CSV UTF-8”")
MSG_NO_HEADER = N_("The file is empty: the first line must name the columns")
MSG_UNREADABLE_LINE = N_(
    "Line {line} cannot be read as CSV (a cell is far too long): nothing was imported"
)
MSG_MISSING_COLUMNS = N_("The file has no column for: {columns}")
MSG_EMPTY = N_("{column} is empty")
MSG_NOT_NUMBER = N_("{column} “{value}” is not a number")
MSG_BAD_DATE = N_("Birth date “{value}” is not a date (write DD-MM-YYYY)")
MSG_FUTURE_DATE = N_("Birth date {value} is in the future")
MSG_BAD_SEX = N_("Sex “{value}” is neither L (male) nor P (female)")
MSG_BAD_MARRIED = N_("Marital status “{value}” is not understood")
MSG_BAD_CARD_STATUS = N_("Card status “{value}” is not understood")
MSG_NIK_IS_FEMALE = N_("The NIK is a woman's (birth day + 40), but the sex column says male")
MSG_NIK_IS_MALE = N_("The NIK is a man's, but the sex column says female")
MSG_BIRTH_MISMATCH = N_(
    "The birth date in the NIK ({nik_date}) differs from the birth date column ({stated_date})"
)
MSG_DUPLICATE = N_("This NIK is already on line {first_line}")
MSG_UNKNOWN_KELURAHAN = N_("“{value}” is not one of this office's kelurahan")


class RosterFileError(ValidationError):
    """The file as a whole cannot be read as a roster; nothing was imported."""

    code = "roster.file"
    domain = DOMAIN


@dataclass(frozen=True)
class RowProblem:
    """One reason a row is bad. ``column`` is the header as written in the file."""

    line: int
    column: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    domain: str = DOMAIN

    def english(self) -> str:
        return self.message.format(**self.params)

    def localized(self, language: str = "id") -> str:
        return translate(self.message, language, domain=self.domain).format(**self.params)

    def __str__(self) -> str:
        return f"line {self.line} ({self.column}): {self.english()}"


@dataclass(frozen=True)
class ResidentRow(ResidentFacts):
    """One resident as a roster states them: a row of the residents table."""

    married: bool = False
    card_status: str = "not_recorded"

    def stored_values(self) -> tuple[Any, ...]:
        """The row as the residents table stores it, in its column order (nik … card_status)."""
        return (
            self.nik,
            self.kk,
            self.name,
            self.sex.value,
            self.birth_date.isoformat(),
            self.kelurahan,
            self.rt,
            self.rw,
            int(self.married),
            self.card_status,
        )


@dataclass(frozen=True, kw_only=True)
class RosterRow(ResidentRow):
    """A good row of a roster file, normalised, with its line in the file."""

    line: int


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RosterFileError(MSG_NOT_UTF8, code="roster.not_utf8") from err


def _delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=header.count)


def check_rows(
    data: bytes,
    *,
    known_kelurahan: Collection[str] | None,
    today: dt.date,
    regions: RegionTable,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[RosterRow], list[RowProblem], int]:
    """Parse and check every row: (good rows, problems, number of data rows read);
    ``progress(rows read)`` every 50,000 rows."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise RosterFileError(MSG_NO_HEADER, code="roster.empty")
        columns = _map_columns(header)
        names = {_key(name): name.strip() for name in known_kelurahan or ()}
        checker = _RowChecker(columns, None if known_kelurahan is None else names, today, regions)
        rows_read = 0
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows_read += 1
            checker.check(reader.line_num, cells)
            if progress is not None and rows_read % 50_000 == 0:
                progress(rows_read)
    except csv.Error as err:  # e.g. a field over the csv module's size limit
        line = reader.line_num
        raise RosterFileError(MSG_UNREADABLE_LINE, code="roster.unreadable", line=line) from err
    return checker.rows, checker.problems, rows_read


def _map_columns(header: list[str]) -> dict[str, tuple[int, str]]:
    """Field → (index in the row, header text as written)."""
    by_key = {_key(name): (index, name.strip()) for index, name in enumerate(header)}
    columns = {}
    for field_name, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in by_key:
                columns[field_name] = by_key[alias]
                break
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise RosterFileError(
            MSG_MISSING_COLUMNS, code="roster.columns", columns=", ".join(missing)
        )
    return columns


class _RowChecker:
    """Checks rows one by one, remembering NIKs seen for the duplicate check."""

    def __init__(
        self,
        columns: dict[str, tuple[int, str]],
        kelurahan: dict[str, str] | None,
        today: dt.date,
        regions: RegionTable,
    ) -> None:
        self.columns = columns
        self.kelurahan = kelurahan
        self.today = today
        self.regions = regions  # a region code the table refuses is a bad row
        self.rows: list[RosterRow] = []
        self.problems: list[RowProblem] = []
        self._first_line: dict[str, int] = {}

    def check(self, line: int, cells: list[str]) -> None:
        found: list[RowProblem] = []

        def problem(name: str, message: str, code: str, **params: Any) -> None:
            found.append(RowProblem(line, self.columns[name][1], code, message, params))

        values: dict[str, str] = {}
        for name, (index, header) in self.columns.items():
            value = cells[index].strip() if index < len(cells) else ""
            values[name] = value
            if name in REQUIRED and not value:
                problem(name, MSG_EMPTY, "roster.empty_field", column=header)
        nik = self._nik(values["nik"], line, found) if values["nik"] else None
        kk = None
        if values["kk"]:
            try:
                text = values["kk"].lstrip("'")
                kk = parse_kk(text, today=self.today, regions=self.regions).digits
            except ValidationError as err:
                found.append(_from_error(line, self.columns["kk"][1], err))
        sex = _SEX.get(_key(values["sex"])) if values["sex"] else None
        if values["sex"] and sex is None:
            problem("sex", MSG_BAD_SEX, "roster.sex", value=values["sex"])
        birth_date = self._birth_date(values["birth_date"], problem)
        numbers = {}
        for name in ("rt", "rw"):
            if values[name] and not values[name].isdigit():
                problem(
                    name,
                    MSG_NOT_NUMBER,
                    "roster.number",
                    column=self.columns[name][1],
                    value=values[name],
                )
            numbers[name] = int(values[name]) if values[name].isdigit() else 0
        kelurahan = self._kelurahan(values["kelurahan"], problem)
        married = _MARRIED.get(_key(values.get("married", "")))
        if married is None:
            problem("married", MSG_BAD_MARRIED, "roster.married", value=values["married"])
        card = values.get("card_status", "")
        card_status = _CARD_STATUS.get(_key(card))
        if card_status is None:
            problem("card_status", MSG_BAD_CARD_STATUS, "roster.card_status", value=card)
        if nik is not None and sex is not None and nik.sex is not sex:
            message = MSG_NIK_IS_FEMALE if nik.sex is Sex.FEMALE else MSG_NIK_IS_MALE
            problem("sex", message, "roster.sex_mismatch")
        if nik is not None and birth_date is not None and not _same_ddmmyy(nik, birth_date):
            problem(
                "birth_date",
                MSG_BIRTH_MISMATCH,
                "roster.birth_date_mismatch",
                nik_date=nik.digits[6:12],
                stated_date=f"{birth_date:%d-%m-%Y}",
            )
        if found or nik is None or kk is None or sex is None or birth_date is None:
            self.problems.extend(found)
            return
        self.rows.append(
            RosterRow(
                line=line,
                nik=nik.digits,
                kk=kk,
                name=values["name"],
                sex=sex,
                birth_date=birth_date,
                kelurahan=kelurahan or values["kelurahan"],
                rt=numbers["rt"],
                rw=numbers["rw"],
                married=bool(married),
                card_status=card_status or "not_recorded",
            )
        )

    def _nik(self, text: str, line: int, found: list[RowProblem]) -> Nik | None:
        header = self.columns["nik"][1]
        try:
            nik = parse_nik(text.lstrip("'"), today=self.today, regions=self.regions)
        except ValidationError as err:
            found.append(_from_error(line, header, err))
            return None
        first = self._first_line.setdefault(nik.digits, line)
        if first != line:
            found.append(
                RowProblem(line, header, "roster.duplicate", MSG_DUPLICATE, {"first_line": first})
            )
        return nik

    def _birth_date(self, text: str, problem: Any) -> dt.date | None:
        if not text:
            return None
        for pattern in _DATE_FORMATS:
            try:
                value = dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
            if value > self.today:
                problem("birth_date", MSG_FUTURE_DATE, "roster.future_date", value=text)
                return None
            return value
        problem("birth_date", MSG_BAD_DATE, "roster.date", value=text)
        return None

    def _kelurahan(self, text: str, problem: Any) -> str | None:
        if not text or self.kelurahan is None:
            return text or None
        canonical = self.kelurahan.get(_key(text))
        if canonical is None:
            problem("kelurahan", MSG_UNKNOWN_KELURAHAN, "roster.kelurahan", value=text)
        return canonical


def _same_ddmmyy(nik: Nik, birth_date: dt.date) -> bool:
    """Compare day, month and the two-digit year (a NIK cannot tell 1924 from 2024)."""
    stated = (birth_date.day, birth_date.month, birth_date.year % 100)
    return (nik.birth_date.day, nik.birth_date.month, nik.birth_date.year % 100) == stated


def _from_error(line: int, column: str, err: RekamError) -> RowProblem:
    return RowProblem(line, column, err.code, err.message, dict(err.params), err.domain)
