"""The base of every MQTT message model and the field types they share.

Kept apart from :mod:`ektp.messages` so that message families in their own modules
(:mod:`ektp.roster_messages`) build on it without importing the registry that lists them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MESSAGE_VERSION: Literal[1] = 1

Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=300)]
TicketNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{1,16}$")]
Digits16 = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
HexKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
LookupKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
"""A roster look-up key (:mod:`ektp.roster_keys`): 16 bytes, hex."""
SecretId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
RtRw = Annotated[str, StringConstraints(pattern=r"^[0-9]{0,3}$")]
Scalar = str | int | float | bool | None


class WireMessage(BaseModel):
    """Base of every message: ``v`` plus the fields of one topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(default=MESSAGE_VERSION, description="Message format version.")
