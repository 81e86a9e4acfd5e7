"""A booth on emulated devices: its config, central's key pair, and residents with valid NIKs."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ektp.kk import build_kk
from ektp.nik import Sex, build_nik
from ektp.pki import OfficeCA
from kiosk.booth import Booth, build_booth
from kiosk.config.booth import load_booth_config
from kiosk.flow.capture import CaptureFlow
from kiosk.flow.ports import InMemoryTicketDesk

OFFICE_DISTRICT = "640306"  # Gunung Tabur, Kabupaten Berau


@dataclass
class BoothSetup:
    config_path: Path
    data_dir: Path
    central_private_key: X25519PrivateKey
    office_ca_dir: Path
    """The office CA that issues the operator cards this booth accepts (and its CRL)."""


def resident_nik(serial: int, *, female: bool = True, born: dt.date | None = None) -> str:
    born = born or dt.date(1990, 2, 14)
    return build_nik(OFFICE_DISTRICT, born, Sex.FEMALE if female else Sex.MALE, serial)


def resident_kk(serial: int) -> str:
    return build_kk(OFFICE_DISTRICT, dt.date(2015, 3, 12), serial)


def write_booth_config(
    directory: Path, *, booth_id: str = "booth-01", extra: str = ""
) -> BoothSetup:
    directory.mkdir(parents=True, exist_ok=True)
    central = X25519PrivateKey.generate()
    central_pub = directory / "central.pem"
    central_pub.write_bytes(
        central.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data_dir = directory / "data"
    office_ca = office_card_issuer(directory / "office-ca")
    config = directory / "booth.toml"
    config.write_text(
        f'booth_id = "{booth_id}"\n'
        f'data_dir = "{data_dir}"\n'
        f'central_public_key_path = "{central_pub}"\n'
        f"{extra}"
        "[operator_cards]\n"
        f'issuer_cert_path = "{office_ca.cert_path}"\n'
        f'crl_path = "{office_ca.crl_path}"\n'
        "[hardware.fingerprint]\n"
        'backend = "emulated"\n'
        "speed = 20.0\n"
        "[hardware.smartcard]\n"
        'backend = "emulated"\n'
        f'operator_card_issuer_dir = "{office_ca.directory}"\n'
        "[hardware.camera]\n"
        'backend = "emulated"\n'
        "fps = 30\n"
    )
    return BoothSetup(config, data_dir, central, office_ca.directory)


def office_card_issuer(directory: Path) -> OfficeCA:
    """The office CA that issues operator cards: made once per directory, then reused.

    The booth trusts it (``[operator_cards]``) and the emulated reader issues every
    blank operator card put in it with it, as the office does before handing one over.
    """
    if (directory / "ca.key").exists():
        return OfficeCA.load(directory)
    return OfficeCA.create(directory, "Kecamatan Gunung Tabur")


@pytest.fixture
def booth_setup(tmp_path: Path) -> BoothSetup:
    return write_booth_config(tmp_path)


@pytest.fixture
def emulated_booth(booth_setup: BoothSetup, smartcard_pcscd: object) -> Iterator[Booth]:
    """A whole booth on emulated devices, built by ``build_booth`` like the real one."""
    with running_booth(booth_setup) as booth:
        booth.follow_card_events(booth.run_locked)
        yield booth


@contextlib.contextmanager
def running_booth(setup: BoothSetup, **build: Any) -> Iterator[Booth]:
    """The booth of ``setup`` built from its config (``build``: build_booth's own arguments),
    closed at the end."""
    built = build_booth(load_booth_config(setup.config_path), **build)
    try:
        yield built
    finally:
        built.close()


def gated_capture_flow(new_capture_allowed: Callable[[], bool], audit: Any) -> CaptureFlow:
    """A capture flow with no devices behind it and ``new_capture_allowed`` as its power
    gate: enough for a test that only calls the next resident (nobody logs in)."""
    return CaptureFlow(
        booth_id="booth-01",
        login=None,  # type: ignore[arg-type]  # nobody logs in
        tickets=InMemoryTicketDesk(),
        photo=None,  # type: ignore[arg-type]
        sensor=None,  # type: ignore[arg-type]
        sealer=None,  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]
        audit=audit,
        fingers=["right_index"],
        required_background=lambda _enrollment: "red",
        office_district_code=OFFICE_DISTRICT,
        new_capture_allowed=new_capture_allowed,
    )
