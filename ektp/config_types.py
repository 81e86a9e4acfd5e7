"""The base model and the value types the booth's, the edge's and central's config share.

:class:`ConfigSection` refuses unknown keys. Each value type is an ``Annotated`` type that
carries a range (or a pattern); the field keeps its own default and description, e.g.
``check_interval_seconds: Duration = Field(default=5.0, description="...")``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ConfigSection(BaseModel):
    """Base of every config model: ``extra="forbid"``, so a misspelt key is an error."""

    model_config = ConfigDict(extra="forbid")


Duration = Annotated[float, Field(gt=0)]
"""A length of time above zero; the field's name says the unit (``_seconds``, ``_minutes``)."""

Share = Annotated[float, Field(gt=0, le=1)]
"""A share of a whole, above 0 and at most 1 (0.6 = 60%)."""

Count = Annotated[int, Field(ge=1)]
"""A whole number of at least one (samples, tries, days, messages)."""

TcpPort = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port a client connects to or a server listens on."""

TicketPrefix = Annotated[str, Field(pattern=r"^[A-Z]{1,3}$")]
"""One to three capital letters before a ticket number (A-001)."""

DurationOrZero = Annotated[float, Field(ge=0)]
"""A length of time that may be zero (no hold, no wait, purge at once)."""

CountOrZero = Annotated[int, Field(ge=0)]
"""A whole number that may be zero (messages, megabytes, seconds of battery runtime)."""

Percent = Annotated[float, Field(ge=0, le=100)]
"""A percentage from 0 to 100 (a UPS battery's charge)."""

PacketBytes = Annotated[int, Field(ge=1024)]
"""A size in bytes of at least 1 KiB: the largest packet taken, an upload chunk."""

ListenPort = Annotated[int, Field(ge=0, le=65535)]
"""A TCP port a server listens on; 0 takes any free port."""

KeepaliveSeconds = Annotated[int, Field(ge=5)]
"""MQTT keepalive in seconds; the broker drops a silent client after ~1.5x this."""
