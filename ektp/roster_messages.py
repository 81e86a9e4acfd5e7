"""The roster's messages: the village digests and the office roster secret for the booths.

``office/roster/<kelurahan>`` (retained, :class:`RosterDigest`, format version 2): one
village's entries under their look-up keys (:mod:`ektp.roster_keys`), each with the least
a check-in needs — the masked name the resident confirms, the keyed KK check, the day
of a recording here (a second one is refused) and where the card is. No NIK, no KK, no
birth date, no RT/RW. Version 1 (salted SHA-256 keys) is refused: its keys were
reversed by enumeration in seconds.

``office/roster_keys`` (retained, :class:`RosterKeysMessage`): the office roster secret
sealed to each registered booth's own key (:mod:`ektp.roster_seal`), with the scrypt
cost to use it with.

Versions: each digest carries the village's ``version``; a change to a few entries goes
as a :class:`RosterDelta` (``base_version`` → ``version``, the changed entries and the
removed keys) on ``office/roster/<kelurahan>/delta/<slot>``, retained in a ring of slots
(:mod:`edge_controller.roster.deltas`). A booth applies a delta only onto the version it
holds (:mod:`kiosk.uplink.roster_cache`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ektp.resident import CardStatus
from ektp.roster_keys import KdfCost
from ektp.roster_seal import SealedSecret
from ektp.topics import BoothId
from ektp.wire_base import LookupKey, Name, SecretId, WireMessage

ROSTER_DIGEST_VERSION: Literal[2] = 2
Base64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/=]{1,200}$")]


class RosterEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    masked_name: Name = Field(description='Name for the resident to confirm, e.g. "S*** A****".')
    kk_key: LookupKey = Field(description="ResidentKeys.kk_key(KK): the keyed KK check.")
    recorded_on: dt.date | None = Field(
        default=None, description="Day of the resident's recording (a re-recording is refused)."
    )
    card_status: CardStatus = Field(
        default=CardStatus.NOT_RECORDED, description="Where the e-KTP is."
    )


class VillageRosterMessage(WireMessage):
    """What a village's digest and its deltas both carry."""

    v: Literal[2] = Field(  # type: ignore[assignment]
        default=ROSTER_DIGEST_VERSION, description="Digest format version (2: keyed scrypt)."
    )
    kelurahan: Name = Field(
        description="Village name; its slug is the topic's segment after office/roster/."
    )
    generated_at: AwareDatetime = Field(description="When the digest or delta was made.")
    secret_id: SecretId = Field(description="The office roster secret the keys were made with.")


class RosterDigest(VillageRosterMessage):
    """``office/roster/<kelurahan>`` (retained): look-up by keyed, slow key, not by NIK."""

    version: int = Field(
        default=1, ge=1, description="The village's version; deltas start from it."
    )
    entries: dict[LookupKey, RosterEntry] = Field(
        max_length=20000, description="Look-up key of the NIK → entry."
    )


class RosterDelta(VillageRosterMessage):
    """``office/roster/<kelurahan>/delta/<slot>`` (retained ring): one village's changes."""

    base_version: int = Field(ge=1, description="The version this delta applies onto, only.")
    version: int = Field(ge=2, description="The village's version once applied.")
    changed: dict[LookupKey, RosterEntry] = Field(
        max_length=20000, description="New or changed entries, by look-up key."
    )
    removed: tuple[LookupKey, ...] = Field(
        default=(), max_length=20000, description="Look-up keys no longer in the village."
    )


class KdfCostModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    log2_n: int = Field(ge=1, le=20, description="scrypt N = 2**log2_n.")
    r: int = Field(ge=1, le=32, description="scrypt block size r.")
    p: int = Field(ge=1, le=4, description="scrypt parallelism p.")

    def cost(self) -> KdfCost:
        return KdfCost(self.log2_n, self.r, self.p)

    @classmethod
    def of(cls, cost: KdfCost) -> KdfCostModel:
        return cls(log2_n=cost.log2_n, r=cost.r, p=cost.p)


class SealedSecretModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="The booth key it is sealed to (ektp.key_ids.raw_key_id)."
    )
    ephemeral_public: Base64 = Field(description="The edge's one-time X25519 key.")
    nonce: Base64 = Field(description="AES-GCM nonce.")
    ciphertext: Base64 = Field(description="The secret, AES-256-GCM.")

    def sealed(self) -> SealedSecret:
        return SealedSecret(self.ephemeral_public, self.nonce, self.ciphertext)


class RosterKeysMessage(WireMessage):
    """``office/roster_keys`` (retained): the roster secret, sealed per registered booth."""

    at: AwareDatetime = Field(description="When the edge published it.")
    secret_id: SecretId = Field(description="Which secret (the digests name it too).")
    kdf: KdfCostModel = Field(description="The scrypt cost of the look-up keys.")
    booths: dict[BoothId, SealedSecretModel] = Field(
        max_length=256, description="Booth id → the secret sealed to its registered key."
    )


def seal_context(booth_id: str, secret_id: str) -> bytes:
    """What a booth's sealed secret is bound to (it opens only as that booth's, that id)."""
    return f"{booth_id}|{secret_id}".encode("ascii")
