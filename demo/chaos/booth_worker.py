"""One chaos booth as its own process: seal, commit, journal, and the real uplink.

``python -m demo.chaos.booth_worker SETTINGS.json`` (written by the harness). The
worker plays its script of enrollments (:mod:`demo.chaos.enrollments`): for each it
seals the record with the booth's real key (:class:`kiosk.sealing.PacketSealer`),
commits it to the real outbox (:class:`kiosk.outbox.store.Outbox`) and only after that
commit returned appends the packet id and SHA-256 to its journal. The real
:class:`kiosk.uplink.client.BoothUplink` drains the outbox to the edge meanwhile.

Around each packet it records the enrollment's events as a booth does (check-in and
ticket call before, card delivery after the commit: :mod:`demo.chaos.events`), each
kept in the outbox by ``send_event`` before it is journaled in ``events.jsonl``.

The harness kills it with SIGKILL at random moments and starts it again. On start
it first reconciles: every packet already in the outbox but missing from the journal
(killed between the commit and the journal line) is journaled now, marked
``recovered``; every finished enrollment gets the events it has not journaled (sent
again under their one id: the edge counts each id once); the script continues with
the first serial the outbox does not hold. Once the script is done it keeps draining
until SIGTERM.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from demo.chaos.enrollments import enrollment_parts, enrollment_record
from demo.chaos.events import EVENTS_JOURNAL_NAME, EventJournal, KeptEvent, chaos_event_id
from demo.chaos.evidence import (
    JOURNAL_NAME,
    OUTBOX_NAME,
    SERIAL_META_KEY,
    Journal,
    JournalEntry,
    outbox_rows,
)
from ektp.messages import EventMessage
from ektp.roster_keys import RosterSecret
from kiosk.config.booth import EdgeLink, UplinkSettings
from kiosk.keys import load_central_public_key, load_or_create_signing_key
from kiosk.outbox.store import Outbox
from kiosk.sealing import PacketSealer
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.events import call_next_event, card_delivered_event, check_in_event
from kiosk.uplink.roster_feed import RosterFeed

log = logging.getLogger("rekam-chaos.booth")
SIGNING_KEY_PATH = Path("keys") / "booth-signing.pem"


class WorkerSettings(BaseModel):
    """What the harness tells one chaos booth (a JSON file)."""

    model_config = ConfigDict(extra="forbid")

    booth_id: str = Field(description="The booth's id (its certificate CN).")
    booth_index: int = Field(ge=0, description="Position among the run's booths (NIKs).")
    data_dir: Path = Field(description="Outbox, journal and signing key live here.")
    serials: list[int] = Field(description="The script: serial numbers to enroll, in order.")
    seed: int = Field(description="The run's seed (derives the synthetic content).")
    pace_seconds: float = Field(
        ge=0, description="Mean pause between two enrollments (spreads them over the run)."
    )
    central_public_key_path: Path = Field(description="Central's X25519 sealing key (PEM).")
    edge: EdgeLink = Field(description="The booth's link to the broker (through its proxy).")
    uplink: UplinkSettings = Field(description="Uplink timings.")


def reconcile(journal: Journal, outbox_path: Path) -> set[int]:
    """Journal what the outbox holds and the journal misses; return the serials done."""
    journaled = {entry.packet_id for entry in journal.entries()}
    done = {entry.serial for entry in journal.entries()}
    for row in outbox_rows(outbox_path):
        if row.serial is None:
            continue
        if row.packet_id not in journaled:
            journal.append(JournalEntry(row.serial, row.packet_id, row.sha256, recovered=True))
        done.add(row.serial)
    return done


class ScriptPlayer:
    """Plays a booth's script: seal, commit, journal, wake the uplink."""

    def __init__(
        self,
        settings: WorkerSettings,
        outbox: Outbox,
        journal: Journal,
        uplink: BoothUplink,
        events: EventJournal,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.journal = journal
        self.uplink = uplink
        self.events = events
        self.events_kept = {(entry.serial, entry.kind) for entry in events.entries()}
        signing_key = load_or_create_signing_key(settings.data_dir / SIGNING_KEY_PATH)
        self.sealer = PacketSealer(
            booth_id=settings.booth_id,
            signing_key=signing_key,
            central_public_key=load_central_public_key(settings.central_public_key_path),
        )
        # check-ins are sealed with the office roster key once the edge has sent it (kept
        # on disk across kills); until then with a stand-in the queue refuses (the event
        # is still recorded once, which is what the checker counts)
        self.roster = RosterFeed.in_data_dir(
            settings.data_dir, booth_id=settings.booth_id, booth_key=signing_key
        )
        self.roster.attach(uplink.client)
        self.stand_in_secret = RosterSecret.generate()

    def play(self, stopping: threading.Event) -> None:
        settings = self.settings
        done = reconcile(self.journal, self.outbox.path)
        for serial in sorted(done):  # killed before its events were all kept
            for kind in ("check_in", "ticket_called", "card_delivered"):
                self.emit(serial, kind)
        pacing = random.Random()
        for serial in settings.serials:
            if serial in done:
                continue
            if stopping.wait(pacing.uniform(0, 2 * settings.pace_seconds)):
                return
            self.enroll(serial)

    def enroll(self, serial: int) -> None:
        settings = self.settings
        self.emit(serial, "check_in")
        self.emit(serial, "ticket_called")
        record = enrollment_record(settings.booth_id, settings.booth_index, serial)
        parts = enrollment_parts(settings.seed, settings.booth_id, serial)
        sealed = self.sealer.seal(record, parts)
        meta: dict[str, Any] = {**sealed.outbox_meta, SERIAL_META_KEY: serial}
        self.outbox.commit(sealed.packet_id, sealed.data, meta)
        # only now is it a promise: the outbox commit returned
        self.journal.append(
            JournalEntry(serial, sealed.packet_id, hashlib.sha256(sealed.data).hexdigest())
        )
        self.uplink.wake()
        self.emit(serial, "card_delivered")

    def emit(self, serial: int, kind: str) -> None:
        """Keep one of the enrollment's events (once per journal), then journal it."""
        if (serial, kind) in self.events_kept:
            return
        event = self.event(serial, kind)
        self.uplink.send_event(event)  # on disk when it returns
        self.events.append(KeptEvent(serial, kind, str(event.event_id)))
        self.events_kept.add((serial, kind))

    def event(self, serial: int, kind: str) -> EventMessage:
        settings = self.settings
        booth_id = settings.booth_id
        record = enrollment_record(booth_id, settings.booth_index, serial)
        event_id = chaos_event_id(settings.seed, booth_id, serial, kind)
        if kind == "check_in":
            event = check_in_event(
                booth_id,
                nik=record.nik,
                kk=record.kk,
                kelurahan=record.kelurahan,
                service=str(record.service),
                secret=self.roster.secret or self.stand_in_secret,
                event_id=event_id,  # the sealed NIK is bound to it
            )
        elif kind == "ticket_called":
            event = call_next_event(booth_id)
        else:
            event = card_delivered_event(booth_id, nik=record.nik, operator=record.operator_id)
        return event.model_copy(update={"event_id": event_id})


def run(settings: WorkerSettings) -> int:
    data_dir = settings.data_dir
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    outbox = Outbox(data_dir / OUTBOX_NAME)
    journal = Journal(data_dir / JOURNAL_NAME)
    events = EventJournal(data_dir / EVENTS_JOURNAL_NAME)
    player: ScriptPlayer | None = None  # its roster feed brings the office key
    uplink = BoothUplink(
        settings.booth_id,
        settings.edge,
        outbox,
        settings=settings.uplink,
        office_secret=lambda: player.roster.secret if player is not None else None,
    )
    uplink.start()
    try:
        player = ScriptPlayer(settings, outbox, journal, uplink, events)
        player.play(stopping)
        while not stopping.wait(0.5):
            pass
    finally:
        uplink.stop()
        outbox.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m demo.chaos.booth_worker SETTINGS.json", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    settings = WorkerSettings.model_validate(json.loads(Path(args[0]).read_text("utf-8")))
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
