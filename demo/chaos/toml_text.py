"""Just enough TOML writing for the configs the harness hands to ``rekam-edge`` and
``rekam-central`` (strings, numbers, booleans, lists of those, nested tables)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def toml_document(data: Mapping[str, Any], prefix: str = "") -> str:
    """``data`` as TOML: plain keys first, then one ``[table]`` per nested mapping."""
    lines = [
        f"{key} = {_value(value)}" for key, value in data.items() if not isinstance(value, dict)
    ]
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, value in data.items():
        if isinstance(value, dict):
            name = f"{prefix}{key}"
            text += f"\n[{name}]\n" + toml_document(value, prefix=f"{name}.")
    return text
