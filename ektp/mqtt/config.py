"""How one identity (a booth or the edge) reaches the office broker over TLS."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ektp.config_types import ConfigSection, Count, CountOrZero, KeepaliveSeconds, TcpPort


class MqttClientConfig(ConfigSection):
    """How one identity (a booth or the edge) reaches the office broker."""

    host: str = Field(
        default="127.0.0.1", description="Broker address (as named in its certificate)."
    )
    port: TcpPort = Field(default=8883, description="Broker TLS port.")
    identity: str = Field(description="This client's certificate CN; also its MQTT client id.")
    ca_cert_path: Path = Field(description="The office CA certificate (verifies the broker).")
    cert_path: Path = Field(description="This client's certificate, signed by the office CA.")
    key_path: Path = Field(description="This client's private key (mode 0600, never leaves it).")
    client_id: str | None = Field(
        default=None,
        description="MQTT client id; None uses the identity (the broker's ACL "
        "goes by the certificate CN whatever the client id).",
    )
    status_topic: str | None = Field(
        default=None,
        description="Retained availability topic (booths/<id>/status for a booth); "
        "last will 'offline', 'online' on connect. None for no availability message.",
    )
    keepalive_seconds: KeepaliveSeconds = Field(
        default=30,
        description="MQTT keepalive; the broker publishes the will after ~1.5x this.",
    )
    reconnect_min_delay_seconds: Count = Field(default=1, description="First reconnect delay.")
    reconnect_max_delay_seconds: Count = Field(
        default=30, description="Reconnect delay ceiling (the delay doubles up to it)."
    )
    session_expiry_seconds: CountOrZero = Field(
        default=0,
        description="Keep the session (subscriptions, queued QoS 1) this long "
        "while disconnected; 0 starts clean on every connect.",
    )
    max_inflight_messages: Count = Field(default=20, description="QoS 1 messages awaiting PUBACK.")
