"""``[broker]`` section of the edge configuration: the office's mosquitto.

:mod:`edge_controller.config.mosquitto` renders it into mosquitto's config and ACL;
:mod:`edge_controller.broker.process` runs a private mosquitto from it (demo and tests).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ektp.config_types import ConfigSection, Count, CountOrZero, PacketBytes, TcpPort
from ektp.pki import EDGE_IDENTITY, validate_identity

LogType = Literal[
    "error", "warning", "notice", "information", "subscribe", "unsubscribe", "debug", "all"
]

DEFAULT_LOG_TYPES: tuple[LogType, ...] = (
    "error",
    "warning",
    "notice",
    "information",
    "subscribe",  # each client's subscriptions (booths reaching beyond their topics)
    "debug",  # mosquitto 2.0 logs "Denied PUBLISH" and retained publishes only here
)

BROKER_LOG = Path("/var/log/mosquitto/mosquitto.log")
"""Where the production broker (Debian's mosquitto under systemd) logs; the edge reads it."""

Identity = Annotated[str, AfterValidator(validate_identity)]
"""A certificate CN (the broker's MQTT user name): lower-case letters, digits, single '-'."""


class BrokerConfig(ConfigSection):
    """The office broker's settings (the ``[broker]`` section of the edge config)."""

    bind_address: str = Field(
        default="127.0.0.1",
        description="Address the TLS listener binds to; the office LAN address in production.",
    )
    port: TcpPort = Field(default=8883, description="TLS listener port.")
    ca_cert_path: Path = Field(
        description="The office CA certificate that client certificates must chain to."
    )
    server_cert_path: Path = Field(
        description="The broker's own certificate, signed by the office CA."
    )
    server_key_path: Path = Field(
        description="The broker's private key (readable by the broker's user only)."
    )
    crl_path: Path | None = Field(
        default=None,
        description="Certificate revocation list from the office CA; None to check none.",
    )
    edge_identity: Identity = Field(
        default=EDGE_IDENTITY, description="Certificate CN of the edge controller's own client."
    )
    observer_identities: list[Identity] = Field(
        default_factory=list,
        description="Certificate CNs that may read every booth's and the office's topics "
        "(a technician's mosquitto_sub); like any client they write only under "
        "booths/<their CN>/. Give each its own certificate: client ids are forced to "
        "the CN, so a second connection with the edge's certificate would knock the "
        "edge off.",
    )
    persistence: bool = Field(
        default=True,
        description="Keep retained messages and queued QoS 1 messages across restarts.",
    )
    persistence_directory: Path = Field(
        default=Path("/var/lib/mosquitto"),
        description="Where the broker writes its persistence file.",
    )
    autosave_interval_seconds: Count = Field(
        default=30, description="How often the broker saves its persistence file."
    )
    max_queued_messages: CountOrZero = Field(
        default=100_000,
        description="QoS 1 messages queued per client beyond the in-flight ones.",
    )
    max_packet_size_bytes: PacketBytes = Field(
        default=4 * 1024 * 1024,
        description="Largest MQTT packet accepted (a sealed enrollment is ~60 KB).",
    )
    log_file: Path | None = Field(
        default=None,
        description="Log to this file; None logs to stdout. The edge reads this file for "
        "refusals and client-id takeovers (EdgeConfig.broker_log_path).",
    )
    log_types: list[LogType] = Field(
        default_factory=lambda: list(DEFAULT_LOG_TYPES),
        description="mosquitto log_type values. The edge reads refused publishes and "
        "retained booth publishes at 'debug', subscriptions at 'subscribe' "
        "(edge_controller.broker.log_watch); 'all' costs ~15% throughput.",
    )
    run_as_user: str = Field(
        default="mosquitto", description="Account mosquitto drops to when started as root."
    )

    @field_validator("bind_address")
    @classmethod
    def _bind_address_is_ip(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value

    @model_validator(mode="after")
    def _observer_is_not_the_edge(self) -> BrokerConfig:
        if self.edge_identity in self.observer_identities:
            raise ValueError(f"{self.edge_identity!r} is the edge, not an observer")
        return self
