"""The villages a booth carries, at a version, kept on disk: full digests plus deltas.

Each village is held at a **version** (:mod:`edge_controller.roster.deltas` says how the
edge numbers them). A full digest (``office/roster/<slug>``) is taken when the booth holds
nothing of the village, when it is newer than the copy held, when it was made with
another office roster secret, or when it is older than the digest the held copy grew from
(the edge started its versions again); an older copy of what is held (the retained one
again after a reconnect) only renews the copy's freshness. A delta
(``office/roster/<slug>/delta/<slot>``) is applied **only onto the version it names as
its base**: an older one (already applied, or the ring replayed) is dropped; one from
further ahead is kept aside until the deltas between arrive (out-of-order delivery) or a
full digest catches the village up, and is then applied. A booth that missed deltas (it
was off, or restarted on an old copy) gets them back from the retained ring when it
subscribes again; meanwhile it keeps looking residents up in the version it holds.

On disk, in the feed's directory: ``<slug>.json``, the full digest byte for byte as the
edge sent it, and ``<slug>.deltas``, the deltas applied onto it since, one JSON a line,
each appended and fsynced before the copy in memory changes. A new full digest replaces
the first atomically (temporary file, fsync, rename) and empties the second. At start the
copy is rebuilt the same way: the digest, then each stored delta whose base is the
version reached (a line left by a crash between the two files is skipped).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ektp.atomic_file import write_atomically
from ektp.messages import MessageError, encode_message, parse_message
from ektp.roster_messages import RosterDelta, RosterDigest, RosterEntry
from ektp.topics import TopicError, roster_delta_topic, roster_topic

log = logging.getLogger(__name__)

DELTAS_SUFFIX = ".deltas"
PENDING_LIMIT = 4096
"""Deltas from ahead kept aside per village (the ring never holds more than 1,024)."""


@dataclass
class HeldVillage:
    """One village the booth carries: its entries at ``version``."""

    kelurahan: str
    secret_id: str
    generated_at: dt.datetime
    version: int
    full_version: int
    """The version of the full digest the copy grew from."""
    entries: dict[str, RosterEntry]
    received_at: dt.datetime

    @classmethod
    def of(cls, digest: RosterDigest, received_at: dt.datetime) -> HeldVillage:
        return cls(
            digest.kelurahan,
            digest.secret_id,
            digest.generated_at,
            digest.version,
            digest.version,
            dict(digest.entries),
            received_at,
        )

    def apply(self, delta: RosterDelta, received_at: dt.datetime) -> None:
        for key in delta.removed:
            self.entries.pop(key, None)
        self.entries.update(delta.changed)
        self.version = delta.version
        self.generated_at = delta.generated_at
        self.received_at = received_at


class VillageCache:
    """The villages held, by slug; thread-safe (MQTT's thread writes, look-ups read)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._villages: dict[str, HeldVillage] = {}
        self._pending: dict[str, dict[int, RosterDelta]] = {}  # slug → base version → delta
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        self._load()

    def villages(self) -> dict[str, HeldVillage]:
        with self._lock:
            return dict(self._villages)

    def version(self, slug: str) -> int | None:
        with self._lock:
            held = self._villages.get(slug)
            return None if held is None else held.version

    def find(self, lookup_key: str, secret_id: str) -> tuple[str, RosterEntry] | None:
        with self._lock:
            for held in self._villages.values():
                entry = held.entries.get(lookup_key) if held.secret_id == secret_id else None
                if entry is not None:
                    return held.kelurahan, entry
        return None

    # -- what the edge sends --------------------------------------------------------

    def take_digest(self, slug: str, digest: RosterDigest, payload: bytes) -> bool:
        """A full digest; True if the copy held changed."""
        with self._lock:
            held = self._villages.get(slug)
            if held is not None and not _replaces(held, digest):
                held.received_at = self._touch(slug)  # the edge's copy is no newer: fresh
                return False
            try:
                write_atomically(self._path(slug), payload)
                self._deltas_path(slug).unlink(missing_ok=True)
                received = _mtime(self._path(slug))
            except OSError as err:
                log.error("roster: cannot store %s: %s", roster_topic(slug), err)
                received = dt.datetime.now(dt.UTC)
            self._villages[slug] = HeldVillage.of(digest, received)
            self._catch_up(slug)
        log.info("roster: %s now has %d residents", digest.kelurahan, len(digest.entries))
        return True

    def take_delta(self, slug: str, delta: RosterDelta) -> bool:
        """A delta; True if it (and any kept aside after it) was applied."""
        if delta.version <= delta.base_version:
            log.warning("roster: ignored a delta of %s that goes nowhere", slug)
            return False
        with self._lock:
            held = self._villages.get(slug)
            if held is not None and delta.base_version < held.version:
                return False  # applied already, or an old slot of the ring
            if held is None or delta.base_version > held.version:
                self._keep_aside(slug, delta)
                return False
            if delta.secret_id != held.secret_id:
                return False  # a full digest under the new secret comes
            self._apply(slug, held, delta)
            self._catch_up(slug)
        return True

    def forget(self, slug: str) -> HeldVillage | None:
        with self._lock:
            known = self._villages.pop(slug, None)
            self._pending.pop(slug, None)
        try:
            self._path(slug).unlink(missing_ok=True)
            self._deltas_path(slug).unlink(missing_ok=True)
        except OSError as err:
            log.error("roster: cannot remove %s: %s", slug, err)
        return known

    def _keep_aside(self, slug: str, delta: RosterDelta) -> None:
        pending = self._pending.setdefault(slug, {})
        if len(pending) >= PENDING_LIMIT:
            pending.pop(min(pending))
        if delta.base_version not in pending:
            held = self._villages.get(slug)
            log.info(
                "roster: %s delta %d→%d waits (holding version %s)",
                slug,
                delta.base_version,
                delta.version,
                None if held is None else held.version,
            )
        pending[delta.base_version] = delta

    def _catch_up(self, slug: str) -> None:
        """Apply the deltas kept aside that now follow on; drop those left behind."""
        held, pending = self._villages[slug], self._pending.get(slug, {})
        while (delta := pending.pop(held.version, None)) is not None:
            if delta.secret_id == held.secret_id:
                self._apply(slug, held, delta)
        for base in [base for base in pending if base < held.version]:
            del pending[base]

    def _apply(self, slug: str, held: HeldVillage, delta: RosterDelta) -> None:
        received = dt.datetime.now(dt.UTC)
        try:
            with self._deltas_path(slug).open("ab") as handle:
                handle.write(encode_message(delta) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            log.error("roster: cannot store a delta of %s: %s", slug, err)
        held.apply(delta, received)

    def _touch(self, slug: str) -> dt.datetime:
        try:
            os.utime(self._path(slug))
        except OSError as err:
            log.warning("roster: cannot renew %s: %s", slug, err)
        return dt.datetime.now(dt.UTC)

    # -- disk -----------------------------------------------------------------------

    def _path(self, slug: str) -> Path:
        return self.directory / f"{slug}.json"

    def _deltas_path(self, slug: str) -> Path:
        return self.directory / f"{slug}{DELTAS_SUFFIX}"

    def _load(self) -> None:
        for path in sorted(self.directory.glob("*.json")):
            slug = path.stem
            try:
                digest = parse_message(roster_topic(slug), path.read_bytes())
            except (MessageError, TopicError, OSError) as err:
                log.warning("roster: ignored the stored copy %s: %s", path.name, err)
                continue
            if not isinstance(digest, RosterDigest):
                continue
            held = HeldVillage.of(digest, _mtime(path))
            self._load_deltas(slug, held)
            self._villages[slug] = held

    def _load_deltas(self, slug: str, held: HeldVillage) -> None:
        path = self._deltas_path(slug)
        if not path.exists():
            return
        topic = roster_delta_topic(slug, 0)
        try:
            lines = path.read_bytes().splitlines()
            received = _mtime(path)
        except OSError as err:
            log.warning("roster: ignored the stored deltas of %s: %s", slug, err)
            return
        for line in lines:
            try:
                delta = parse_message(topic, line)
            except MessageError:
                continue  # a line cut short by a power cut: the ring brings it again
            if isinstance(delta, RosterDelta) and delta.base_version == held.version:
                held.apply(delta, max(received, held.received_at))


def _replaces(held: HeldVillage, digest: RosterDigest) -> bool:
    """True if a full digest is to replace the copy held (see the module docstring)."""
    if digest.secret_id != held.secret_id or digest.version > held.version:
        return True
    return digest.version < held.full_version


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
