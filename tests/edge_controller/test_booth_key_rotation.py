"""A replaced booth's keys: the edge keeps the old key for records sealed before the swap.

The edge CLI registers and rotates keys; :func:`check_packet` accepts a packet signed
by the active key, or by a retired key when it was sealed before that key's retirement
(plus the configured allowance), and refuses everything else with a reason.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_controller.booths.keys import (
    BoothKeyError,
    booth_key_id,
    booth_key_ring,
    register_booth_key,
)
from edge_controller.cli import main
from edge_controller.ingest.checks import CODE_KEY_RETIRED, Incoming, check_packet
from edge_controller.ingest.db import connect
from ektp.packet import SealedPacket
from kiosk.keys import public_key_pem
from tests.edge_controller.ingest_fixtures import sealed_with

BOOTH = "booth-01"
SWAP = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
GRACE = dt.timedelta(minutes=5)


def sealed(key: Ed25519PrivateKey, at: dt.datetime, serial: int = 1) -> SealedPacket:
    return sealed_with(key, BOOTH, serial, sealed_at=at)


def checked_code(conn, packet: SealedPacket) -> str | None:
    ring = booth_key_ring(conn, BOOTH)
    incoming = Incoming(BOOTH, packet.data, SWAP)
    result = check_packet(incoming, ring, max_size=1 << 22, retired_key_grace=GRACE)
    assert (result.verified is None) == (result.code is not None)
    assert result.packet_id == str(packet.packet_id)  # a refusal still names the packet
    return result.code


@pytest.fixture
def keys() -> dict[str, Ed25519PrivateKey]:
    return {name: Ed25519PrivateKey.generate() for name in ("old", "new", "other")}


@pytest.fixture
def rotated(tmp_path: Path, keys: dict[str, Ed25519PrivateKey]):
    conn = connect(tmp_path / "edge.sqlite3")
    register_booth_key(conn, BOOTH, public_key_pem(keys["old"]), SWAP - dt.timedelta(days=30))
    register_booth_key(conn, "booth-02", public_key_pem(keys["other"]), SWAP)
    done = register_booth_key(conn, BOOTH, public_key_pem(keys["new"]), SWAP)
    assert done.change == "rotated"
    assert done.retired_key_id == booth_key_id(keys["old"].public_key())
    yield conn
    conn.close()


def test_records_of_the_old_unit_sealed_before_the_swap_are_accepted(rotated, keys):
    assert checked_code(rotated, sealed(keys["old"], SWAP - dt.timedelta(hours=3))) is None
    # the old unit's clock ran a little ahead: within the allowance
    assert (
        checked_code(rotated, sealed(keys["old"], SWAP + GRACE - dt.timedelta(seconds=1))) is None
    )


def test_the_new_unit_signs_with_the_new_key(rotated, keys):
    assert checked_code(rotated, sealed(keys["new"], SWAP + dt.timedelta(minutes=1))) is None


def test_the_old_key_after_the_swap_is_refused_with_a_reason(rotated, keys):
    late = sealed(keys["old"], SWAP + GRACE + dt.timedelta(seconds=1))
    assert checked_code(rotated, late) == CODE_KEY_RETIRED


def test_another_booths_key_is_refused_as_a_bad_signature(rotated, keys):
    assert checked_code(rotated, sealed(keys["other"], SWAP)) == "packet.bad_signature"
    assert checked_code(rotated, sealed(Ed25519PrivateKey.generate(), SWAP)) == (
        "packet.bad_signature"
    )


def test_a_retired_key_never_becomes_active_again(rotated, keys):
    with pytest.raises(BoothKeyError, match="retired"):
        register_booth_key(rotated, BOOTH, public_key_pem(keys["old"]), SWAP)
    with pytest.raises(BoothKeyError, match="booth-02"):
        register_booth_key(rotated, BOOTH, public_key_pem(keys["other"]), SWAP)
    ring = booth_key_ring(rotated, BOOTH)
    assert ring is not None
    assert ring.active.key_id == booth_key_id(keys["new"].public_key())
    assert [old.retired_at for old in ring.retired] == [SWAP]


def test_a_second_replacement_keeps_both_old_keys(rotated, keys):
    third = Ed25519PrivateKey.generate()
    later = SWAP + dt.timedelta(days=2)
    register_booth_key(rotated, BOOTH, public_key_pem(third), later)
    assert checked_code(rotated, sealed(keys["old"], SWAP - dt.timedelta(hours=1))) is None
    assert checked_code(rotated, sealed(keys["new"], later - dt.timedelta(hours=1))) is None
    assert checked_code(rotated, sealed(keys["old"], later)) == CODE_KEY_RETIRED


def test_edge_cli_rotates_only_when_asked_and_is_idempotent(
    tmp_path: Path, keys: dict[str, Ed25519PrivateKey], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "edge.toml"
    config.write_text(
        '[mqtt]\nidentity = "edge"\nca_cert_path = "/x/ca.crt"\n'
        'cert_path = "/x/edge.crt"\nkey_path = "/x/edge.key"\n'
        f'[database]\npath = "{tmp_path}/edge.sqlite3"\n',
        encoding="utf-8",
    )
    for name in ("old", "new"):
        (tmp_path / f"{name}.pem").write_bytes(public_key_pem(keys[name]))
    register = ["booth", "register", "--config", str(config), "--id", BOOTH, "--public-key"]
    old_id = booth_key_id(keys["old"].public_key())
    new_id = booth_key_id(keys["new"].public_key())

    assert main([*register, str(tmp_path / "old.pem")]) == 0
    assert f"registered {BOOTH} with key {old_id}" in capsys.readouterr().out
    assert main([*register, str(tmp_path / "old.pem")]) == 0
    assert "no change" in capsys.readouterr().out

    assert main([*register, str(tmp_path / "new.pem")]) == 2  # a new key needs --rotate
    assert "--rotate" in capsys.readouterr().err
    assert main([*register, str(tmp_path / "new.pem"), "--rotate", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done == {
        "booth_id": BOOTH,
        "change": "rotated",
        "key_id": new_id,
        "retired_key_id": old_id,
    }
    assert main([*register, str(tmp_path / "new.pem"), "--rotate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["change"] == "unchanged"

    assert main(["booth", "list", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert f"{BOOTH}  key {new_id}" in listing
    assert f"retired {old_id} at" in listing
