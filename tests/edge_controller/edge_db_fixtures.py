"""Fixtures for the edge database tests: a fresh database, plus the synthetic roster of
:mod:`demo.roster` (re-exported so test modules import their helpers from one place)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.roster import (
    GUNUNG_TABUR_DISTRICT,
    ROSTER_HEADER,
    NumberMaker,
    SyntheticResident,
    VillageCount,
    gunung_tabur_counts,
    insert_residents,
    roster_csv_rows,
    schedule_csv_path,
    synthetic_roster,
    write_roster_csv,
)
from edge_controller.ingest.db import connect

__all__ = [
    "GUNUNG_TABUR_DISTRICT",
    "ROSTER_HEADER",
    "NumberMaker",
    "SyntheticResident",
    "VillageCount",
    "edge_db_fixture",
    "gunung_tabur_counts",
    "insert_residents",
    "roster_csv_rows",
    "schedule_csv_path",
    "synthetic_roster",
    "write_roster_csv",
]


@pytest.fixture(name="edge_db")
def edge_db_fixture(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A fresh, migrated edge database in the test's own directory."""
    conn = connect(tmp_path / "edge.sqlite3")
    try:
        yield conn
    finally:
        conn.close()
