"""Configuration of the smart-card reader: ``backend = "real" | "emulated"``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from hardware.config_types import ConfigSection, Duration

DEBIAN_VPCD_PORT = 35963
DEBIAN_VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PCSCD_PID_FILE = Path("/run/pcscd/pcscd.pid")


class RealSmartCardConfig(ConfigSection):
    """A USB CCID reader (or any PC/SC reader) through the system's pcscd."""

    backend: Literal["real"] = Field(
        default="real", title="Backend", description="A real PC/SC reader through pcscd."
    )
    reader_name_contains: str = Field(
        default="",
        title="Reader name contains",
        description=(
            "Use the first PC/SC reader whose name contains this text; empty: the first reader."
        ),
    )
    timeout: Duration = Field(
        default=10.0, title="Timeout", description="Seconds any one card or reader call may take."
    )


class EmulatedSmartCardConfig(ConfigSection):
    """A virtual card behind a real pcscd through the vsmartcard vpcd driver."""

    backend: Literal["emulated"] = Field(
        default="emulated",
        title="Backend",
        description="A virtual card behind pcscd's vpcd reader.",
    )
    vpcd_port: int = Field(
        default=DEBIAN_VPCD_PORT,
        ge=1024,
        le=65534,
        title="vpcd port",
        description=(
            "TCP port of the vpcd reader's first slot (the second slot uses the next port). "
            "With isolate_network it is inside pcscd's private network namespace."
        ),
    )
    isolate_network: bool = Field(
        default=True,
        title="Isolate network",
        description=(
            "Start pcscd in its own network namespace (needs root and iproute2), because "
            "Debian's vpcd listens on all interfaces; off, the vpcd port is reachable from the LAN."
        ),
    )
    timeout: Duration = Field(
        default=10.0, title="Timeout", description="Seconds any one card or reader call may take."
    )
    pcscd_path: str = Field(
        default="pcscd",
        title="pcscd program",
        description="The pcscd executable to start if none runs.",
    )
    pcscd_start_timeout: Duration = Field(
        default=30.0,
        title="pcscd start timeout",
        description="Seconds to wait for pcscd to be ready.",
    )
    vpcd_driver: Path = Field(
        default=DEBIAN_VPCD_DRIVER,
        title="vpcd driver",
        description="Path of the vpcd reader driver (Debian package vsmartcard-vpcd).",
    )
    config_dir: Path | None = Field(
        default=None,
        title="reader.conf directory",
        description=(
            "Where to write pcscd's private reader.conf.d; empty: a new temporary directory."
        ),
    )
    pcscd_pid_file: Path = Field(
        default=PCSCD_PID_FILE,
        title="pcscd pid file",
        description="Where a running pcscd writes its pid (to find its network namespace).",
    )
    operator_card_issuer_dir: Path | None = Field(
        default=None,
        title="Operator card issuer (emulation only)",
        description=(
            "An office CA directory (ca.key, ca.crt) that issues each blank operator card "
            "put in this emulated reader, as the office does before handing a card over; "
            "for tests and the demo (the booth builds the issuer and hands it to the reader). "
            "Empty: cards go in as they are."
        ),
    )
    allow_debian_vpcd: bool = Field(
        default=True,
        title="Allow Debian's vpcd reader",
        description=(
            "When a pcscd already runs with Debian's own 'Virtual PCD' reader (port 35963) "
            "and no Rekam one, use that reader instead of failing."
        ),
    )


SmartCardConfig = Annotated[
    RealSmartCardConfig | EmulatedSmartCardConfig, Field(discriminator="backend")
]
