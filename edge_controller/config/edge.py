"""The edge controller's configuration (TOML), validated once in ``main`` and passed down.

``rekam-edge --print-default-config`` prints a complete example (rendered from these
models by :mod:`edge_controller.config.example`). Every section is a
pydantic model with ``extra="forbid"`` (:class:`~ektp.config_types.ConfigSection`),
one module per section in this package: a misspelt key is an error, not a silent default.
The package imports no logic module of the edge; the logic imports its section from here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from edge_controller.config.broker import BrokerConfig
from edge_controller.config.calendar import CalendarConfig
from edge_controller.config.coverage import CoverageConfig
from edge_controller.config.crl import CrlPublishConfig
from edge_controller.config.database import DatabaseConfig
from edge_controller.config.health import HealthConfig
from edge_controller.config.power import PowerConfig
from edge_controller.config.queue import QueueConfig
from edge_controller.config.review import ReviewConfig
from edge_controller.config.roster import RosterPublishConfig
from edge_controller.config.schedule import ScheduleConfig
from edge_controller.config.upstream import UpstreamConfig
from edge_controller.config.web import WebConfig
from ektp.config_types import ConfigSection, DurationOrZero, PacketBytes
from ektp.mqtt.config import MqttClientConfig
from ektp.regions import RegionConfig
from ektp.timezones import TimezoneName


class IngestConfig(ConfigSection):
    """How sealed packets from ``booths/+/enrollments`` are checked and committed."""

    max_packet_bytes: PacketBytes = Field(
        default=4 * 1024 * 1024,
        description="Larger packets are refused (a sealed enrollment is ~60 KB).",
    )
    max_batch: int = Field(
        default=64,
        ge=1,
        le=500,
        description="Packets committed together in one transaction when several wait "
        "(group commit); each is acked only after that commit.",
    )
    retired_key_grace_seconds: DurationOrZero = Field(
        default=300.0,
        le=86400,
        description="A packet signed by a booth's retired key (recovered from a replaced "
        "unit) is accepted only if it was sealed before the key was retired, plus this "
        "allowance for the old unit's clock running ahead of the edge's.",
    )
    accept_unsealed_enrollments: bool = Field(
        default=False,
        description="Also take bare packets (without the transport envelope that keeps NIK "
        "and KK unreadable on the broker) from booths not yet updated. Off: such a packet "
        "is refused, alerted and not acked, and stays in the booth's outbox.",
    )


class EdgeConfig(ConfigSection):
    """The whole edge controller."""

    office_name: str = Field(
        default="Kecamatan", min_length=1, description="The office's name, for the dashboard."
    )
    office_timezone: TimezoneName = Field(
        default="Asia/Makassar",
        description="IANA time zone of the office (WITA is Asia/Makassar); the queue's "
        "day and the recording day follow it.",
    )
    software_version: str = Field(
        default="0.1.0", min_length=1, description="Reported on the dashboard."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging threshold."
    )
    mqtt: MqttClientConfig = Field(
        description="The edge's own connection to the office broker (identity 'edge')."
    )
    database: DatabaseConfig = Field(
        default_factory=DatabaseConfig, description="The edge database."
    )
    broker: BrokerConfig | None = Field(
        default=None,
        description="When set, `rekam-edge run` starts and stops this mosquitto itself "
        "(demo and tests); leave it out when systemd runs the broker.",
    )
    broker_log_path: Path | None = Field(
        default=None,
        description="mosquitto's log file (its log_file), read for client-id takeovers, "
        "unregistered certificates, refused publishes and subscriptions and retained booth "
        "messages; none = the log of the [broker] the edge starts, if any.",
    )
    ingest: IngestConfig = Field(default_factory=IngestConfig, description="Packet ingest.")
    health: HealthConfig = Field(default_factory=HealthConfig, description="Booth health.")
    queue: QueueConfig = Field(default_factory=QueueConfig, description="Office queue.")
    roster: RosterPublishConfig = Field(
        default_factory=RosterPublishConfig, description="Roster digests sent to the booths."
    )
    crl: CrlPublishConfig = Field(
        default_factory=CrlPublishConfig,
        description="The office CRL the edge publishes on office/crl (revoked cards).",
    )
    power: PowerConfig | None = Field(
        default=None,
        description="Watch the UPS (NUT) and the generator, publish office/power, shut down.",
    )
    upstream: UpstreamConfig | None = Field(
        default=None,
        description="Store and forward to central over HTTPS; none = keep everything here.",
    )
    web: WebConfig | None = Field(
        default=None,
        description="The office dashboard, JSON API and /metrics; none = no web server.",
    )
    review: ReviewConfig = Field(
        default_factory=ReviewConfig, description="Supervisor review of flagged records."
    )
    coverage: CoverageConfig = Field(
        default_factory=CoverageConfig,
        description="The office's recording target: share of residents and the date to "
        "reach it (coverage page, API, projection).",
    )
    schedule: ScheduleConfig = Field(
        default_factory=ScheduleConfig,
        description="How recording days are planned: booths (kits), hours and minutes per "
        "resident.",
    )
    calendar: CalendarConfig = Field(
        default_factory=CalendarConfig,
        description="The days the office records: weekly days off and holidays (schedule "
        "and coverage projection skip the others).",
    )
    region: RegionConfig = Field(
        default_factory=RegionConfig,
        description="The office's district and how much of the official Kemendagri region "
        "table checks the NIKs and KKs of an imported roster.",
    )

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.office_timezone)


def load_edge_config(path: Path) -> EdgeConfig:
    """Read and validate a TOML file (raises ``pydantic.ValidationError`` or ``OSError``)."""
    with path.open("rb") as handle:
        return EdgeConfig.model_validate(tomllib.load(handle))
