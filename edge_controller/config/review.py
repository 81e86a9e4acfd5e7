"""``[review]`` section of the edge configuration: supervisor review of flagged records."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ektp.config_types import ConfigSection, Count, CountOrZero, Duration


class ReviewConfig(ConfigSection):
    """``[review]``: supervisor review of flagged records."""

    warn_above: CountOrZero = Field(
        default=20,
        description="Booths warn that reviews are piling up when more records than this wait.",
    )
    key_path: Path | None = Field(
        default=None,
        description="The edge's X25519 review key (PEM, 0600), made on first start; the "
        "public key is written beside it with '.pub.pem' for the booths. None: "
        "'pki/review.key' next to the database.",
    )
    publish_interval_seconds: Duration = Field(
        default=2.0, description="How often the edge checks for new decisions to tell the booths."
    )
    decisions_kept_days: Count = Field(
        default=7, description="Decisions repeated in each booth's retained message."
    )


def review_key_path(config: ReviewConfig, database_path: Path) -> Path:
    """Where the review key lives (the configured path, or beside the database)."""
    return config.key_path or Path(database_path).parent / "pki" / "review.key"
