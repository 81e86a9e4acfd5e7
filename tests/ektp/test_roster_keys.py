"""Roster look-up keys are keyed with the office secret; the secret opens only for the
booth it was sealed to; a sealed check-in opens only as the booth's own event."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ektp.roster_keys import KdfCost, RosterKeyError, RosterSecret, check_in_context
from ektp.roster_seal import (
    RosterSealError,
    open_for_booth,
    seal_for_booth,
    x25519_private_of,
    x25519_public_of,
)

NIK = "6403065402900001"
KK = "6403060101100003"
CHEAP = KdfCost(log2_n=4, r=1)  # the keys' properties do not depend on the cost


def test_the_same_nik_gives_the_same_key_only_under_the_same_secret() -> None:
    secret = RosterSecret.generate(CHEAP)
    same = RosterSecret(secret.key, CHEAP)
    other = RosterSecret.generate(CHEAP)
    keys = secret.resident_keys(NIK)

    assert same.resident_keys(NIK) == keys
    assert other.resident_keys(NIK).lookup_key != keys.lookup_key
    assert secret.resident_keys(NIK[:-1] + "2").lookup_key != keys.lookup_key
    assert keys.kk_key(KK) != keys.kk_key(KK[:-1] + "4")
    assert NIK not in keys.lookup_key + keys.kk_key(KK)
    assert secret.key.hex() not in repr(secret)  # never the secret in a log line


def test_the_cost_is_part_of_the_key() -> None:
    secret = RosterSecret.generate(CHEAP)
    costlier = RosterSecret(secret.key, KdfCost(log2_n=5, r=1))
    assert costlier.resident_keys(NIK) != secret.resident_keys(NIK)


def test_the_ed25519_to_x25519_map_agrees_for_both_halves() -> None:
    for _ in range(20):
        key = Ed25519PrivateKey.generate()
        from_public = x25519_public_of(key.public_key()).public_bytes_raw()
        from_private = x25519_private_of(key).public_key().public_bytes_raw()
        assert from_public == from_private


def test_the_secret_opens_only_for_the_booth_key_and_context_it_was_sealed_to() -> None:
    booth, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    secret = RosterSecret.generate()
    sealed = seal_for_booth(secret.key, booth.public_key(), b"booth-01|id")

    assert open_for_booth(sealed, booth, b"booth-01|id") == secret.key
    with pytest.raises(RosterSealError):
        open_for_booth(sealed, stranger, b"booth-01|id")
    with pytest.raises(RosterSealError):
        open_for_booth(sealed, booth, b"booth-02|id")  # handed to another booth id


def test_a_sealed_check_in_opens_only_as_its_own_booth_and_event() -> None:
    secret = RosterSecret.generate(CHEAP)
    context = check_in_context("booth-01", "e1")
    sealed = secret.seal_check_in(NIK, KK, context)

    assert NIK not in sealed
    assert KK not in sealed
    assert secret.open_check_in(sealed, context) == (NIK, KK)
    with pytest.raises(RosterKeyError):
        secret.open_check_in(sealed, check_in_context("booth-02", "e1"))
    with pytest.raises(RosterKeyError):
        RosterSecret.generate(CHEAP).open_check_in(sealed, context)
    with pytest.raises(RosterKeyError):
        secret.open_check_in("not base64!", context)
