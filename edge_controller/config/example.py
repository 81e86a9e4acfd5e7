"""A complete, commented example of the edge configuration, rendered from the models.

``rekam-edge --print-default-config`` prints :data:`EXAMPLE_CONFIG_TOML`; provisioning
writes an office's ``edge.toml`` with :func:`render_edge_toml`. Both come from the
pydantic models themselves, so every section and every key appears, each under its
description, and a field added to a model shows up without anyone editing a template.

Optional sections the office turns on when it has the part (a broker the edge runs
itself, a UPS, a link to central) are written commented out, with example values.
Their settings start with ``#`` directly (``#[power]``, ``#poll_interval_s = 2.0``);
explanations start with ``# ``. Removing the ``#`` in front of a section's settings
turns it on.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, SecretStr

from edge_controller.config.broker import BROKER_LOG, BrokerConfig
from edge_controller.config.edge import EdgeConfig
from edge_controller.config.power import PowerConfig
from edge_controller.config.upstream import UpstreamConfig
from edge_controller.config.web import WebConfig
from ektp.pki import EDGE_IDENTITY
from hardware.gpio.config import RealGeneratorContactConfig

WIDTH = 88
ETC = Path("/etc/rekam")
TLS = ETC / "tls"


def _value(value: Any) -> str:
    """One TOML value (dates and times as TOML's own local date/time)."""
    if isinstance(value, SecretStr):  # a login the file's owner keeps (mode 0600)
        return _value(value.get_secret_value())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return _value(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str | PurePath):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _explain(text: str | None) -> list[str]:
    if not text:
        return []
    return textwrap.wrap(text, WIDTH - 2, initial_indent="# ", subsequent_indent="# ")


class _Writer:
    def __init__(self, examples: Mapping[str, BaseModel]) -> None:
        self.examples = examples
        self.lines: list[str] = []

    def fields(self, model: BaseModel, path: str, off: str) -> None:
        """``model``'s keys, then its sub-tables; ``off`` ("#" or "") prefixes settings."""
        tables: list[tuple[str, BaseModel | None, str | None]] = []
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            dotted = f"{path}.{name}" if path else name
            if isinstance(value, BaseModel) or (value is None and dotted in self.examples):
                tables.append((dotted, value, info.description))
                continue
            self.lines += _explain(info.description)
            if value is None:
                self.lines.append(f"# {name}: not set")
            else:
                self.lines.append(f"{off}{name} = {_value(value)}")
        for dotted, value, description in tables:
            self.table(dotted, value, description, off)

    def table(self, path: str, value: BaseModel | None, description: str | None, off: str) -> None:
        if value is None:
            value, off = self.examples[path], "#"
            description = f"{description} Optional: remove the '#' before its settings."
        self.lines.append("")
        self.lines += _explain(description)
        self.lines.append(f"{off}[{path}]")
        self.fields(value, path, off)


def render_edge_toml(
    config: EdgeConfig, *, header: str, optional_examples: Mapping[str, BaseModel] | None = None
) -> str:
    """``config`` as commented TOML; unset sections named in ``optional_examples`` (by
    dotted path, e.g. ``power`` or ``power.generator``) are written commented out."""
    writer = _Writer(optional_examples if optional_examples is not None else example_sections())
    writer.lines += [f"# {line}" if line else "#" for line in header.splitlines()]
    writer.lines.append("")
    writer.fields(config, "", "")
    return "\n".join(writer.lines) + "\n"


def example_sections() -> dict[str, BaseModel]:
    """Example values for the optional sections, with production paths."""
    return {
        "broker": BrokerConfig(
            bind_address="0.0.0.0",  # the office LAN reaches the broker
            ca_cert_path=TLS / "ca.crt",
            server_cert_path=TLS / "broker.crt",
            server_key_path=TLS / "broker.key",
            crl_path=TLS / "crl.pem",
        ),
        "power": PowerConfig(),
        "power.generator": RealGeneratorContactConfig(),
        "upstream": UpstreamConfig(
            central_url="https://central.example.go.id/",
            ca_cert_path=TLS / "central-ca.crt",
            cert_path=TLS / "edge-central.crt",
            key_path=TLS / "edge-central.key",
            receipt_public_key_path=ETC / "central-receipt.pub",
        ),
        "web": WebConfig(),
    }


def example_config() -> EdgeConfig:
    """The example office: Gunung Tabur, its edge on the production paths, a dashboard."""
    return EdgeConfig.model_validate(
        {
            "office_name": "Kecamatan Gunung Tabur",
            "mqtt": {
                "identity": EDGE_IDENTITY,
                "ca_cert_path": str(TLS / "ca.crt"),
                "cert_path": str(TLS / f"{EDGE_IDENTITY}.crt"),
                "key_path": str(TLS / f"{EDGE_IDENTITY}.key"),
            },
            "web": {"host": "0.0.0.0"},  # office PCs open the dashboard
            "broker_log_path": str(BROKER_LOG),  # the systemd broker's log_file
        }
    )


EXAMPLE_HEADER = """\
rekam-edge configuration (rekam-edge --print-default-config prints this example).
Every key is shown under its description, with its default value except for the
office's name, the certificate paths and the dashboard. A '#' directly before a key
or a [section] marks an optional setting: remove that '#' to use it."""


def uncomment_settings(text: str) -> str:
    """``text`` with every optional setting turned on (what the tests check parses)."""
    return "\n".join(_uncommented(text.splitlines())) + "\n"


def _uncommented(lines: list[str]) -> Iterator[str]:
    for line in lines:
        if line.startswith("#") and not line.startswith("# ") and line != "#":
            yield line[1:]
        else:
            yield line


EXAMPLE_CONFIG_TOML = render_edge_toml(example_config(), header=EXAMPLE_HEADER)
"""What ``rekam-edge --print-default-config`` prints."""
