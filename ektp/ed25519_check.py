"""Ed25519 signature checks with libsodium, the reference implementation (PyNaCl).

Every sealed packet's manifest signature is checked at the edge (and again at
central). libsodium checks one in ~55 µs where OpenSSL 3.0, behind ``cryptography``,
takes ~105 µs on the same core: the largest single cost of a packet's checks (issue
20). Keys stay ``cryptography`` objects everywhere else (loading, PEM, signing);
only the check goes through libsodium. It is the stricter of the two (it also refuses
small-order keys and non-canonical encodings), so a signature it accepts OpenSSL
accepts as well; a booth's key and signatures are always of the ordinary kind.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.bindings import crypto_sign_BYTES, crypto_sign_open
from nacl.exceptions import BadSignatureError


def signature_matches(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s Ed25519 signature of ``message``."""
    if len(signature) != crypto_sign_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, key.public_bytes_raw())
    except BadSignatureError:
        return False
    return True
