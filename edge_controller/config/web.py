"""The dashboard's own settings (a ``[web]`` section of the edge config)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from edge_controller.config.section import ConfigSection
from ektp.config_types import Count, Duration


class WebConfig(ConfigSection):
    """Where the dashboard, the JSON API and ``/metrics`` listen, and how sessions work."""

    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on; the office LAN address (or 0.0.0.0) to let the "
        "office PCs in. /metrics listens here too.",
    )
    port: int = Field(default=8080, ge=0, le=65535, description="TCP port (0: any free port).")
    session_secret_path: Path = Field(
        default=Path("/var/lib/rekam/web-session.key"),
        description="File holding the key that signs session cookies; created (mode 0600) "
        "on first start. Deleting it logs everybody out.",
    )
    session_max_age_seconds: int = Field(
        default=12 * 3600, ge=60, description="A login lasts this long (one working day)."
    )
    https_only_cookies: bool = Field(
        default=False,
        description="Send the session cookie only over HTTPS (set when a TLS proxy is in front).",
    )
    display_refresh_seconds: int = Field(
        default=5, ge=1, le=300, description="How often the waiting-room TV page reloads."
    )
    dashboard_refresh_seconds: int = Field(
        default=15,
        ge=0,
        le=3600,
        description="How often the booth and queue pages reload (0: never).",
    )
    max_failed_logins: Count = Field(
        default=5, description="Wrong passwords in a row before a user name is locked."
    )
    lockout_seconds: Duration = Field(
        default=300.0, description="How long a user name stays locked after that."
    )
