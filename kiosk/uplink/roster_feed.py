"""The booth's roster: the edge's retained digests, followed live and kept on disk.

:class:`RosterFeed` subscribes ``office/roster/+`` (full digests) and
``office/roster/+/delta/+`` (versioned deltas) on the booth's MQTT client and is the
check-in flow's :class:`~kiosk.flow.ports.Roster`. The villages live in a
:class:`~kiosk.uplink.roster_cache.VillageCache`: each at a version, in memory and on
disk in ``<data_dir>/roster/`` (the digest as the edge sent it, and the deltas applied
since), so a booth that restarts without the edge, or leaves on mobile duty, still
checks residents in; a delta is applied only onto the version it names, anything
missed comes back from the retained ring of deltas (see that module). A message that
is malformed or fails its schema is ignored with a log line and the village keeps its
copy. An empty retained payload on a village's digest topic means the edge removed
the village from its roster: the booth forgets it too.

Look-ups never see a plain roster: ``find(nik)`` computes the NIK's roster look-up
key (:mod:`ektp.roster_keys`: one scrypt, keyed with the office roster secret) and the
KK typed is checked against the entry's keyed KK check
(:meth:`DigestRosterEntry.kk_matches`). The name is the masked one. The secret comes on
the retained ``office/roster_keys``, sealed to this booth's registered key: the feed
opens it with the booth's signing key and keeps the sealed message on disk
(``<data_dir>/roster/office-keys.sealed``), so a booth away from the office (mobile
duty) still looks residents up. Without the secret (a booth not registered, or whose
key the edge does not know yet) nobody is found. :meth:`RosterFeed.find_key` finds the
entry of a ticket called from another booth's check-in, by its look-up key.

A village's copy is "fresh" as of when the booth last received it (a digest or a
delta): the edge's retained digest arrives again on every connect, and one no newer
than the copy held only renews that time. :meth:`RosterFeed.villages` reports it, for
the mobile duty's roster-age check.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ektp.atomic_file import write_atomically
from ektp.messages import (
    MessageError,
    RosterDelta,
    RosterDigest,
    RosterKeysMessage,
    parse_message,
)
from ektp.mqtt.client import MqttClient
from ektp.mqtt.message import ReceivedMessage
from ektp.mqtt.subscriptions import subscribe_when_connected
from ektp.roster_keys import ResidentKeys, RosterSecret
from ektp.roster_messages import RosterEntry as WireEntry
from ektp.roster_messages import seal_context
from ektp.roster_seal import RosterSealError, open_for_booth
from ektp.topics import (
    OFFICE_ROSTER_KEYS,
    OFFICE_ROSTER_PREFIX,
    ROSTER_DELTA_SUBSCRIPTION,
    Topic,
    TopicError,
    parse_topic,
)
from kiosk.flow.ports import RosterEntry
from kiosk.uplink.roster_cache import VillageCache

log = logging.getLogger(__name__)

ROSTER_SUBSCRIPTION = OFFICE_ROSTER_PREFIX + "+"
ROSTER_DIR_NAME = "roster"
KEYS_FILE_NAME = "office-keys.sealed"


@dataclass(frozen=True)
class DigestRosterEntry(RosterEntry):
    """A roster entry from a digest: masked name, KK known only as a keyed check."""

    kk_key: str = ""
    keys: ResidentKeys | None = None
    """The NIK's keys (None when found by look-up key: the KK cannot be checked)."""

    def kk_matches(self, kk: str) -> bool:
        return self.keys is not None and self.keys.kk_key(kk) == self.kk_key


@dataclass(frozen=True)
class VillageCopy:
    """One village the booth carries: its name, the edge's time and when it arrived."""

    kelurahan: str
    generated_at: dt.datetime
    received_at: dt.datetime
    residents: int
    version: int = 0
    """The village's version (the edge's; deltas apply onto it)."""

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.received_at


class RosterFeed:
    """The edge's roster digests as a check-in roster; see the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        booth_id: str | None = None,
        booth_key: Ed25519PrivateKey | None = None,
    ) -> None:
        """``booth_id`` and ``booth_key`` (the booth's signing key) open the office secret;
        without them the feed only carries the villages (e.g. the mobile CLI's checks)."""
        self.directory = directory
        self._booth_id = booth_id
        self._booth_key = booth_key
        self.cache = VillageCache(directory)
        """The villages carried, each at a version (also on disk)."""
        self._secret: RosterSecret | None = None
        self._stopped = threading.Event()
        self._load_keys()

    @classmethod
    def in_data_dir(
        cls,
        data_dir: Path,
        *,
        booth_id: str | None = None,
        booth_key: Ed25519PrivateKey | None = None,
    ) -> RosterFeed:
        return cls(data_dir / ROSTER_DIR_NAME, booth_id=booth_id, booth_key=booth_key)

    # -- the check-in's roster ------------------------------------------------------

    @property
    def secret(self) -> RosterSecret | None:
        """The office roster secret this booth opened (None: not delivered to it yet)."""
        return self._secret

    def find(self, nik: str) -> RosterEntry | None:
        """The entry of the NIK typed (one scrypt), or None."""
        secret = self._secret
        if secret is None:
            return None
        keys = secret.resident_keys(nik)
        found = self._entry(keys.lookup_key, secret)
        if found is None:
            return None
        kelurahan, entry = found
        return _entry(nik, kelurahan, entry, keys)

    def find_key(self, lookup_key: str) -> RosterEntry | None:
        """The entry under a look-up key (a ticket's), without its NIK, or None."""
        secret = self._secret
        found = self._entry(lookup_key, secret) if secret is not None else None
        return _entry("", found[0], found[1], None) if found is not None else None

    def _entry(self, lookup_key: str, secret: RosterSecret) -> tuple[str, WireEntry] | None:
        return self.cache.find(lookup_key, secret.secret_id)

    def villages(self) -> dict[str, VillageCopy]:
        """Every village carried, by name."""
        return {
            held.kelurahan: VillageCopy(
                held.kelurahan,
                held.generated_at,
                held.received_at,
                len(held.entries),
                held.version,
            )
            for held in self.cache.villages().values()
        }

    # -- following the edge ---------------------------------------------------------

    def attach(self, client: MqttClient) -> None:
        """Subscribe the digests, their deltas and the office key as soon as ``client`` is
        connected (background thread; the client keeps the subscriptions across
        reconnects, and each subscription brings the retained digests and delta ring)."""

        subscribe_when_connected(
            client,
            [OFFICE_ROSTER_KEYS, ROSTER_SUBSCRIPTION, ROSTER_DELTA_SUBSCRIPTION],
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
        """Take one roster payload (digest, delta or office key); True if the copy changed."""
        if topic == OFFICE_ROSTER_KEYS:
            return self._receive_keys(payload)
        try:
            parsed = parse_topic(topic)
        except TopicError:
            log.warning("roster: ignored a message on %r", topic[:120])
            return False
        slug = parsed.kelurahan
        if slug is None:
            return False
        if not payload:  # a cleared digest: the village left; a cleared slot: nothing
            return parsed.kind is Topic.ROSTER and self._forget(slug)
        try:
            message = parse_message(topic, payload)
        except MessageError as err:
            log.warning(
                "roster: ignored a bad digest on %s (%s); kept the previous copy", topic, err.code
            )
            return False
        if isinstance(message, RosterDigest):
            return self.cache.take_digest(slug, message, payload)
        if isinstance(message, RosterDelta):
            return self.cache.take_delta(slug, message)
        return False

    def _receive_keys(self, payload: bytes) -> bool:
        """The sealed office secret: opened and kept when it is this booth's."""
        secret = self._open_keys(payload)
        if secret is None:
            return False
        changed = self._secret is None or self._secret.secret_id != secret.secret_id
        path = self.directory / KEYS_FILE_NAME
        try:
            if not path.exists() or path.read_bytes() != payload:
                write_atomically(path, payload)
        except OSError as err:
            log.error("roster: cannot store the office roster key: %s", err)
        self._secret = secret
        if changed:
            log.info("roster: office roster key %s opened", secret.secret_id)
        return changed

    def _open_keys(self, payload: bytes) -> RosterSecret | None:
        if self._booth_id is None or self._booth_key is None:
            return None
        try:
            message = parse_message(OFFICE_ROSTER_KEYS, payload)
        except MessageError as err:
            log.warning("roster: ignored a bad office roster key message (%s)", err.code)
            return None
        if not isinstance(message, RosterKeysMessage):
            return None
        sealed = message.booths.get(self._booth_id)
        if sealed is None:
            log.warning("roster: the office roster key is not sealed for this booth (registered?)")
            return None
        context = seal_context(self._booth_id, message.secret_id)
        try:
            key = open_for_booth(sealed.sealed(), self._booth_key, context)
            secret = RosterSecret(key, message.kdf.cost())
        except (RosterSealError, ValueError) as err:
            log.warning(
                "roster: the office roster key does not open with this booth's key: %s", err
            )
            return None
        return secret if secret.secret_id == message.secret_id else None

    # -- disk -----------------------------------------------------------------------

    def _load_keys(self) -> None:
        keys = self.directory / KEYS_FILE_NAME
        if keys.exists():
            try:
                self._secret = self._open_keys(keys.read_bytes())
            except OSError as err:
                log.warning("roster: cannot read the stored office roster key: %s", err)

    def _forget(self, slug: str) -> bool:
        known = self.cache.forget(slug)
        if known is not None:
            log.info("roster: %s left the office roster", known.kelurahan)
        return known is not None


def _entry(nik: str, kelurahan: str, entry: WireEntry, keys: ResidentKeys | None) -> RosterEntry:
    return DigestRosterEntry(
        nik=nik,
        kk="",
        name=entry.masked_name,
        kelurahan=kelurahan,
        recorded_on=entry.recorded_on,
        card_status=entry.card_status,
        kk_key=entry.kk_key,
        keys=keys,
    )
