"""``[office]``: what the office decides about a recording."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ektp.config_types import ConfigSection
from ektp.photo_rule import PhotoRuleConfig
from ektp.record import FINGER_ORDER, INDEX_FINGERS_ONLY, Finger
from ektp.services import ServiceCatalog
from kiosk.config.voice import VoiceConfig


class OfficeRules(ConfigSection):
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
