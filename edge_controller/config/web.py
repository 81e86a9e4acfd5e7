"""The dashboard's own settings (a ``[web]`` section of the edge config)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from ektp.config_types import ConfigSection, Count, Duration, ListenPort


class WebConfig(ConfigSection):
    """Where the dashboard, the JSON API and ``/metrics`` listen, and how sessions work."""

    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on; the office LAN address (or 0.0.0.0) to let the "
        "office PCs in. /metrics listens here too.",
    )
    port: ListenPort = Field(default=8080, description="TCP port (0: any free port).")
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
        description="Send the session cookie only over HTTPS even without tls_cert_path (set "
        "when a TLS proxy is in front); with tls_cert_path it is always HTTPS-only.",
    )
    tls_cert_path: Path | None = Field(
        default=None,
        description="The dashboard's server certificate (PEM, issued by the office CA, "
        "chain included); set with tls_key_path to serve HTTPS. Not set: plain HTTP "
        "(development and tests only).",
    )
    tls_key_path: Path | None = Field(
        default=None, description="The private key of tls_cert_path (PEM, mode 0600)."
    )
    http_redirect_port: ListenPort | None = Field(
        default=None,
        description="A plain-HTTP port that only redirects to the HTTPS dashboard (needs "
        "tls_cert_path; 0: any free port). Not set: no plain-HTTP listener.",
    )
    sessions_path: Path | None = Field(
        default=None,
        description="SQLite file of the logins (server-side sessions). Not set: "
        "web-sessions.sqlite3 next to the edge database.",
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
        default=300.0, description="How long a user name (or address) stays locked after that."
    )
    max_failed_logins_per_address: Count = Field(
        default=20,
        description="Wrong passwords from one client address, whatever the user names, "
        "before that address is locked (an office PC is shared, so more than per user).",
    )
    max_concurrent_password_checks: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Password hashes computed at once (each keeps a core busy); the rest "
        "wait, so a burst of logins cannot starve ingest.",
    )
    max_waiting_password_checks: int = Field(
        default=8,
        ge=0,
        le=1000,
        description="Logins that may wait for a hash; beyond that a login is answered "
        "'busy, try again' (HTTP 503) at once.",
    )

    @property
    def tls(self) -> bool:
        """Whether the dashboard serves HTTPS itself."""
        return self.tls_cert_path is not None

    @model_validator(mode="after")
    def _tls_settings_go_together(self) -> Self:
        if (self.tls_cert_path is None) != (self.tls_key_path is None):
            raise ValueError("set both tls_cert_path and tls_key_path, or neither")
        if self.http_redirect_port is not None and self.tls_cert_path is None:
            raise ValueError("http_redirect_port redirects to HTTPS: set tls_cert_path too")
        return self
