"""A small TOML writer for the configuration files provisioning generates.

Enough for pydantic ``model_dump(mode="json")`` output: tables, strings, numbers,
booleans and lists of scalars or of tables. ``None`` values are left out (the models
read a missing key as its default or as "not set").
"""

from __future__ import annotations

import json
import math
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("TOML here has no inf/nan")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dumps(data: dict[str, Any], *, header: str = "") -> str:
    """``data`` as TOML text (keys in their given order)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _key(name: str) -> str:
    if name and all(c.isalnum() or c in "-_" for c in name):
        return name
    return json.dumps(name)


def _table(data: dict[str, Any], path: list[str], lines: list[str]) -> None:
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict) or _is_table_list(value):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in nested:
        sub = [*path, _key(key)]
        if isinstance(value, dict):
            lines += ["", f"[{'.'.join(sub)}]"]
            _table(value, sub, lines)
        else:
            for item in value:
                lines += ["", f"[[{'.'.join(sub)}]]"]
                _table(item, sub, lines)
