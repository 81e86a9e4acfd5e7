"""What the edge and the booths agree on about a resident of the roster.

The edge keeps the whole roster (``edge_controller.roster.store.Resident``: birth date,
sex, marriage, for schedules and invitation lists); a booth only ever sees a digest
entry (:class:`ektp.messages.RosterEntry`, on ``office/roster/<kelurahan>``) and its
check-in view of it (``kiosk.flow.ports.RosterEntry``). Those views differ on purpose
(a booth must never hold a plain roster); what they share is here, once: where the
resident's e-KTP is, how a name is masked, and how RT/RW numbers are written.
"""

from __future__ import annotations

from enum import StrEnum


class CardStatus(StrEnum):
    """Where the resident's e-KTP is."""

    NOT_RECORDED = "not_recorded"
    RECORDED = "recorded"
    PRINTED = "printed"
    HANDED_OVER = "handed_over"


def mask_name(name: str) -> str:
    """The name as a booth shows it: ``Siti Aminah`` → ``Si** Am****``.

    Enough to confirm one's own name, not enough to read a stranger's off the screen.
    Masking an already masked name changes nothing.
    """
    words = []
    for word in name.split():
        keep = 2 if len(word) > 3 else 1
        words.append(word[:keep] + "*" * (len(word) - keep))
    return " ".join(words)


def format_rt(number: int) -> str:
    """RT and RW numbers as printed on letters and sent to booths: ``3`` → ``003``."""
    return f"{number:03d}"
