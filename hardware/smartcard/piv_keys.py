"""The key side of the emulated PIV card: asymmetric keys per slot and the 9B management key.

GENERAL AUTHENTICATE (SP 800-73-4 part 2, 3.2.4) in the forms real clients send:
- ECDSA in an asymmetric slot: ``7C {82 00, 81 digest}`` → ``7C {82 signature}``, after
  the PIN for 9A/9C/9D (9E needs none);
- the management key, mutual: ``7C {80 00}`` → ``7C {80 E(witness)}``, then
  ``7C {80 witness, 81 challenge}`` → ``7C {82 E(challenge)}`` (yubico-piv-tool);
- the management key, external: ``7C {81 00}`` → ``7C {81 challenge}``, then
  ``7C {82 E(challenge)}`` → 9000 (OpenSC's piv-tool ``-A``).
GENERATE ASYMMETRIC KEY PAIR (after the management key) answers ``7F49 {86 point}``.
"""

from __future__ import annotations

import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hardware.smartcard import piv
from hardware.smartcard.apdu import CommandApdu, StatusWord
from hardware.smartcard.tlv import tlv, tlv_dict

_CURVES: dict[int, tuple[ec.EllipticCurve, hashes.HashAlgorithm]] = {
    piv.ALG_ECC_P256: (ec.SECP256R1(), hashes.SHA256()),
    piv.ALG_ECC_P384: (ec.SECP384R1(), hashes.SHA384()),
}
_NEEDS_PIN = (piv.KEY_AUTHENTICATION, piv.KEY_SIGNATURE, piv.KEY_MANAGEMENT_ENCRYPTION)

Answer = tuple[int, bytes]


def _fit_digest(data: bytes, size: int) -> bytes:
    """ECDSA's input rule: the leftmost ``size`` bytes, or left-padded with zeros."""
    return data[:size] if len(data) >= size else data.rjust(size, b"\x00")


class PivKeyStore:
    """Keys inside the emulated card; nothing here returns a private key or the 9B key."""

    def __init__(self, management_algorithm: int, management_key: bytes) -> None:
        if not piv.management_key_ok(management_algorithm, management_key):
            raise ValueError("the management key does not fit its algorithm")
        self._management_algorithm = management_algorithm
        self.__management_key = bytes(management_key)
        self.__keys: dict[int, tuple[int, ec.EllipticCurvePrivateKey]] = {}
        self.admin = False
        self._witness: bytes | None = None
        self._challenge: bytes | None = None

    def __repr__(self) -> str:
        return f"PivKeyStore(slots={self.slots()})"

    def slots(self) -> list[str]:
        return [f"{slot:02X}" for slot in sorted(self.__keys)]

    def forget_session(self) -> None:
        self.admin = False
        self._witness = self._challenge = None

    def public_key(self, slot: int) -> ec.EllipticCurvePublicKey | None:
        held = self.__keys.get(slot)
        return held[1].public_key() if held else None

    # GENERATE ASYMMETRIC KEY PAIR --------------------------------------------------------
    def generate(self, command: CommandApdu) -> Answer:
        if command.p1 != 0x00 or command.p2 not in piv.ASYMMETRIC_KEYS:
            return StatusWord.INCORRECT_P1_P2, b""
        if not self.admin:
            return StatusWord.SECURITY_STATUS_NOT_SATISFIED, b""
        control = tlv_dict(tlv_dict(command.data).get(0xAC, b""))
        algorithm = control.get(0x80, b"")
        if len(algorithm) != 1 or algorithm[0] not in _CURVES:
            return StatusWord.WRONG_DATA, b""  # RSA is not emulated
        key = ec.generate_private_key(_CURVES[algorithm[0]][0])
        self.__keys[command.p2] = (algorithm[0], key)
        point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return StatusWord.OK, tlv(piv.TAG_PUBLIC_KEY, tlv(piv.TAG_EC_POINT, point))

    # GENERAL AUTHENTICATE ----------------------------------------------------------------
    def general_authenticate(self, command: CommandApdu, pin_verified: bool) -> Answer:
        fields = tlv_dict(tlv_dict(command.data).get(piv.TAG_DYNAMIC_AUTH, b"\xff"))
        if command.p2 == piv.KEY_MANAGEMENT:
            if command.p1 != self._management_algorithm:
                return StatusWord.INCORRECT_P1_P2, b""
            return self._management(fields)
        if command.p2 not in piv.ASYMMETRIC_KEYS:
            return StatusWord.INCORRECT_P1_P2, b""
        held = self.__keys.get(command.p2)
        if held is None or held[0] != command.p1:
            return StatusWord.INCORRECT_P1_P2 if held else StatusWord.FILE_NOT_FOUND, b""
        if command.p2 in _NEEDS_PIN and not pin_verified:
            return StatusWord.SECURITY_STATUS_NOT_SATISFIED, b""
        digest = fields.get(piv.TAG_CHALLENGE)
        if piv.TAG_RESPONSE not in fields or not digest:
            return StatusWord.WRONG_DATA, b""
        curve_hash = _CURVES[held[0]][1]
        signature = held[1].sign(
            _fit_digest(digest, curve_hash.digest_size), ec.ECDSA(utils.Prehashed(curve_hash))
        )
        return StatusWord.OK, tlv(piv.TAG_DYNAMIC_AUTH, tlv(piv.TAG_RESPONSE, signature))

    def _encrypt(self, block: bytes) -> bytes:
        return piv.management_encrypt(self._management_algorithm, self.__management_key, block)

    def _management(self, fields: dict[int, bytes]) -> Answer:
        size = piv.management_block_size(self._management_algorithm)
        witness = fields.get(piv.TAG_WITNESS)
        challenge = fields.get(piv.TAG_CHALLENGE)
        answer = fields.get(piv.TAG_RESPONSE)
        self.admin = False
        if witness == b"" and challenge is None:  # step 1 of mutual authentication
            self._witness = os.urandom(size)
            self._challenge = None
            return StatusWord.OK, tlv(
                piv.TAG_DYNAMIC_AUTH, tlv(piv.TAG_WITNESS, self._encrypt(self._witness))
            )
        if witness and challenge and len(challenge) == size:  # step 2 of mutual
            expected, self._witness = self._witness, None
            if expected is None or not hmac.compare_digest(witness, expected):
                return StatusWord.SECURITY_STATUS_NOT_SATISFIED, b""
            self.admin = True
            return StatusWord.OK, tlv(
                piv.TAG_DYNAMIC_AUTH, tlv(piv.TAG_RESPONSE, self._encrypt(challenge))
            )
        if challenge == b"" and witness is None:  # step 1 of external authentication
            self._challenge = os.urandom(size)
            self._witness = None
            return StatusWord.OK, tlv(piv.TAG_DYNAMIC_AUTH, tlv(piv.TAG_CHALLENGE, self._challenge))
        if answer and self._challenge is not None:  # step 2 of external
            expected_answer = self._encrypt(self._challenge)
            self._challenge = None
            if not hmac.compare_digest(answer, expected_answer):
                return StatusWord.SECURITY_STATUS_NOT_SATISFIED, b""
            self.admin = True
            return StatusWord.OK, b""
        self._witness = self._challenge = None
        return StatusWord.WRONG_DATA, b""
