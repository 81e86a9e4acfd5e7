"""A writer for the outbox SIGKILL test: commits packets until it is killed.

Usage: ``python tests/kiosk/outbox_writer.py DB``. Prints ``ready`` once the outbox
is open, then for every packet ``committed <packet_id>`` — only after ``commit()``
has returned, so every printed id is a promise the outbox must keep. Packets are
random bytes of 1–100 KB whose SHA-256 travels in the metadata. Every few packets it
also marks earlier ones sent and acked, so kills land in updates too.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import uuid

from kiosk.outbox.store import Outbox


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: outbox_writer.py DB\n")
        return 2
    rng = random.Random(int.from_bytes(os.urandom(8), "big"))
    outbox = Outbox(argv[1])
    os.write(1, b"ready\n")
    mine: list[str] = []
    while True:
        size = rng.randint(1024, 100 * 1024)
        blob = rng.randbytes(size)
        packet_id = uuid.uuid4().hex
        meta = {
            "packet_id": packet_id,
            "kelurahan": "Gunung Tabur",
            "size": size,
            "sha256": hashlib.sha256(blob).hexdigest(),
        }
        outbox.commit(packet_id, blob, meta)
        os.write(1, f"committed {packet_id}\n".encode())
        mine.append(packet_id)
        if len(mine) % 3 == 0:
            outbox.mark_sent(mine[-3])
        if len(mine) % 5 == 0:
            outbox.mark_acked(mine[-5:-2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
