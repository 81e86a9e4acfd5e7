"""A writer for the outbox SIGKILL tests: commits until it is killed.

``python tests/kiosk/outbox_writer.py DB`` commits packets. It prints ``ready`` once
the outbox is open, then for every packet ``committed <packet_id>`` — only after
``commit()`` has returned, so every printed id is a promise the outbox must keep.
Packets are random bytes of 1–100 KB whose SHA-256 travels in the metadata. Every few
packets it also marks earlier ones sent and acked, so kills land in updates too.

``python tests/kiosk/outbox_writer.py DB events LINK.json`` is a booth recording
check-ins and card deliveries: its real :class:`~kiosk.uplink.client.BoothUplink`
(link from the JSON file, an :class:`~kiosk.config.booth.EdgeLink` plus ``booth_id``)
drains the outbox to the broker meanwhile. It prints ``event <kind> <event_id>`` once
``send_event`` returned (the event is on disk). ``... DB drain LINK.json`` only drains:
it prints ``drained`` and exits once the broker took every kept message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

from ektp.kk import build_kk
from ektp.nik import Sex, build_nik
from ektp.roster_keys import RosterSecret
from kiosk.config.booth import EdgeLink, UplinkSettings
from kiosk.outbox.store import Outbox
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.events import card_delivered_event, check_in_event

REGION = "640306"  # Gunung Tabur, Kabupaten Berau
DRAIN_TIMEOUT_S = 120.0


def write_packets(outbox: Outbox, rng: random.Random) -> None:
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


def open_uplink(outbox: Outbox, link_file: str) -> BoothUplink:
    settings = json.loads(Path(link_file).read_text("utf-8"))
    booth_id = settings.pop("booth_id")
    secret = RosterSecret(bytes.fromhex(settings.pop("roster_secret")))
    uplink = BoothUplink(
        booth_id,
        EdgeLink.model_validate(settings),
        outbox,
        settings=UplinkSettings(reconnect_max_delay_seconds=1, health_interval_seconds=5.0),
        office_secret=lambda: secret,  # packets go sealed with it
    )
    uplink.start()
    return uplink


def roster_secret(link_file: str) -> RosterSecret:
    """The office roster secret the test handed over (a booth opens it from the edge)."""
    settings = json.loads(Path(link_file).read_text("utf-8"))
    return RosterSecret(bytes.fromhex(settings["roster_secret"]))


def record_events(uplink: BoothUplink, rng: random.Random, secret: RosterSecret) -> None:
    """A check-in and a card delivery, again and again, each reported once it is kept."""
    while True:
        serial = rng.randint(1, 9999)  # with the birth date: one resident, one check-in
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15_000))
        nik = build_nik(REGION, born, Sex.FEMALE, serial)
        check_in = check_in_event(
            uplink.booth_id,
            nik=nik,
            kk=build_kk(REGION, dt.date(2015, 3, 12), serial),
            kelurahan="Sambakungan",
            service="new_recording",
            secret=secret,
        )
        uplink.send_event(check_in)
        os.write(1, f"event check_in {check_in.event_id}\n".encode())
        delivered = card_delivered_event(uplink.booth_id, nik=nik, operator="OP-0001")
        uplink.send_event(delivered)
        os.write(1, f"event card_delivered {delivered.event_id}\n".encode())
        time.sleep(rng.uniform(0, 0.01))


def drain(uplink: BoothUplink) -> int:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while uplink.messages_waiting() > 0:
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.05)
    os.write(1, b"drained\n")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] not in ("events", "drain")):
        sys.stderr.write("usage: outbox_writer.py DB [events|drain LINK.json]\n")
        return 2
    rng = random.Random(int.from_bytes(os.urandom(8), "big"))
    outbox = Outbox(argv[1])
    if len(argv) == 2:
        os.write(1, b"ready\n")
        write_packets(outbox, rng)
        return 0
    uplink = open_uplink(outbox, argv[3])
    os.write(1, b"ready\n")
    if argv[2] == "drain":
        try:
            return drain(uplink)
        finally:
            uplink.stop()
            outbox.close()
    record_events(uplink, rng, roster_secret(argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
