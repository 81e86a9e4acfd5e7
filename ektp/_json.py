"""Canonical and strict JSON for the wire formats.

Canonical: sorted keys, no spaces, ASCII only, so equal content gives equal bytes.
Strict reading: UTF-8 only, no duplicate keys, no NaN/Infinity, bounded nesting.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from ektp.errors import RekamError

MAX_DEPTH = 16


class JsonProblem(RekamError, ValueError):
    """Bytes that are not acceptable JSON; ``kind`` says how, ``detail`` where."""

    code = "json"

    def __init__(self, kind: Literal["truncated", "malformed"], detail: str) -> None:
        super().__init__("{detail}", code=f"json.{kind}", detail=detail)
        self.kind = kind
        self.detail = detail


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonProblem("malformed", f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise JsonProblem("malformed", f"{name} is not allowed")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level + 1)
    return level


def strict_loads(data: bytes) -> Any:
    """Parse ``data`` or raise :class:`JsonProblem` (never another exception)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JsonProblem("malformed", f"not UTF-8 at byte {err.start}") from err
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except JsonProblem:
        raise
    except json.JSONDecodeError as err:
        cut_short = err.pos >= len(text) or err.msg.startswith("Unterminated string")
        kind: Literal["truncated", "malformed"] = "truncated" if cut_short else "malformed"
        raise JsonProblem(kind, f"{err.msg} at character {err.pos}") from err
    except RecursionError as err:
        raise JsonProblem("malformed", "nested too deeply") from err
    except ValueError as err:  # e.g. an integer with too many digits
        raise JsonProblem("malformed", "unreadable number") from err
    if _depth(value) > MAX_DEPTH:
        raise JsonProblem("malformed", "nested too deeply")
    return value
