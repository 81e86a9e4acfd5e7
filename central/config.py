"""The reference central receiver's configuration (TOML), validated once in ``main``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field

from ektp.config_types import ConfigSection, Duration, PacketBytes, TcpPort


class CentralConfig(ConfigSection):
    """``rekam-central``: where it listens, its TLS identity, whom it trusts, where it stores."""

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: TcpPort = Field(default=8443, description="HTTPS port.")
    tls_cert_path: Path = Field(description="Central's server certificate (PEM).")
    tls_key_path: Path = Field(description="Central's server key (PEM, 0600).")
    client_ca_paths: list[Path] = Field(
        min_length=1,
        description="CA certificates whose client certificates may upload (the office CAs "
        "of the edges); every connection must present one (mutual TLS).",
    )
    receipt_key_path: Path = Field(
        description="Central's Ed25519 receipt-signing key (PEM, made by `rekam-central "
        "init-receipt-key`); edges hold its public half."
    )
    booth_keys_dir: Path = Field(
        description="Booth registrations: one `<booth_id>.pem` per booth holding the "
        "booth's Ed25519 packet-signing public key."
    )
    data_dir: Path = Field(
        description="Central's store: central.sqlite3, packets/<booth>/<id>.packet, partial/."
    )
    max_packet_bytes: PacketBytes = Field(
        default=8 * 1024 * 1024, description="Larger uploads are refused (413)."
    )
    body_idle_timeout_seconds: Duration = Field(
        default=30.0,
        description="A PATCH whose body stalls this long is treated as cut: the bytes "
        "received so far are kept and the upload is free for the edge to resume.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging threshold."
    )


def load_central_config(path: Path) -> CentralConfig:
    with path.open("rb") as handle:
        return CentralConfig.model_validate(tomllib.load(handle))


DEFAULT_CONFIG_TOML = """\
# rekam-central configuration (the reference receiver); see central/config.py.
host = "127.0.0.1"
port = 8443
tls_cert_path = "/etc/rekam-central/tls/central.crt"
tls_key_path = "/etc/rekam-central/tls/central.key"
client_ca_paths = ["/etc/rekam-central/office-cas/gunung-tabur.crt"]
receipt_key_path = "/etc/rekam-central/receipt.key"
booth_keys_dir = "/etc/rekam-central/booths"
data_dir = "/var/lib/rekam-central"
max_packet_bytes = 8388608
body_idle_timeout_seconds = 30
log_level = "INFO"
"""
