"""A large roster takes a while to import: ``rekam-edge roster import`` says how far it is
(issue 20: a regency's million residents), in the user's language, on stderr."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from demo.roster import VillageCount, roster_csv_rows, synthetic_roster, write_roster_csv
from edge_controller.cli import DEFAULT_CONFIG_TOML, main

VILLAGES = [VillageCount(f"Kelurahan {n}", rt_count=20, wajib_ktp=20_000) for n in (1, 2, 3)]


def test_a_large_import_shows_its_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "edge.toml"
    config.write_text(
        DEFAULT_CONFIG_TOML.replace("/var/lib/rekam/edge.sqlite3", str(tmp_path / "edge.db"))
    )
    rows = roster_csv_rows(synthetic_roster(VILLAGES, adult_on=dt.date(2026, 1, 1)))
    roster = write_roster_csv(tmp_path / "roster.csv", rows)
    argv = ["roster", "import", "--config", str(config), str(roster), "--lang", "en"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "0 of about 60,000 rows checked",
        "50,000 of about 60,000 rows checked",
        "60,000 rows checked; writing…",
        "50,000 of 60,000 rows written (83%)",
        "60,000 of 60,000 rows written (100%)",
    ]
    assert "60000 new" in captured.out
    main([*argv[:-1], "id"])  # the same file again, in Indonesian: nothing to write
    assert capsys.readouterr().err.splitlines()[:3] == [
        "0 dari sekitar 60,000 baris diperiksa",
        "50,000 dari sekitar 60,000 baris diperiksa",
        "60,000 baris diperiksa; menyimpan…",
    ]
