"""What the client hands to callbacks, and how payloads are put on the wire."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ONLINE_PAYLOAD: Mapping[str, Any] = {"v": 1, "state": "online"}
OFFLINE_PAYLOAD: Mapping[str, Any] = {"v": 1, "state": "offline"}


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the broker delivered to a subscription callback."""

    topic: str
    payload: bytes
    qos: int
    retain: bool

    def json(self) -> Any:
        """The payload parsed as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.payload)


MessageCallback = Callable[[ReceivedMessage], None]
ConnectionCallback = Callable[[bool], None]


def encode_payload(payload: Mapping[str, Any] | bytes | str) -> bytes:
    """Bytes as they are, text as UTF-8, a mapping as compact UTF-8 JSON."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
