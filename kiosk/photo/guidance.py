"""From failing checks to what the resident is told: one instruction per failing check,
the most useful first (where to stand before how to hold the head, before the light).

The resident hears and reads the first instruction in Indonesian, then in English; the
operator sees every failing check.
"""

from __future__ import annotations

from collections.abc import Iterable

from ektp.i18n import translate
from kiosk.photo.checks import CheckResult

PRIORITY = (
    "face_count",
    "face_size",
    "centred",
    "portrait_fit",
    "pose_yaw",
    "eyes_level",
    "pose_pitch",
    "eyes_open",
    "mouth_closed",
    "sharpness",
    "background_uniform",
    "exposure",
    "background_colour",
)
"""The order instructions are given in: a resident who stands in the wrong place cannot
be told usefully how to hold the head, and the light and the backdrop are the operator's."""

RESIDENT_LANGUAGES = ("id", "en")
DOMAIN = "kiosk"


def instructions(checks: Iterable[CheckResult]) -> list[str]:
    """The instruction msgids of the failing checks, most useful first, without repeats."""
    rank = {name: i for i, name in enumerate(PRIORITY)}
    failing = sorted(
        (c for c in checks if not c.ok and c.instruction_msgid),
        key=lambda c: rank.get(c.name, len(PRIORITY)),
    )
    ordered: list[str] = []
    for check in failing:
        assert check.instruction_msgid is not None
        if check.instruction_msgid not in ordered:
            ordered.append(check.instruction_msgid)
    return ordered


def in_languages(msgid: str, languages: Iterable[str] = RESIDENT_LANGUAGES) -> list[str]:
    """``msgid`` in each language, Indonesian first by default."""
    return [translate(msgid, language, domain=DOMAIN) for language in languages]
