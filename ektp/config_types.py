"""Value types the booth's and the edge's config sections share.

Each is an ``Annotated`` type that carries a range (or a pattern); the field keeps its own
default and description, e.g.
``check_interval_seconds: Duration = Field(default=5.0, description="...")``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

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
