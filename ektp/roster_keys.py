"""Roster look-up keys: keyed and slow, so a NIK is never on the office network in clear.

A NIK has little entropy (the office's public region code, a birth date, a small
serial): a plain or salted hash of it is reversed by trying every candidate. So the
key under which a resident's roster entry is published (``office/roster/<kelurahan>``)
and under which the office queue knows their ticket is

    scrypt(HMAC-SHA256(office secret, NIK), fixed label, N, r, p) → 32 bytes

— keyed with the **office roster secret** (32 random bytes the edge makes once and
hands only to registered booths, sealed to each booth's own key: :mod:`ektp.roster_seal`),
and memory-hard (scrypt, from Python's own ``hashlib``; OpenSSL underneath). The first
16 bytes are the **look-up key** (hex); the other 16 the entry's **check key**, with
which the booth checks the KK typed (:meth:`ResidentKeys.kk_key`, one HMAC): a digest
never holds the KK, only that keyed check, and one memory-hard step serves a whole
check-in. Without the secret a key cannot be computed at all; with it (a booth's disk),
every candidate NIK costs one scrypt (``bench.roster_keys`` measures both).

The NIK and KK a booth sends to the edge with a check-in travel sealed
(:meth:`RosterSecret.seal_check_in`: AES-256-GCM under a key derived from the secret by
HKDF, bound to the booth and the event id), so the edge applies the NIK and KK rules
while the broker and other subscribers see ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ektp.errors import ValidationError
from ektp.i18n import N_

SECRET_BYTES = 32
LOOKUP_LABEL = b"rekam/roster-lookup/v2"
CHECK_IN_LABEL = b"rekam/check-in-seal/v1"
TRANSPORT_LABEL = b"rekam/transport-seal/v1"
"""HKDF label of the booth→edge transport key (:mod:`ektp.transport_seal`)."""
NONCE_BYTES = 12

MSG_UNREADABLE = N_("The check-in could not be read; please check in again")
MSG_INCOMPLETE = N_("The check-in is incomplete: {detail}")
MSG_OLD_KEY = N_("This booth has an old office roster key; please wait a moment and try again")
MSG_ALREADY_WAITING = N_("This NIK already has ticket {number}, still waiting")
"""The office queue's answers to a check-in (:mod:`edge_controller.queue_check_in`), here
so that the booth shows them in the resident's language from the ektp catalog."""


class RosterKeyError(ValidationError):
    code = "roster_key"


@dataclass(frozen=True)
class KdfCost:
    """scrypt's cost: ``2**log2_n`` blocks of ``128 * r`` bytes (4 MiB by default).

    The default costs ~6 ms on the x86 machine the project is built on and, estimated
    with a ×10 slow-down, ~60 ms on a Raspberry Pi 4 (a booth's check-in does one; the
    budget is 100 ms). :mod:`bench.roster_keys` measures it and says how it estimates.
    """

    log2_n: int = 12
    r: int = 8
    p: int = 1

    @property
    def memory_bytes(self) -> int:
        return 128 * self.r * (2**self.log2_n) * self.p


DEFAULT_COST = KdfCost()


@dataclass(frozen=True)
class ResidentKeys:
    """One resident's keys under one office secret."""

    lookup_key: str
    """16 bytes, hex: the key of the roster entry and of the resident's queue ticket."""
    check_key: bytes
    """16 bytes: the key of the entry's KK check (never on the wire)."""

    def kk_key(self, kk: str) -> str:
        """The KK check a digest entry carries: HMAC-SHA256(check key, KK), 16 bytes hex."""
        return hmac.new(self.check_key, b"kk\x00" + kk.encode("ascii"), "sha256").hexdigest()[:32]


@dataclass(frozen=True)
class RosterSecret:
    """The office roster secret and the scrypt cost the office chose with it."""

    key: bytes
    cost: KdfCost = DEFAULT_COST

    def __post_init__(self) -> None:
        if len(self.key) != SECRET_BYTES:
            raise ValueError(f"a roster secret has {SECRET_BYTES} bytes")

    def __repr__(self) -> str:  # never the key itself, in a log or a traceback
        return f"RosterSecret(secret_id={self.secret_id!r})"

    @classmethod
    def generate(cls, cost: KdfCost = DEFAULT_COST) -> RosterSecret:
        return cls(secrets.token_bytes(SECRET_BYTES), cost)

    @property
    def secret_id(self) -> str:
        """Which secret a digest was keyed with (8 bytes hex; reveals nothing of it)."""
        return hashlib.sha256(b"rekam/roster-secret-id\x00" + self.key).hexdigest()[:16]

    def resident_keys(self, nik: str) -> ResidentKeys:
        """The memory-hard step: one scrypt (see the module docstring)."""
        password = hmac.new(self.key, b"nik\x00" + nik.encode("ascii"), "sha256").digest()
        cost = self.cost
        derived = hashlib.scrypt(
            password,
            salt=LOOKUP_LABEL,
            n=2**cost.log2_n,
            r=cost.r,
            p=cost.p,
            maxmem=2 * cost.memory_bytes + 1024 * 1024,
            dklen=32,
        )
        return ResidentKeys(derived[:16].hex(), derived[16:])

    def _derived_key(self, label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(self.key)

    def _check_in_cipher(self) -> AESGCM:
        return AESGCM(self._derived_key(CHECK_IN_LABEL))

    def transport_key(self) -> bytes:
        """The AES-256 key of booth→edge envelopes (:mod:`ektp.transport_seal`)."""
        return self._derived_key(TRANSPORT_LABEL)

    def seal_check_in(self, nik: str, kk: str, context: bytes) -> str:
        """NIK and KK for the edge, sealed (base64); ``context`` binds booth and event."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = f"{nik}:{kk}".encode("ascii")
        sealed = nonce + self._check_in_cipher().encrypt(nonce, plain, context)
        return base64.b64encode(sealed).decode("ascii")

    def open_check_in(self, sealed: str, context: bytes) -> tuple[str, str]:
        """The (NIK, KK) of :meth:`seal_check_in`; :class:`RosterKeyError` if unreadable."""
        try:
            raw = base64.b64decode(sealed, validate=True)
            plain = self._check_in_cipher().decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
            nik, kk = plain.decode("ascii").split(":")
        except (InvalidTag, ValueError, binascii.Error) as err:
            raise RosterKeyError(MSG_UNREADABLE, code="check_in.unreadable") from err
        return nik, kk


def check_in_context(booth_id: str, event_id: str) -> bytes:
    """What a sealed check-in is bound to: it opens only as this booth's this event."""
    return f"{booth_id}|{event_id}".encode("ascii")
