"""The retained roster digests on ``office/roster/<kelurahan>``, kept in step with the roster.

One :class:`~ektp.messages.RosterDigest` per kelurahan, retained, so a booth that
connects (or comes back from mobile duty) gets every village at once and keeps a copy
on disk. When it is (re)published:

* at service start and after every reconnect to the broker (a broker restarted
  without persistence has forgotten its retained messages);
* after a change to the roster: an import or an edit by another program is seen
  through SQLite's ``PRAGMA data_version``, every ``check_interval_seconds`` (then
  every village is looked at); a recording committed by the ingest wakes it through
  :meth:`request`, and only the villages of the residents recorded since are read again.
  Changes are batched: a village is published at most once per
  ``min_interval_seconds``, so a busy day does not resend 10,000 entries per packet;
* only when its content changed: the content hash of the last publication of each
  village is kept in the ``roster_topics`` table;
* a village gone from the roster gets an empty retained payload, which clears the
  broker's copy (the booths then forget it);
* as a delta when a few entries changed (a recording): :mod:`edge_controller.roster.deltas`
  decides between a versioned delta on ``office/roster/<slug>/delta/<slot>`` and a full
  digest, from what the booths were last sent (kept in memory: every village goes in full
  at start and after a reconnect).

Entries are keyed by each resident's roster look-up key (:mod:`ektp.roster_keys`:
keyed with the office roster secret, memory-hard), made once per secret and kept
(:mod:`edge_controller.roster.secret`); keys still missing are made on a worker thread
before the digests are read, so a new roster never stalls the database thread. An entry
is about 150 bytes: a village of 10,000 residents is a ~1.5 MB message, well inside the
8 MB limit of the contract.

The secret itself goes on the retained ``office/roster_keys``, sealed to each registered
booth's key, at start, after a reconnect and whenever the registered booths or their
keys change (:func:`edge_controller.roster.secret.roster_keys_message`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from edge_controller.config.roster import RosterPublishConfig
from edge_controller.roster import secret as office_secret
from edge_controller.roster.deltas import VillageVersion, next_publication
from edge_controller.roster.store import RosterDigest as RosterTable
from edge_controller.roster.store import kelurahan_names, roster_digest
from ektp._json import canonical_json
from ektp.messages import RosterDigest, RosterEntry, encode_message
from ektp.mqtt.client import MqttClient
from ektp.mqtt.errors import MqttError
from ektp.roster_keys import ResidentKeys, RosterSecret
from ektp.topics import (
    OFFICE_ROSTER_KEYS,
    TopicError,
    kelurahan_slug,
    roster_delta_topic,
    roster_topic,
)

log = logging.getLogger(__name__)
RunInDb = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]
KEY_BATCH = 200
"""Residents' keys made per worker-thread call (about 1 s of scrypt at the default cost)."""


@dataclass(frozen=True)
class RosterUpdate:
    """One retained publication: a digest, or an empty payload that clears a village."""

    slug: str
    kelurahan: str
    payload: bytes
    content_sha256: str
    entries: int
    topic_name: str = ""
    """Where it goes: the village's digest topic when empty, else a delta slot."""
    state: VillageVersion | None = None
    """What the booths hold once it is published (None: a clear, or no versions kept)."""

    @property
    def topic(self) -> str:
        return self.topic_name or roster_topic(self.slug)

    @property
    def is_delta(self) -> bool:
        return bool(self.topic_name) and self.topic_name != roster_topic(self.slug)

    @property
    def clears(self) -> bool:
        return not self.payload


def digest_message(
    table: RosterTable, now: dt.datetime, secret: RosterSecret, keys: dict[str, ResidentKeys]
) -> RosterDigest:
    """The wire digest of one village: entries under look-up keys, the KK as a keyed check."""
    entries = {
        keys[entry.nik].lookup_key: RosterEntry(
            masked_name=entry.masked_name,
            kk_key=keys[entry.nik].kk_key(entry.kk),
            recorded_on=entry.recorded_on,
            card_status=entry.card_status.value,
        )
        for entry in table.entries
    }
    return RosterDigest(
        kelurahan=table.kelurahan, generated_at=now, secret_id=secret.secret_id, entries=entries
    )


def _content_sha256(table: RosterTable, secret: RosterSecret) -> str:
    content = [secret.secret_id, [entry.as_dict() for entry in table.entries]]
    return hashlib.sha256(canonical_json(content)).hexdigest()


def pending_updates(
    conn: sqlite3.Connection,
    now: dt.datetime,
    *,
    force: bool = False,
    villages: Collection[str] | None = None,
    sent: Mapping[str, VillageVersion] | None = None,
) -> list[RosterUpdate]:
    """What to publish: villages whose digest changed, and clears of villages gone.

    ``force`` republishes every village even when unchanged (at start, after a reconnect).
    ``villages`` limits the look to those (the ones recordings touched); clears are
    found only when every village is looked at. ``sent`` is what the booths were last
    sent of each village (by slug): a small change then goes as a delta.
    """
    published = {
        row[0]: row[1] for row in conn.execute("SELECT slug, content_sha256 FROM roster_topics")
    }
    current: dict[str, str] = {}
    names = kelurahan_names(conn)
    if villages is not None:
        names = [name for name in names if name in villages]
    for name in names:
        try:
            current[kelurahan_slug(name)] = name
        except TopicError:
            log.warning("roster: village %r has no usable topic name; not published", name[:64])
    updates = []
    secret = office_secret.office_roster_secret(conn)
    for slug, name in sorted(current.items()):
        table = roster_digest(conn, name)
        content = _content_sha256(table, secret)
        if not force and published.get(slug) == content:
            continue
        keys = office_secret.lookup_keys(conn, secret, [entry.nik for entry in table.entries])
        message = digest_message(table, now, secret, keys)
        previous = None if sent is None else sent.get(slug)
        publication = next_publication(previous, message, now, force=force)
        if publication is None:  # e.g. an RT changed: nothing a booth carries
            mark_published(conn, RosterUpdate(slug, name, b"-", content, len(keys)), now)
            continue
        payload = encode_message(publication.message)
        updates.append(
            RosterUpdate(
                slug,
                name,
                payload,
                content,
                len(table.entries),
                topic_name=publication.topic,
                state=publication.state,
            )
        )
    if villages is None:
        for slug in sorted(set(published) - set(current)):
            updates.append(RosterUpdate(slug, slug, b"", "", 0))
    return updates


def recorded_villages_since(conn: sqlite3.Connection, after_rowid: int) -> tuple[set[str], int]:
    """The roster villages of residents recorded after ``after_rowid``, and the new mark.

    The ingest only adds recordings, so their rowid is a high-water mark: after a batch
    of ingests only the villages they touched are read and hashed again, not the office.
    A recording withdrawn by a rejection is made on the dashboard's connection and
    seen through ``data_version`` (every village is then looked at).
    """
    mark = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM recordings").fetchone()[0])
    rows = conn.execute(
        "SELECT DISTINCT r.kelurahan FROM recordings c JOIN residents r ON r.nik = c.nik"
        " WHERE c.rowid > ? AND c.rowid <= ?",
        (after_rowid, mark),
    )
    return {row[0] for row in rows}, mark


def _mark_published(update: RosterUpdate, now: dt.datetime, conn: sqlite3.Connection) -> None:
    mark_published(conn, update, now)


def mark_published(conn: sqlite3.Connection, update: RosterUpdate, now: dt.datetime) -> None:
    if update.clears:
        conn.execute("DELETE FROM roster_topics WHERE slug = ?", (update.slug,))
        return
    conn.execute(
        "INSERT INTO roster_topics (slug, kelurahan, content_sha256, entries, published_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET kelurahan = excluded.kelurahan,"
        " content_sha256 = excluded.content_sha256, entries = excluded.entries,"
        " published_at = excluded.published_at",
        (update.slug, update.kelurahan, update.content_sha256, update.entries, now.isoformat()),
    )


def _clear_ring(client: MqttClient, slug: str, ring: int) -> None:
    """Empty the retained delta slots of a village gone (stale ones would only be dropped)."""
    try:
        for slot in range(ring):
            client.publish_and_wait(roster_delta_topic(slug, slot), b"", retain=True, timeout=60)
    except MqttError as err:
        log.warning("roster: the deltas of %s not cleared (%s)", slug, err.code)


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


class RosterPublisher:
    """Runs on the edge's event loop; :meth:`request` and :meth:`republish_all` wake it."""

    def __init__(
        self,
        config: RosterPublishConfig,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.config = config
        self.clock = clock
        self.published = 0
        """Digests and clears published since start (for tests and the log)."""
        self._dirty = True
        self._force = True
        self._changed: asyncio.Event | None = None
        self._recordings_mark = 0
        """Recordings up to this rowid are in the villages' last computed digests."""
        self._keys_content: str | None = None
        """What the last ``office/roster_keys`` said (secret and registered booth keys)."""
        self._sent: dict[str, VillageVersion] = {}
        """What the booths were last sent of each village, by slug (deltas start from it)."""
        self.deltas = 0
        """Of :attr:`published`, how many were deltas."""

    def request(self) -> None:
        """Loop thread: the roster changed here (a recording was committed)."""
        self._dirty = True
        if self._changed is not None:
            self._changed.set()

    def republish_all(self) -> None:
        """Loop thread: publish every village again (after a reconnect)."""
        self._force = True
        if self._changed is not None:
            self._changed.set()

    async def run(self, run_in_db: RunInDb, client: MqttClient) -> None:
        """Publish at start, then follow changes until cancelled."""
        self._changed = asyncio.Event()
        version: int | None = None
        while True:
            latest = await run_in_db(_data_version)
            if self._force or self._dirty or latest != version:
                force = self._force
                every_village = force or latest != version  # another program changed it
                self._force = self._dirty = False
                version = latest
                published = await self._publish(
                    run_in_db, client, self.clock(), force=force, every_village=every_village
                )
                if not published:
                    self._force = True
                await asyncio.sleep(self.config.min_interval_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.config.check_interval_seconds)
            self._changed.clear()

    def _pending(
        self, conn: sqlite3.Connection, now: dt.datetime, *, force: bool, every_village: bool
    ) -> list[RosterUpdate]:
        villages, self._recordings_mark = recorded_villages_since(conn, self._recordings_mark)
        sent = dict(self._sent)
        if every_village:
            return pending_updates(conn, now, force=force, sent=sent)
        return pending_updates(conn, now, villages=villages, sent=sent) if villages else []

    async def _publish(
        self,
        run_in_db: RunInDb,
        client: MqttClient,
        now: dt.datetime,
        *,
        force: bool,
        every_village: bool,
    ) -> bool:
        secret: RosterSecret = await run_in_db(office_secret.office_roster_secret)
        if every_village:
            await self._make_missing_keys(run_in_db, secret)
            if not await self._publish_keys(run_in_db, client, secret, now, force=force):
                return False
        updates: list[RosterUpdate] = await run_in_db(
            functools.partial(self._pending, now=now, force=force, every_village=every_village)
        )
        for update in updates:
            try:
                await asyncio.to_thread(
                    client.publish_and_wait, update.topic, update.payload, retain=True, timeout=60
                )
            except MqttError as err:
                log.warning("%s not published (%s); retrying later", update.topic, err.code)
                return False
            await run_in_db(functools.partial(_mark_published, update, now))
            self.published += 1
            gone = self._sent.pop(update.slug, None)
            if update.state is not None:
                self._sent[update.slug] = update.state
            if update.clears:
                log.info("roster: cleared %s (village gone from the roster)", update.topic)
                if gone is not None:
                    await asyncio.to_thread(_clear_ring, client, update.slug, gone.ring)
            elif update.is_delta:
                self.deltas += 1
                log.debug("roster: delta on %s", update.topic)
            else:
                log.info("roster: published %s (%d residents)", update.topic, update.entries)
        return True

    async def _make_missing_keys(self, run_in_db: RunInDb, secret: RosterSecret) -> None:
        """Residents' keys not made yet: made on a worker thread, kept batch by batch."""
        missing: list[str] = await run_in_db(
            functools.partial(office_secret.missing_niks, secret=secret)
        )
        if missing:
            log.info("roster: making look-up keys of %d residents", len(missing))
        for start in range(0, len(missing), KEY_BATCH):
            batch = missing[start : start + KEY_BATCH]
            keys = await asyncio.to_thread(office_secret.compute_keys, secret, batch)
            await run_in_db(functools.partial(office_secret.store_keys, secret=secret, keys=keys))

    async def _publish_keys(
        self,
        run_in_db: RunInDb,
        client: MqttClient,
        secret: RosterSecret,
        now: dt.datetime,
        *,
        force: bool,
    ) -> bool:
        """The secret, sealed to each registered booth, when new or the booths changed."""
        booths = await run_in_db(office_secret.registered_booth_keys)
        content = office_secret.keys_content(secret, booths)
        if not force and content == self._keys_content:
            return True
        message = office_secret.roster_keys_message(secret, booths, now)
        try:
            await asyncio.to_thread(
                client.publish_and_wait,
                OFFICE_ROSTER_KEYS,
                encode_message(message),
                retain=True,
                timeout=60,
            )
        except MqttError as err:
            log.warning("%s not published (%s); retrying later", OFFICE_ROSTER_KEYS, err.code)
            return False
        self._keys_content = content
        log.info("roster: office roster key sealed for %d registered booth(s)", len(booths))
        return True
