"""What :mod:`bench.fleet` hands its booth workers, and what they hand back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

Resident = tuple[str, str, str]
"""(NIK, KK, kelurahan) of a resident a booth records."""


@dataclass(frozen=True)
class BoothSpec:
    """One simulated booth: its identity files and what it will send."""

    booth_id: str
    cert_path: Path
    key_path: Path
    residents: tuple[Resident, ...] = ()
    on_roster: int = 0
    """How many of the first ``residents`` are on the office roster: check-ins name only
    those (0: all)."""
    """Sealed in order, one packet each (ignored when ``packets_file`` is given)."""
    packets_file: Path | None = None
    """Pre-sealed packets, each as a 4-byte big-endian length then the bytes."""


@dataclass(frozen=True)
class WorkerSpec:
    port: int
    ca_cert_path: Path
    booths: tuple[BoothSpec, ...]
    office_topics: bool = False
    """Also subscribe what a kiosk subscribes (queue, roster digests, CRL, reviews)."""
    photo_bytes: int = 38_000


@dataclass
class Steady:
    """What the booths saw during the steady office mix (summed over workers)."""

    latencies: list[float] = field(default_factory=list)
    """Publish → ack of each enrollment packet, seconds."""
    unacked: int = 0
    events_sent: int = 0
    bytes_received: dict[str, int] = field(default_factory=dict)
    """Payload + topic bytes the booths received, per first two topic levels."""


def write_packets(path: Path, packets: Sequence[bytes]) -> None:
    with path.open("wb") as out:
        for data in packets:
            out.write(len(data).to_bytes(4, "big"))
            out.write(data)


def read_packets(path: Path) -> list[bytes]:
    data = path.read_bytes()
    packets, at = [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        packets.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return packets
