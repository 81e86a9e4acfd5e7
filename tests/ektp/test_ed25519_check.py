"""The packet signature check (libsodium) agrees with the booths' signing (OpenSSL)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ektp.ed25519_check import signature_matches

KEY = Ed25519PrivateKey.generate()
MESSAGE = b"rekam-packet-manifest-v1\x00" + b'{"booth_id":"booth-01"}' * 100


def test_a_signature_made_by_the_booths_key_matches() -> None:
    assert signature_matches(KEY.public_key(), KEY.sign(MESSAGE), MESSAGE)


MISMATCHES = [
    ("a flipped bit", bytes([KEY.sign(MESSAGE)[0] ^ 1]) + KEY.sign(MESSAGE)[1:], MESSAGE, KEY),
    ("another message", KEY.sign(MESSAGE), MESSAGE + b" ", KEY),
    ("another booth's key", KEY.sign(MESSAGE), MESSAGE, Ed25519PrivateKey.generate()),
    ("a short signature", KEY.sign(MESSAGE)[:63], MESSAGE, KEY),
    ("a long signature", KEY.sign(MESSAGE) + b"\x00", MESSAGE, KEY),
    ("no signature", b"", MESSAGE, KEY),
]


# ids name the case: the keys and signatures are new each run, and xdist's workers must
# collect the same test names
@pytest.mark.parametrize(
    ("what", "signature", "message", "key"), MISMATCHES, ids=[case[0] for case in MISMATCHES]
)
def test_anything_else_does_not_match(
    what: str, signature: bytes, message: bytes, key: Ed25519PrivateKey
) -> None:
    assert not signature_matches(key.public_key(), signature, message), what
