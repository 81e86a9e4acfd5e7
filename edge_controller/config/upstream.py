"""``UpstreamConfig``: the ``[upstream]`` section of the edge config (store-and-forward)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, field_validator

from ektp.config_types import ConfigSection, Duration, DurationOrZero, PacketBytes, Share


class OfficeHoursShare(ConfigSection):
    """How much of the link the forwarder may use while the office is open."""

    start: dt.time = Field(default=dt.time(8, 0), description="Office opens (local time).")
    end: dt.time = Field(default=dt.time(16, 0), description="Office closes (local time).")
    weekdays: list[int] = Field(
        default=[0, 1, 2, 3, 4, 5],
        description="Open days, 0 = Monday … 6 = Sunday.",
    )
    link_share: Share = Field(
        default=0.5,
        description="Share of link_capacity_kbit the forwarder may use in office hours "
        "(0.5 keeps half the link free for the office).",
    )

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 0 or day > 6 for day in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return value


class UpstreamConfig(ConfigSection):
    """Forwarding committed packets to central over HTTPS (tus resumable uploads, mTLS)."""

    central_url: str = Field(
        description="Central's base URL, e.g. https://central.example.go.id/ "
        "(the tus endpoint is <central_url>/uploads).",
        pattern=r"^https://",
    )
    ca_cert_path: Path = Field(description="CA certificate that signed central's server cert.")
    cert_path: Path = Field(description="The edge's client certificate for central (PEM).")
    key_path: Path = Field(description="The edge's client key for central (PEM, 0600).")
    receipt_public_key_path: Path = Field(
        description="Central's Ed25519 receipt public key (PEM); receipts signed by any "
        "other key are refused and the packet stays unsent."
    )
    chunk_bytes: PacketBytes = Field(
        default=256 * 1024,
        description="Bytes per PATCH request; after a cut at most this much is sent again.",
    )
    batch_size: int = Field(
        default=32, ge=1, le=1000, description="Items picked per round (oldest first)."
    )
    parallel_uploads: int = Field(
        default=4,
        ge=1,
        le=8,
        description="Uploads in flight at once (hides the round trip between requests).",
    )
    request_timeout_seconds: Duration = Field(
        default=60.0, description="Connect/read/write timeout of one HTTP step."
    )
    backoff_initial_seconds: Duration = Field(
        default=2.0, description="First wait after central or the link failed."
    )
    backoff_max_seconds: Duration = Field(
        default=300.0, description="Longest wait between attempts (full jitter)."
    )
    retry_later_seconds: Duration = Field(
        default=600.0,
        description="When central refuses an item for now (e.g. booth not yet registered "
        "there), wait this long before sending that item again.",
    )
    link_capacity_kbit: float | None = Field(
        default=None,
        gt=0,
        description="The office link's upload capacity in kbit/s; with it the forwarder "
        "caps its rate by the shares below. None: no cap.",
    )
    off_hours_link_share: Share = Field(
        default=1.0, description="Share of the link used outside office hours."
    )
    office_hours: OfficeHoursShare = Field(
        default_factory=OfficeHoursShare, description="The daytime cap."
    )
    retention_days: DurationOrZero = Field(
        default=30.0,
        description="Packet bytes are purged this long after central's receipt was stored "
        "(the receipt and the packet's row are kept).",
    )
    alert_unsent_after_hours: Duration = Field(
        default=24.0, description="Alert when the oldest unsent item is older than this."
    )
    idle_poll_seconds: Duration = Field(
        default=5.0, description="How often an idle forwarder looks for new items."
    )
