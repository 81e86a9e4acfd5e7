"""``[crl]`` section of the edge configuration: the office CRL the edge hands to booths."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ektp.config_types import ConfigSection, Duration


class CrlPublishConfig(ConfigSection):
    """Where the office's revocation list lies on the edge, published on ``office/crl``."""

    path: Path | None = Field(
        default=None,
        description="The office CA's CRL (PEM) that provisioning installs for mosquitto "
        "(/etc/rekam/tls/crl.pem); the edge publishes it, retained, on office/crl for the "
        "booths (revoked operator cards). None: the [broker] section's crl_path when the "
        "edge runs the broker itself, else nothing is published.",
    )
    check_interval_s: Duration = Field(
        default=10.0, description="How often the edge looks whether the CRL file changed."
    )
