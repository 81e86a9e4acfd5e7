"""The base of every section of the booth's configuration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigSection(BaseModel):
    """A TOML section: unknown keys are refused, so a typo is an error, not a default."""

    model_config = ConfigDict(extra="forbid")
