"""Packet checks in a helper process, so verifying ~60 KB packets does not hold the edge's GIL.

Profiling the ingest (``py-spy --gil``, issue 20) showed the edge's one Python thread of
execution busy about 90% of the time during a burst, three fifths of it inside
:func:`ektp.packet.verify` (canonical-JSON re-encoding, base64, the manifest's schema):
the TLS reads, the loop and the commits waited for it. :class:`CheckProcess` runs
:func:`~edge_controller.ingest.checks.check_packet` — the same function, the same
keys — in ``python -m edge_controller.ingest.check_process``, a child joined by a
socket pair (the request; the payloads through shared memory,
:mod:`~edge_controller.ingest.shared_payloads`); a passed packet
comes back as the :class:`~edge_controller.ingest.checks.VerifiedPacket` the commit needs
(a small tuple, with the manifest's signed bytes) — validating the manifest again in the
edge took ~30% of the edge's GIL time in a burst.

The child tunes itself for bursts as the edge does
(:mod:`~edge_controller.ingest.process_tuning`: its heap keeps the pages each batch's
payload copies reuse). The child exits when the socket closes (the edge stopped or
died). If it dies, the batch in flight fails (its booths re-send: nothing was acked) and
the next large batch starts a new one; small batches never wait for it (see
:class:`~edge_controller.ingest.pipeline.IngestPipeline`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from edge_controller.booths.keys import BoothKey, BoothKeyRing
from edge_controller.ingest.checks import Checked, Incoming, VerifiedPacket, check_packet
from edge_controller.ingest.process_tuning import tune_for_bursts
from edge_controller.ingest.shared_payloads import PayloadReader, PayloadRegion, Place

PortableKey = tuple[str, bytes, dt.datetime, dt.datetime | None]
"""A :class:`BoothKey` as the child receives it: id, raw public key, dates."""
PortableRing = tuple[PortableKey, tuple[PortableKey, ...]]
SOCKET_BUFFER_BYTES = 4 * 1024 * 1024
"""Each side's send buffer (the kernel's ``net.core.wmem_max`` may cap it): a share of
a burst batch (~2 MB) goes in without waiting, packet by packet, for the child to read."""
ANSWER_TIMEOUT_S = 120.0
"""A batch of 500 packets takes well under a second; no answer by then is a hung child."""
Outcome = tuple[str | None, str | None, VerifiedPacket | None]
"""(packet id, refusal code, what the commit needs if it passed) of one packet."""


@dataclass(frozen=True)
class CheckRequest:
    items: list[tuple[str, bytes]]
    """(booth named by the topic, payload) of each packet."""
    rings: dict[str, PortableRing]
    max_size: int
    retired_key_grace: dt.timedelta


@dataclass(frozen=True)
class _Header:
    """What precedes a batch on the socket: each packet's booth and where its payload
    lies in the shared region (None: it follows on the socket), then the settings."""

    booths: list[str]
    places: list[Place]
    region_size: int
    rings: dict[str, PortableRing]
    max_size: int
    retired_key_grace: dt.timedelta


def portable_rings(rings: dict[str, BoothKeyRing]) -> dict[str, PortableRing]:
    def key(k: BoothKey) -> PortableKey:
        raw = k.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return (k.key_id, raw, k.registered_at, k.retired_at)

    return {b: (key(r.active), tuple(key(k) for k in r.retired)) for b, r in rings.items()}


class CheckProcess:
    """The helper process; :meth:`check` blocks (call it from a worker thread)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
        self._region = PayloadRegion.create()
        region_fd = self._region.fd if self._region is not None else -1
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno()), str(region_fd)],
            pass_fds=(theirs.fileno(), *([region_fd] if region_fd >= 0 else [])),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._ready = False

    @property
    def ready(self) -> bool:
        """True once the child has imported its modules (never blocks)."""
        if not self._ready and self.alive and self._conn.poll(0):
            self._ready = self._conn.recv() == "ready"
        return self._ready

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    @property
    def pid(self) -> int:
        return self._process.pid

    def check(self, batch: list[Incoming], request: CheckRequest) -> list[Checked]:
        """Check ``batch`` in the child; OSError or EOFError if it died or hangs."""
        payloads = [payload for _, payload in request.items]
        region = self._region
        places: list[Place] = [None] * len(payloads) if region is None else region.place(payloads)
        booths = [booth for booth, _ in request.items]
        size = 0 if region is None else region.size
        rings, limit, grace = request.rings, request.max_size, request.retired_key_grace
        self._conn.send(_Header(booths, places, size, rings, limit, grace))
        for payload, place in zip(payloads, places, strict=True):
            if place is None:  # each straight from its buffer: no 4 MB pickle per batch
                self._conn.send_bytes(payload)
        if not self._conn.poll(ANSWER_TIMEOUT_S):
            self._process.kill()
            raise TimeoutError("the check process did not answer")
        outcomes: list[Outcome] = self._conn.recv()
        return [
            Checked(incoming, verified, packet_id, code)
            for incoming, (packet_id, code, verified) in zip(batch, outcomes, strict=True)
        ]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        if self._region is not None:
            self._region.close()
            self._region = None


def _restore(
    booth_id: str, ring: PortableRing, cache: dict[bytes, Ed25519PublicKey]
) -> BoothKeyRing:
    def key(k: PortableKey) -> BoothKey:
        if k[1] not in cache:
            cache[k[1]] = Ed25519PublicKey.from_public_bytes(k[1])
        return BoothKey(k[0], cache[k[1]], k[2], k[3])

    active, retired = ring
    return BoothKeyRing(booth_id, key(active), tuple(key(k) for k in retired))


def _serve(conn: Connection, reader: PayloadReader | None) -> None:
    cache: dict[bytes, Ed25519PublicKey] = {}
    received = dt.datetime.now(dt.UTC)  # unused by the checks; Incoming wants one
    tune_for_bursts()  # each payload's copies are fresh ~60 KB buffers here too
    try:
        conn.send("ready")
    except OSError:  # the edge stopped while this process was starting
        return
    while True:
        try:
            header: _Header = conn.recv()
        except (EOFError, OSError):
            return
        rings = {b: _restore(b, r, cache) for b, r in header.rings.items()}
        payloads = [
            conn.recv_bytes()
            if place is None or reader is None
            else reader.read(place, header.region_size)
            for place in header.places
        ]
        outcomes: list[Outcome] = []
        for booth_id, payload in zip(header.booths, payloads, strict=True):
            item = check_packet(
                Incoming(booth_id, payload, received),
                rings.get(booth_id),
                max_size=header.max_size,
                retired_key_grace=header.retired_key_grace,
            )
            outcomes.append((item.packet_id, item.code, item.verified))
        conn.send(outcomes)


if __name__ == "__main__":
    _region_fd = int(sys.argv[2]) if len(sys.argv) > 2 else -1
    _serve(Connection(int(sys.argv[1])), PayloadReader(_region_fd) if _region_fd >= 0 else None)
