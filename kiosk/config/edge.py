"""``[edge]``: how the booth reaches the office broker."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ektp.config_types import ConfigSection, TcpPort


class EdgeLink(ConfigSection):
    """How the booth reaches the office broker (MQTT over TLS with its own certificate)."""

    host: str = Field(default="127.0.0.1", description="The edge broker's address.")
    port: TcpPort = Field(default=8883, description="The broker's TLS port.")
    ca_cert_path: Path = Field(description="The office CA certificate.")
    cert_path: Path = Field(description="This booth's certificate (CN = booth id).")
    key_path: Path = Field(description="This booth's TLS key; made here, never leaves.")
    review_public_key_path: Path | None = Field(
        default=None,
        description="The edge's X25519 review key (PEM): the photo thumbnail is sealed for "
        "it so a supervisor can see flagged records; None: no thumbnail.",
    )
