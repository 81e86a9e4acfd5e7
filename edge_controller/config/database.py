"""``[database]`` section of the edge configuration: where the edge database lives."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ektp.config_types import ConfigSection


class DatabaseConfig(ConfigSection):
    """Where the edge keeps its database (a section of the edge config)."""

    path: Path = Field(
        default=Path("/var/lib/rekam/edge.sqlite3"),
        description="The SQLite database file; its directory must exist and be writable.",
    )
