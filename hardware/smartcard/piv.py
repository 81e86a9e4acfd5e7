"""PIV (NIST SP 800-73-4) constants and the small pieces both sides need.

The card side is :mod:`hardware.smartcard.piv_card` (an emulated PIV applet); the
reader side is :mod:`hardware.smartcard.piv_client`. Only what Rekam's operator
cards use is here: the PIV Authentication key (slot 9A) on ECC P-256, its
certificate object, the PIN (80), the PUK (81) and the card management key (9B).
"""

from __future__ import annotations

import os

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PIV_AID = bytes.fromhex("A000000308000010000100")
"""The full PIV application identifier: NIST RID, PIX 00 00 10 00 01 00."""

INS_VERIFY = 0x20
INS_CHANGE_REFERENCE_DATA = 0x24
INS_RESET_RETRY_COUNTER = 0x2C
INS_GENERATE_ASYMMETRIC = 0x47
INS_GENERAL_AUTHENTICATE = 0x87
INS_SELECT = 0xA4
INS_GET_RESPONSE = 0xC0
INS_GET_DATA = 0xCB
INS_PUT_DATA = 0xDB

CLA_CHAINING = 0x10

KEY_PIN = 0x80
KEY_PUK = 0x81
KEY_AUTHENTICATION = 0x9A  # PIV Authentication
KEY_MANAGEMENT = 0x9B  # card management (administration) key
KEY_SIGNATURE = 0x9C
KEY_MANAGEMENT_ENCRYPTION = 0x9D
KEY_CARD_AUTHENTICATION = 0x9E
ASYMMETRIC_KEYS = (
    KEY_AUTHENTICATION,
    KEY_SIGNATURE,
    KEY_MANAGEMENT_ENCRYPTION,
    KEY_CARD_AUTHENTICATION,
)

ALG_3DES = 0x03
ALG_AES128 = 0x08
ALG_AES192 = 0x0A
ALG_AES256 = 0x0C
ALG_ECC_P256 = 0x11
ALG_ECC_P384 = 0x14

# Data objects (GET DATA / PUT DATA tag lists, 5C).
OBJECT_DISCOVERY = 0x7E
OBJECT_CHUID = 0x5FC102
OBJECT_CCC = 0x5FC107
OBJECT_KEY_HISTORY = 0x5FC10C
CERTIFICATE_OBJECT = {
    KEY_AUTHENTICATION: 0x5FC105,
    KEY_SIGNATURE: 0x5FC10A,
    KEY_MANAGEMENT_ENCRYPTION: 0x5FC10B,
    KEY_CARD_AUTHENTICATION: 0x5FC101,
}

TAG_DATA = 0x53  # the container every PIV data object is wrapped in
TAG_TAG_LIST = 0x5C
TAG_DYNAMIC_AUTH = 0x7C  # GENERAL AUTHENTICATE template
TAG_WITNESS = 0x80
TAG_CHALLENGE = 0x81
TAG_RESPONSE = 0x82
TAG_CERTIFICATE = 0x70
TAG_CERT_INFO = 0x71
TAG_ERROR_DETECTION = 0xFE
TAG_PUBLIC_KEY = 0x7F49
TAG_EC_POINT = 0x86

PIN_BLOCK_SIZE = 8
PIN_PADDING = 0xFF
DEFAULT_PIN = "123456"
DEFAULT_PUK = "12345678"
DEFAULT_MANAGEMENT_KEY = bytes.fromhex("010203040506070801020304050607080102030405060708")
"""The factory management key of PIV cards and security keys (3DES), to be changed."""
DEFAULT_MANAGEMENT_ALGORITHM = ALG_3DES
PIN_TRIES = 3
PUK_TRIES = 3


def encode_pin(pin: str, *, puk: bool = False) -> bytes:
    """The 8-byte VERIFY block: ASCII, padded with FF. A PIN has 6 to 8 digits (SP 800-73-4
    part 2, 2.4.3); a PUK 8 characters. ValueError otherwise (nothing goes to the card)."""
    if puk:
        if not (pin.isascii() and pin.isprintable() and len(pin) == PIN_BLOCK_SIZE):
            raise ValueError("a PUK has 8 characters")
    elif not (pin.isascii() and pin.isdigit() and 6 <= len(pin) <= PIN_BLOCK_SIZE):
        raise ValueError("a PIV PIN has 6 to 8 digits")
    return pin.encode("ascii").ljust(PIN_BLOCK_SIZE, bytes((PIN_PADDING,)))


def management_block_size(algorithm: int) -> int:
    return 8 if algorithm == ALG_3DES else 16


def management_key_ok(algorithm: int, key: bytes) -> bool:
    """Whether ``key`` has the length ``algorithm`` needs."""
    sizes = {ALG_3DES: 24, ALG_AES128: 16, ALG_AES192: 24, ALG_AES256: 32}
    return sizes.get(algorithm) == len(key)


def _cipher(algorithm: int, key: bytes) -> Cipher[modes.ECB]:
    if not management_key_ok(algorithm, key):
        raise ValueError("the management key does not fit its algorithm")
    block = TripleDES(key) if algorithm == ALG_3DES else algorithms.AES(key)
    return Cipher(block, modes.ECB())  # noqa: S305 -- one block, as SP 800-73-4 prescribes


def management_encrypt(algorithm: int, key: bytes, block: bytes) -> bytes:
    encryptor = _cipher(algorithm, key).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def management_decrypt(algorithm: int, key: bytes, block: bytes) -> bytes:
    decryptor = _cipher(algorithm, key).decryptor()
    return decryptor.update(block) + decryptor.finalize()


def random_block(algorithm: int) -> bytes:
    return os.urandom(management_block_size(algorithm))
