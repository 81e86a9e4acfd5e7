"""What the enrollments' transport envelope costs the edge, per packet (issue 18).

The edge opens each booth's envelope (:mod:`ektp.transport_seal`, AES-256-GCM) on its
event loop before the ingest checks. Row ``edge_transport_open_us_per_packet``: the
time to open one ~60 KB packet, against the check the edge already makes on every
packet (``ektp.packet.verify``: Ed25519 signature, hashes, canonical form), measured on
the same packets in the same run — the ratio is the envelope's share of that work.

    python -m bench.transport_seal [--quick]
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.ingest import BOOTH, _packets
from bench.report import make_row, print_table_main
from ektp.packet import verify
from ektp.roster_keys import RosterSecret
from ektp.transport_seal import TransportKey


def _per_call_us(work: Callable[[bytes], object], items: list[bytes], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):  # the best round: the least disturbed by the other helpers
        started = time.perf_counter()
        for item in items:
            work(item)
        best = min(best, (time.perf_counter() - started) / len(items))
    return best * 1e6


def run(quick: bool) -> list[dict[str, Any]]:
    count, rounds = (50, 3) if quick else (200, 7)
    signing_key = Ed25519PrivateKey.generate()
    packets = _packets(count, signing_key)
    office_key = TransportKey(RosterSecret.generate())
    envelopes = [office_key.seal(BOOTH, uuid.uuid4(), packet) for packet in packets]
    public_key = signing_key.public_key()
    opened = _per_call_us(lambda data: office_key.open(BOOTH, data), envelopes, rounds)
    checked = _per_call_us(lambda data: verify(data, booth_public_key=public_key), packets, rounds)
    size_kb = sum(map(len, packets)) / len(packets) / 1024
    return [
        make_row(
            "edge_transport_open_us_per_packet",
            opened,
            f"µs per {size_kb:.0f} KB packet",
            "ektp.packet.verify of the same packet (the edge's check)",
            checked,
            places=1,
            ratio_places=3,
        )
    ]


def main(argv: list[str] | None = None) -> None:
    description = __doc__.splitlines()[0]
    print_table_main(run, argv, description=description, quick_help="Fewer packets.")


if __name__ == "__main__":
    main()
