"""Versions of the village digests, and the deltas that carry a change to the booths.

A recording changes one resident's entry; sending the whole village again (1.9 MB for a
village of 30,000) to every booth after each one would grow with the village. So each
village has a **version**, and the edge publishes either

* a **full digest** (:class:`~ektp.roster_messages.RosterDigest`, retained on
  ``office/roster/<slug>``) at service start, after a reconnect, when the office
  roster secret changed, when a change touches many entries (an import), or to
  **compact**: when the deltas since the retained full digest would no longer fit the
  ring below; or
* a **delta** (:class:`~ektp.roster_messages.RosterDelta`: ``base_version`` →
  ``version``, the changed entries, the removed keys) on
  ``office/roster/<slug>/delta/<version mod ring>``, **retained** too.

The deltas since the retained full digest sit in a ring of ``ring`` retained slots (from
:data:`RING_MIN` to :data:`RING_MAX`, one per :data:`ENTRIES_PER_SLOT` residents), and a
full digest is made again before a new delta would overwrite one still needed. So
whatever a booth missed — a delta lost while it was away, a restart on an old copy from
disk, deltas and digest arriving out of order — it gets back on its own when it
(re)subscribes: the broker hands it the retained full digest and every slot, and the
booth chains them from the version it holds (:mod:`kiosk.uplink.roster_cache`). Nothing
travels from the booth to the edge, and the edge never sends a village because one
booth fell behind.

What a recording costs the broker is then one delta (about 300 bytes) plus, amortised,
one full digest per ``ring`` changes (the size of 16 entries, ~2.5 KB): since
the ring grows with the village, both stay about the same whatever the village's size
(``bench.roster_deltas``' ``roster_bytes_per_recording`` rows). The price: a booth that
(re)subscribes receives the ring too, a message per 16 residents (~0.3 KB each).

A full digest's version is the publication time in milliseconds (or the last version
plus one, whichever is larger), so versions keep growing across restarts of the edge,
which keeps what it last sent in memory only (it publishes every village in full at
start).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ektp.roster_messages import RosterDelta, RosterDigest, RosterEntry
from ektp.topics import roster_delta_topic, roster_topic

RING_MIN = 16
RING_MAX = 1024
ENTRIES_PER_SLOT = 16
DELTA_MIN_ENTRIES = 64
"""A change of more entries than this (and than a tenth of the village) goes as a full digest."""


def ring_slots(residents: int) -> int:
    """How many retained delta slots a village of ``residents`` gets."""
    return max(RING_MIN, min(RING_MAX, residents // ENTRIES_PER_SLOT))


@dataclass(frozen=True)
class VillageVersion:
    """What the booths were last sent of one village."""

    kelurahan: str
    secret_id: str
    version: int
    full_version: int
    """The version of the retained full digest the ring's deltas start from."""
    ring: int
    entries: Mapping[str, RosterEntry]


@dataclass(frozen=True)
class Publication:
    """One retained message to publish, and what the booths hold once it is."""

    topic: str
    message: RosterDigest | RosterDelta
    state: VillageVersion

    @property
    def is_delta(self) -> bool:
        return isinstance(self.message, RosterDelta)


def _differs(previous: VillageVersion, key: str, entry: RosterEntry) -> bool:
    old = previous.entries.get(key)
    return old is not entry and old != entry


def full_version(now: dt.datetime, previous: VillageVersion | None) -> int:
    stamp = int(now.timestamp() * 1000)
    return stamp if previous is None else max(stamp, previous.version + 1)


def next_publication(
    previous: VillageVersion | None, digest: RosterDigest, now: dt.datetime, *, force: bool
) -> Publication | None:
    """The delta or full digest that brings booths from ``previous`` to ``digest``.

    None when nothing on the wire changed (and ``force`` is not set).
    """
    entries = digest.entries
    if previous is not None and not force and previous.secret_id == digest.secret_id:
        changed = {key: entry for key, entry in entries.items() if _differs(previous, key, entry)}
        removed = tuple(sorted(key for key in previous.entries if key not in entries))
        if not changed and not removed:
            return None
        version = previous.version + 1
        small = len(changed) + len(removed) <= max(DELTA_MIN_ENTRIES, len(entries) // 10)
        if small and version - previous.full_version <= previous.ring:
            delta = RosterDelta(
                kelurahan=digest.kelurahan,
                generated_at=now,
                secret_id=digest.secret_id,
                base_version=previous.version,
                version=version,
                changed=changed,
                removed=removed,
            )
            state = dataclasses.replace(previous, version=version, entries=entries)
            topic = roster_delta_topic(digest.kelurahan, version % previous.ring)
            return Publication(topic, delta, state)
    version = full_version(now, previous)
    full = digest.model_copy(update={"version": version})
    state = VillageVersion(
        digest.kelurahan, digest.secret_id, version, version, ring_slots(len(entries)), entries
    )
    return Publication(roster_topic(digest.kelurahan), full, state)
