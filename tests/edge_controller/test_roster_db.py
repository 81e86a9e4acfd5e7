"""The edge database: durable settings and migrations that apply once, in order, or not at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge_controller.ingest.db import MIGRATIONS, Migration, MigrationError, connect, schema_version


def test_a_new_database_is_durable_and_fully_migrated(tmp_path: Path) -> None:
    conn = connect(tmp_path / "edge.sqlite3")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert schema_version(conn) == len(MIGRATIONS)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"residents", "recordings"} <= tables
    finally:
        conn.close()


def test_reopening_applies_only_the_new_migrations(tmp_path: Path) -> None:
    path = tmp_path / "edge.sqlite3"
    connect(path).close()
    added = (*MIGRATIONS, Migration("notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY);"))

    conn = connect(path, migrations=added)  # would fail if the roster tables were re-created
    try:
        assert schema_version(conn) == len(added)
        conn.execute("INSERT INTO notes (id) VALUES (1)")
    finally:
        conn.close()


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "edge.sqlite3"
    connect(path).close()
    broken = (
        *MIGRATIONS,
        Migration("half done", "CREATE TABLE half (id INTEGER); INSERT INTO nowhere VALUES (1);"),
    )

    with pytest.raises(MigrationError, match="half done"):
        connect(path, migrations=broken)

    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        names = {row[0] for row in plain.execute("SELECT name FROM sqlite_master")}
        assert "half" not in names
    finally:
        plain.close()


def test_a_database_from_newer_software_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "edge.sqlite3"
    newer = (*MIGRATIONS, Migration("future", "CREATE TABLE future (id INTEGER);"))
    connect(path, migrations=newer).close()

    with pytest.raises(MigrationError, match="newer than this software"):
        connect(path)
