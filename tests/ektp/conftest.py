"""Fixtures of the ektp tests: a fixed "today", the bundled region table, keys, records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from ektp_samples import BOOTH_ID, TODAY, make_biometrics, make_record

from ektp.i18n import translations
from ektp.i18n_build import compile_catalogs
from ektp.packet import SealedPacket, seal
from ektp.record import EnrollmentRecord
from ektp.regions import RegionTable


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    """The .mo files setup.sh compiles; made here too so the tests see fresh ones."""
    compile_catalogs(Path(__file__).resolve().parents[2])
    translations.cache_clear()


@pytest.fixture(scope="session")
def today() -> dt.date:
    return TODAY


@pytest.fixture(scope="session")
def regions() -> RegionTable:
    return RegionTable.bundled(office_district_code="640306")


@pytest.fixture(scope="session")
def booth_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def central_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture(scope="session")
def record() -> EnrollmentRecord:
    return make_record()


@pytest.fixture(scope="session")
def biometrics() -> dict[str, bytes]:
    return make_biometrics()


@pytest.fixture(scope="session")
def sealed(
    record: EnrollmentRecord,
    biometrics: dict[str, bytes],
    booth_key: Ed25519PrivateKey,
    central_key: X25519PrivateKey,
) -> SealedPacket:
    return seal(
        record,
        biometrics,
        booth_id=BOOTH_ID,
        booth_signing_key=booth_key,
        central_public_key=central_key.public_key(),
    )
