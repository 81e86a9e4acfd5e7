"""The check process: a batch's payloads through shared memory, and through the socket
for whatever does not fit; every packet gets its own verdict, in order."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_controller.booths.keys import BoothKeyRing
from edge_controller.ingest import shared_payloads
from edge_controller.ingest.check_process import CheckProcess, CheckRequest, portable_rings
from edge_controller.ingest.checks import Checked, Incoming
from ektp.packet import SealedPacket, seal
from tests.edge_controller.ingest_fixtures import CENTRAL_KEY, make_biometrics, make_record

KEY = Ed25519PrivateKey.generate()
MAX_SIZE = 4 * 1024 * 1024


def started() -> CheckProcess:
    helper = CheckProcess()
    deadline = time.monotonic() + 60
    while not helper.ready:
        assert helper.alive, "the check process ended"
        assert time.monotonic() < deadline, "the check process did not start"
        time.sleep(0.05)
    return helper


@pytest.fixture
def process(monkeypatch: pytest.MonkeyPatch) -> Iterator[CheckProcess]:
    """A check process whose shared region holds ~3 of the ~60 KB packets at most."""
    monkeypatch.setattr(shared_payloads, "START_BYTES", 64 * 1024)
    monkeypatch.setattr(shared_payloads, "MAX_REGION_BYTES", 192 * 1024)
    helper = started()
    yield helper
    helper.close()


def check(helper: CheckProcess, payloads: list[bytes]) -> list[Checked]:
    now = dt.datetime.now(dt.UTC)
    batch = [Incoming("booth-01", payload, now) for payload in payloads]
    rings = portable_rings({"booth-01": BoothKeyRing.single("booth-01", KEY.public_key())})
    request = CheckRequest(
        [(i.booth_id, i.payload) for i in batch], rings, MAX_SIZE, dt.timedelta()
    )
    return helper.check(batch, request)


def packets(first_serial: int, count: int) -> list[SealedPacket]:
    """~60 KB packets of booth-01, as a booth seals them."""
    return [
        seal(
            make_record("booth-01", serial=first_serial + n),
            make_biometrics(40_000),
            booth_id="booth-01",
            booth_signing_key=KEY,
            central_public_key=CENTRAL_KEY.public_key(),
        )
        for n in range(count)
    ]


def with_a_flipped_bit(packet: SealedPacket) -> bytes:
    """The packet with one base64 letter of its ciphertext changed to another letter."""
    data = bytearray(packet.data)
    at = packet.data.index(b'"blobs":{"biometrics":"') + 2000
    data[at] = ord("A") if data[at] != ord("A") else ord("B")
    return bytes(data)


def test_a_batch_larger_than_the_shared_region_is_checked_whole_and_in_order(
    process: CheckProcess,
) -> None:
    good = packets(1, 6)
    payloads = (
        [p.data for p in good[:3]] + [with_a_flipped_bit(good[3])] + [p.data for p in good[4:]]
    )
    results = check(process, payloads)

    assert [r.packet_id for r in results] == [str(p.packet_id) for p in good]
    assert [r.code for r in results] == [None, None, None, "packet.ciphertext_hash", None, None]
    passed = [r.verified for r in results if r.verified is not None]
    assert [v.packet_sha256 for v in passed] == [
        hashlib.sha256(p.data).hexdigest() for n, p in enumerate(good) if n != 3
    ]


def test_a_smaller_batch_after_a_larger_one_is_not_read_from_what_was_left(
    process: CheckProcess,
) -> None:
    check(process, [p.data for p in packets(10, 5)])
    second = packets(20, 2)

    results = check(process, [with_a_flipped_bit(second[0]), second[1].data])

    assert [r.packet_id for r in results] == [str(p.packet_id) for p in second]
    assert [r.code for r in results] == ["packet.ciphertext_hash", None]


def test_without_memory_for_the_shared_region_every_payload_takes_the_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_memory(_region: shared_payloads.PayloadRegion, _size: int) -> None:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(shared_payloads.PayloadRegion, "_grow", no_memory)
    helper = started()
    try:
        sent = packets(30, 3)
        results = check(helper, [sent[0].data, with_a_flipped_bit(sent[1]), sent[2].data])
    finally:
        helper.close()

    assert [r.packet_id for r in results] == [str(p.packet_id) for p in sent]
    assert [r.code for r in results] == [None, "packet.ciphertext_hash", None]
