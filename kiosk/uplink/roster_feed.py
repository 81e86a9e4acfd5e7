"""The booth's roster: the edge's retained digests, followed live and kept on disk.

:class:`RosterFeed` subscribes ``office/roster/+`` on the booth's MQTT client and
is the check-in flow's :class:`~kiosk.flow.ports.Roster`. Each valid digest replaces
that village's copy in memory and, atomically (temporary file, fsync, rename), in
``<data_dir>/roster/<slug>.json`` — byte for byte as the edge sent it — so a booth
that restarts without the edge, or leaves on mobile duty, still checks residents in.
A digest that is malformed or fails its schema is ignored with a log line and the
village keeps its previous copy. An empty retained payload means the edge removed the
village from its roster: the booth forgets it too.

Look-ups never see a plain roster: ``find(nik)`` computes the digest's salted key of
the NIK typed, and the KK typed is checked against the entry's salted KK key
(:meth:`DigestRosterEntry.kk_matches`). The name is the masked one.

A village's copy is "fresh" as of when the booth last received it (the file's
modification time): the edge's retained message arrives again on every connect, and
an unchanged one only renews that time. :meth:`RosterFeed.villages` reports it, for
the mobile duty's roster-age check.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ektp.messages import MessageError, RosterDigest, parse_message, roster_key
from ektp.mqtt.client import MqttClient
from ektp.mqtt.message import ReceivedMessage
from ektp.mqtt.subscriptions import subscribe_when_connected
from ektp.topics import OFFICE_ROSTER_PREFIX, TopicError, parse_topic, roster_topic
from kiosk.flow.ports import RosterEntry

log = logging.getLogger(__name__)

ROSTER_SUBSCRIPTION = OFFICE_ROSTER_PREFIX + "+"
ROSTER_DIR_NAME = "roster"


@dataclass(frozen=True)
class DigestRosterEntry(RosterEntry):
    """A roster entry from a digest: masked name, KK known only as a salted key."""

    kk_key: str = ""
    salt: str = ""

    def kk_matches(self, kk: str) -> bool:
        return roster_key(self.salt, kk) == self.kk_key


@dataclass(frozen=True)
class VillageCopy:
    """One village the booth carries: its name, the edge's time and when it arrived."""

    kelurahan: str
    generated_at: dt.datetime
    received_at: dt.datetime
    residents: int

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.received_at


class RosterFeed:
    """The edge's roster digests as a check-in roster; see the module docstring."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._digests: dict[str, RosterDigest] = {}  # slug → digest
        self._received: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> RosterFeed:
        return cls(data_dir / ROSTER_DIR_NAME)

    # -- the check-in's roster ------------------------------------------------------

    def find(self, nik: str) -> RosterEntry | None:
        with self._lock:
            digests = list(self._digests.values())
        for digest in digests:
            entry = digest.entries.get(roster_key(digest.salt, nik))
            if entry is not None:
                return DigestRosterEntry(
                    nik=nik,
                    kk="",
                    name=entry.masked_name,
                    kelurahan=digest.kelurahan,
                    rt=entry.rt,
                    rw=entry.rw,
                    recorded_on=entry.recorded_on,
                    card_status=entry.card_status,
                    kk_key=entry.kk_key,
                    salt=digest.salt,
                )
        return None

    def villages(self) -> dict[str, VillageCopy]:
        """Every village carried, by name."""
        with self._lock:
            return {
                digest.kelurahan: VillageCopy(
                    digest.kelurahan,
                    digest.generated_at,
                    self._received[slug],
                    len(digest.entries),
                )
                for slug, digest in self._digests.items()
            }

    # -- following the edge ---------------------------------------------------------

    def attach(self, client: MqttClient) -> None:
        """Subscribe ``office/roster/+`` as soon as ``client`` is connected (background
        thread; the client keeps the subscription across reconnects)."""

        subscribe_when_connected(
            client,
            [ROSTER_SUBSCRIPTION],
            self.on_mqtt_message,
            stop=self._stopped,
            name="roster-subscribe",
        )

    def close(self) -> None:
        self._stopped.set()

    def on_mqtt_message(self, message: ReceivedMessage) -> None:
        """MQTT callback (paho's thread)."""
        self.receive(message.topic, message.payload)

    def receive(self, topic: str, payload: bytes) -> bool:
        """Take one ``office/roster/<slug>`` payload; True if the booth's copy changed."""
        try:
            slug = parse_topic(topic).kelurahan
        except TopicError:
            log.warning("roster: ignored a message on %r", topic[:120])
            return False
        if slug is None:
            return False
        if not payload:
            return self._forget(slug)
        try:
            digest = parse_message(topic, payload)
        except MessageError as err:
            log.warning(
                "roster: ignored a bad digest on %s (%s); kept the previous copy", topic, err.code
            )
            return False
        if not isinstance(digest, RosterDigest):
            return False
        path = self._path(slug)
        try:
            if path.exists() and path.read_bytes() == payload:
                os.utime(path)  # the same digest again: the copy is fresh as of now
                changed = False
            else:
                _write_atomically(path, payload)
                changed = True
            received = _mtime(path)
        except OSError as err:
            log.error("roster: cannot store %s: %s", topic, err)
            received = dt.datetime.now(dt.UTC)
            changed = True
        with self._lock:
            self._digests[slug] = digest
            self._received[slug] = received
        if changed:
            log.info("roster: %s now has %d residents", digest.kelurahan, len(digest.entries))
        return changed

    # -- disk -----------------------------------------------------------------------

    def _path(self, slug: str) -> Path:
        return self.directory / f"{slug}.json"

    def _load(self) -> None:
        for path in sorted(self.directory.glob("*.json")):
            slug = path.stem
            try:
                digest = parse_message(roster_topic(slug), path.read_bytes())
            except (MessageError, TopicError, OSError) as err:
                log.warning("roster: ignored the stored copy %s: %s", path.name, err)
                continue
            if isinstance(digest, RosterDigest):
                self._digests[slug] = digest
                self._received[slug] = _mtime(path)

    def _forget(self, slug: str) -> bool:
        with self._lock:
            known = self._digests.pop(slug, None)
            self._received.pop(slug, None)
        try:
            self._path(slug).unlink(missing_ok=True)
        except OSError as err:
            log.error("roster: cannot remove %s: %s", slug, err)
        if known is not None:
            log.info("roster: %s left the office roster", known.kelurahan)
        return known is not None


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
