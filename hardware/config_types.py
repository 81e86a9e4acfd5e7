"""The base model and the value types the device config models share (hardware imports
nothing of the booth or edge).

:class:`ConfigSection` refuses unknown keys. Each value type is an ``Annotated`` type that
carries a range; the field keeps its own default and description, e.g.
``timeout: Duration = Field(5.0, description="...")``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ConfigSection(BaseModel):
    """Base of every device config model: ``extra="forbid"``, so a misspelt key is an error."""

    model_config = ConfigDict(extra="forbid")


Duration = Annotated[float, Field(gt=0)]
"""A length of time above zero, in seconds (timeouts, debounce times)."""

TcpPort = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port a device's daemon listens on."""

Pixels = Annotated[int, Field(gt=0)]
"""A frame's width or height in pixels."""

FrameRate = Annotated[float, Field(gt=0)]
"""Frames per second."""
