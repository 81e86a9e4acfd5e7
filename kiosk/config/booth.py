"""The booth's configuration (TOML), validated once in ``main`` and passed down."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ektp.photo_rule import PhotoRuleConfig
from ektp.record import FINGER_ORDER, INDEX_FINGERS_ONLY, Finger
from ektp.services import ServiceCatalog
from hardware.config import HardwareConfig
from kiosk.mobile.duty import MobileSettings
from kiosk.operator_trust import OperatorCardSettings
from kiosk.voice import VoiceConfig


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficeRules(_Section):
    """What the office decides about a recording."""

    district_code: str = Field(
        default="640306",
        pattern=r"^[0-9]{6}$",
        description="The office's 6-digit district (kecamatan) code; other NIKs are flagged.",
    )
    photo: PhotoRuleConfig = Field(
        default_factory=PhotoRuleConfig, description="Photo background rule."
    )
    services: ServiceCatalog = Field(
        default_factory=ServiceCatalog, description="Services offered and documents required."
    )
    fingers: Literal["ten", "index_only"] = Field(
        default="ten", description='"ten" fingers, or "index_only" (both index fingers).'
    )
    max_finger_tries: int = Field(default=3, ge=1, le=10, description="Tries per finger.")
    min_finger_quality: int = Field(
        default=40, ge=0, le=100, description="Below this a capture costs a try."
    )
    voice: VoiceConfig = Field(
        default_factory=VoiceConfig, description="Spoken prompts for residents (off by default)."
    )

    def finger_order(self) -> tuple[Finger, ...]:
        return FINGER_ORDER if self.fingers == "ten" else INDEX_FINGERS_ONLY


class Timeouts(_Section):
    resident_idle_seconds: float = Field(
        default=90, gt=0, description="A resident's check-in is forgotten after this idle time."
    )
    operator_idle_lock_seconds: float = Field(
        default=300, gt=0, description="The operator's session locks after this idle time."
    )


class EdgeLink(_Section):
    """How the booth reaches the office broker (MQTT over TLS with its own certificate)."""

    host: str = Field(default="127.0.0.1", description="The edge broker's address.")
    port: int = Field(default=8883, ge=1, le=65535, description="The broker's TLS port.")
    ca_cert_path: Path = Field(description="The office CA certificate.")
    cert_path: Path = Field(description="This booth's certificate (CN = booth id).")
    key_path: Path = Field(description="This booth's TLS key; made here, never leaves.")
    review_public_key_path: Path | None = Field(
        default=None,
        description="The edge's X25519 review key (PEM): the photo thumbnail is sealed for "
        "it so a supervisor can see flagged records; None: no thumbnail.",
    )


class UplinkSettings(_Section):
    """How the booth paces its traffic to the edge."""

    model_config = ConfigDict(extra="forbid")

    software_version: str = Field(default="0.1.0", description="Reported in the booth status.")
    max_in_flight: int = Field(
        default=20, ge=1, le=500, description="Packets sent and not yet acked, at most."
    )
    ack_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Re-send a packet whose ack has not come by then."
    )
    health_interval_seconds: float = Field(
        default=30.0, gt=0, description="Heartbeat: a health report this often."
    )
    keepalive_seconds: int = Field(default=30, ge=5, description="MQTT keepalive.")
    reconnect_max_delay_seconds: int = Field(
        default=30, ge=1, description="Reconnect delay ceiling."
    )


class BoothPowerSettings(_Section):
    """``[power]`` of a booth's configuration."""

    shutdown_command: list[str] = Field(
        default_factory=lambda: ["systemctl", "poweroff"],
        min_length=1,
        description="The booth's shutdown, run after parking and closing the outbox.",
    )
    capture_margin_s: int | None = Field(
        default=None,
        ge=0,
        description="On battery, no new capture below this runtime (s); None: the edge decides.",
    )
    command_timeout_s: float = Field(
        default=30.0, gt=0, description="How long the shutdown command may take."
    )
    shutdown_max_age_s: float = Field(
        default=300.0,
        gt=0,
        description="A SHUTDOWN on office/power older than this (s) is ignored: it was "
        "left retained by an outage that is over.",
    )


class BoothConfig(_Section):
    """One booth."""

    booth_id: str = Field(
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        max_length=32,
        description="This booth's identity, e.g. booth-01 (its certificate CN).",
    )
    data_dir: Path = Field(
        default=Path("/var/lib/rekam"),
        description="Writable data area: outbox, audit log, keys, parked sessions.",
    )
    central_public_key_path: Path = Field(
        description="Central's X25519 public key (PEM); biometrics are sealed for it."
    )
    office: OfficeRules = Field(default_factory=OfficeRules, description="Office rules.")
    timeouts: Timeouts = Field(default_factory=Timeouts, description="Idle timeouts.")
    edge: EdgeLink | None = Field(default=None, description="The office broker; none = alone.")
    power: BoothPowerSettings = Field(
        default_factory=BoothPowerSettings, description="What the booth does when power fails."
    )
    uplink: UplinkSettings = Field(
        default_factory=UplinkSettings, description="How the booth talks to the edge."
    )
    mobile: MobileSettings = Field(
        default_factory=MobileSettings, description="Mobile duty away from the office."
    )
    operator_cards: OperatorCardSettings = Field(
        default_factory=OperatorCardSettings,
        description="Which office CA issues operator cards (and its revocation list).",
    )
    hardware: HardwareConfig = Field(
        default_factory=HardwareConfig.emulated, description="The booth's devices."
    )

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "keys" / "booth-signing.pem"

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite"

    @property
    def audit_path(self) -> Path:
        return self.data_dir / "audit.sqlite"


def load_booth_config(path: Path) -> BoothConfig:
    with path.open("rb") as f:
        return BoothConfig.model_validate(tomllib.load(f))
