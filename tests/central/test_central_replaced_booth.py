"""Central after a booth is replaced: the old unit's recovered records still count.

A replaced booth's records recovered from its outbox are signed by its old key; central
(re-registered with the new key through the real CLI) keeps the old one under
``retired/`` and accepts it only for packets sealed before the swap.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from central.checks import BoothKeys, Rejection, check_item
from ektp.packet import seal
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART
from tests.edge_controller.upstream.upstream_fixtures import BOOTH, make_record

REPO = Path(__file__).resolve().parents[2]
LIMIT = 8 * 1024 * 1024


def register(tmp_path: Path, key: Ed25519PrivateKey) -> str:
    keys_dir = tmp_path / "booths"
    config = tmp_path / "central.toml"
    config.write_text(
        f'host = "127.0.0.1"\nport = 1\ntls_cert_path = "x"\ntls_key_path = "x"\n'
        f'client_ca_paths = ["x"]\nreceipt_key_path = "x"\n'
        f'booth_keys_dir = "{keys_dir}"\ndata_dir = "{tmp_path / "data"}"\n'
    )
    public = tmp_path / "booth.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "central.cli", "register-booth", "--config", str(config),
         "--booth-id", BOOTH, "--public-key", str(public)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


def sealed(key: Ed25519PrivateKey, serial: int, sealed_at: dt.datetime) -> tuple[str, bytes]:
    packet = seal(
        make_record(serial),
        {PHOTO_PART: os.urandom(500), SIGNATURE_PART: os.urandom(100)},
        booth_id=BOOTH,
        booth_signing_key=key,
        central_public_key=X25519PrivateKey.generate().public_key(),
        sealed_at=sealed_at,
    )
    return str(packet.packet_id), packet.data


def test_records_of_the_replaced_unit_pass_and_nothing_else_does(tmp_path: Path) -> None:
    old_key, new_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    before_swap = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    recovered = sealed(old_key, 1, before_swap)
    register(tmp_path, old_key)
    assert "retired" in register(tmp_path, new_key)
    assert "no change" in register(tmp_path, new_key)
    keys = BoothKeys(tmp_path / "booths")

    assert check_item("enrollment", *recovered, keys, LIMIT) == BOOTH
    assert check_item("enrollment", *sealed(new_key, 2, dt.datetime.now(dt.UTC)), keys, LIMIT)

    back_dated_after_swap = sealed(old_key, 3, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    with pytest.raises(Rejection) as late:
        check_item("enrollment", *back_dated_after_swap, keys, LIMIT)
    assert late.value.code == "booth.key_retired"
    assert not late.value.retryable

    stranger = sealed(Ed25519PrivateKey.generate(), 4, before_swap)
    with pytest.raises(Rejection) as foreign:
        check_item("enrollment", *stranger, keys, LIMIT)
    assert foreign.value.code == "packet.bad_signature"
