"""The booth's configuration (TOML), validated once in ``main`` and passed down.

One model per section, each in its own module of :mod:`kiosk.config`; :class:`BoothConfig`
gathers them (exported as ``kiosk.config.KioskConfig``). Config modules import no kiosk logic.
"""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

from pydantic import Field, model_validator

from ektp.config_types import ConfigSection
from ektp.regions import RegionConfig
from hardware.config import HardwareConfig
from kiosk.config.edge import EdgeLink
from kiosk.config.mobile import MobileSettings
from kiosk.config.office import OfficeRules
from kiosk.config.operator_cards import OperatorCardSettings
from kiosk.config.photo import PhotoQualityConfig
from kiosk.config.power import BoothPowerSettings
from kiosk.config.signals import SignalSettings
from kiosk.config.timeouts import Timeouts
from kiosk.config.uplink import UplinkSettings

__all__ = [
    "BoothConfig",
    "BoothPowerSettings",
    "EdgeLink",
    "MobileSettings",
    "OfficeRules",
    "OperatorCardSettings",
    "PhotoQualityConfig",
    "SignalSettings",
    "Timeouts",
    "UplinkSettings",
    "load_booth_config",
]

SIGNING_KEY_IN_DATA_DIR = PurePosixPath("keys", "booth-signing.pem")
"""The booth's packet-signing key within ``data_dir`` (provisioning's layout uses it too)."""
OUTBOX_IN_DATA_DIR = PurePosixPath("outbox.sqlite")
"""The booth's outbox within ``data_dir`` (provisioning's layout uses it too)."""


class BoothConfig(ConfigSection):
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
    photo: PhotoQualityConfig = Field(
        default_factory=PhotoQualityConfig,
        description="What makes a photo acceptable: the photo gate's thresholds and output.",
    )
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
    signals: SignalSettings = Field(
        default_factory=SignalSettings,
        description="What the status LEDs and the buzzer say ([hardware.gpio] wires them).",
    )
    hardware: HardwareConfig = Field(
        default_factory=HardwareConfig.emulated, description="The booth's devices."
    )
    region: RegionConfig = Field(
        default_factory=RegionConfig,
        description="How much of the official Kemendagri region table checks NIKs and KKs "
        "at check-in; its office_district_code is [office] district_code when left out.",
    )

    @model_validator(mode="after")
    def _one_office_district(self) -> BoothConfig:
        """``[region]`` follows ``[office] district_code``; a different code is an error."""
        if "office_district_code" not in self.region.model_fields_set:
            self.region = self.region.model_copy(
                update={"office_district_code": self.office.district_code}
            )
        elif self.region.office_district_code != self.office.district_code:
            raise ValueError(
                f"[region] office_district_code {self.region.office_district_code} is not "
                f"[office] district_code {self.office.district_code}: give one district"
            )
        return self

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / SIGNING_KEY_IN_DATA_DIR

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / OUTBOX_IN_DATA_DIR

    @property
    def audit_path(self) -> Path:
        return self.data_dir / "audit.sqlite"


def load_booth_config(path: Path) -> BoothConfig:
    with path.open("rb") as f:
        return BoothConfig.model_validate(tomllib.load(f))
