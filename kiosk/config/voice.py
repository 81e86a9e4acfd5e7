"""``[office.voice]``: spoken prompts at the resident screens (``kiosk.voice`` speaks them)."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection


class VoiceConfig(ConfigSection):
    """Spoken prompts at the resident screens."""

    enabled: bool = Field(default=False, description="Say each resident prompt aloud.")
    program: str = Field(default="espeak-ng", description="The speech program to run.")
    voices: dict[str, str] = Field(
        default_factory=lambda: {"id": "id", "en": "en"},
        description="espeak-ng voice per screen language.",
    )
    words_per_minute: int = Field(
        default=140, ge=80, le=450, description="Speaking rate (espeak-ng -s)."
    )
    volume: int = Field(default=100, ge=0, le=200, description="Amplitude (espeak-ng -a).")
