"""Value types the device config models share (hardware imports nothing of the booth or edge).

Each is an ``Annotated`` type that carries a range; the field keeps its own default and
description, e.g. ``timeout: Duration = Field(5.0, description="...")``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Duration = Annotated[float, Field(gt=0)]
"""A length of time above zero, in seconds (timeouts, debounce times)."""

TcpPort = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port a device's daemon listens on."""
