"""What every section of the edge configuration shares: unknown keys are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigSection(BaseModel):
    """Base of every edge config model: ``extra="forbid"``, so a misspelt key is an error."""

    model_config = ConfigDict(extra="forbid")
