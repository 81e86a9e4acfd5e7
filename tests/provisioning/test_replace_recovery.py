"""A broken booth replaced end to end: its unsent records reach the edge from the new unit.

The real CLI provisions booth-01 on one sshd "unit" and registers its signing key in
the edge database (``office init --edge-config``: rekam-provision runs where the edge
is). The booth seals records while the edge is down, so its outbox keeps them. The
booth is replaced by a second unit: new TLS key and certificate, old certificate
revoked, new signing key rotated in at the edge, the old unit's unsent records copied
into the new unit's outbox. Then the office comes up — mosquitto with the office's own
broker files and CRL, the edge service on that database — and the new unit, with the
configuration and certificate provisioning gave it, drains its outbox to the edge.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from provisioning_cli_fixtures import ProvisionedOffice, open_office, summary_row
from sshd_fixtures import LoopbackSshd, booth_unit, client_key, spare_unit

from edge_controller.booths.keys import (
    BoothKeyRing,
    booth_key_id,
    booth_key_ring,
    register_booth_key,
)
from edge_controller.broker.process import MosquittoProcess
from edge_controller.config.broker import BrokerConfig
from edge_controller.ingest.checks import CODE_KEY_RETIRED, count_packets, stored_packet
from edge_controller.ingest.db import connect
from ektp.packet import SealedPacket, verify
from ektp.pki import EDGE_IDENTITY, IssuedIdentity, OfficeCA
from kiosk.config.booth import BoothConfig
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.outbox.store import Outbox
from kiosk.uplink.client import BoothUplink, UplinkSettings
from tests.edge_controller.broker_fixtures import Office, free_loopback_port
from tests.edge_controller.ingest_fixtures import (
    edge_config,
    running_edge,
    sealed_with,
    share_office_secret,
)

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

BOOTH = "booth-01"
GRACE_SECONDS = 1.0
DRAIN_TIMEOUT = 60.0


@dataclass
class Site:
    """The office directory, the edge's database and the broker port booths are told."""

    office: ProvisionedOffice
    edge_db: Path
    broker_port: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, client_key: Path) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("replace")
    edge_db = root / "edge" / "edge.sqlite3"
    edge_db.parent.mkdir()
    edge_toml = root / "edge" / "edge.toml"
    edge_toml.write_text(
        f'[mqtt]\nidentity = "edge"\nca_cert_path = "{root}/unused-ca.crt"\n'
        f'cert_path = "{root}/unused.crt"\nkey_path = "{root}/unused.key"\n'
        f'[database]\npath = "{edge_db}"\n',
        encoding="utf-8",
    )
    port = free_loopback_port()
    init = ["--edge-config", str(edge_toml), "--broker-port", str(port)]
    for office in open_office(root, client_key, *init):
        yield Site(office, edge_db, port)


def unit_file(site: Site, unit: LoopbackSshd, path: str) -> Path:
    return site.office.unit_root(unit.port) / path.lstrip("/")


def signing_key(site: Site, unit: LoopbackSshd) -> Ed25519PrivateKey:
    """The key provisioning had the unit make (read from its files, as the kiosk does)."""
    path = unit_file(site, unit, "/var/lib/rekam/keys/booth-signing.pem")
    assert path.exists()
    return load_or_create_signing_key(path)


def sealed(key: Ed25519PrivateKey, serial: int, at: dt.datetime | None = None) -> SealedPacket:
    return sealed_with(key, BOOTH, serial, sealed_at=at)


def commit(outbox: Outbox, packet: SealedPacket) -> str:
    outbox.commit(str(packet.packet_id), packet.data, {"kelurahan": "Sambakungan"})
    return str(packet.packet_id)


def key_ring(site: Site) -> BoothKeyRing | None:
    conn = connect(site.edge_db)
    try:
        return booth_key_ring(conn, BOOTH)
    finally:
        conn.close()


def fingerprint(ring: BoothKeyRing | None) -> tuple[object, ...]:
    """What a key ring holds, comparable (key objects themselves are not)."""
    assert ring is not None
    retired = tuple((old.key_id, old.registered_at, old.retired_at) for old in ring.retired)
    return ring.active.key_id, ring.active.registered_at, retired


def start_office_broker(site: Site, runtime: Path) -> Office:
    """mosquitto on the broker port, with the office's own edge files and CRL."""
    office_dir = site.office.directory
    tls = office_dir / "edge" / "tls"
    broker = MosquittoProcess(
        BrokerConfig(
            port=site.broker_port,
            ca_cert_path=office_dir / "ca" / "ca.crt",
            server_cert_path=tls / "broker.crt",
            server_key_path=tls / "broker.key",
            crl_path=tls / "crl.pem",
            persistence=False,
        )
    )
    broker.start()
    edge = IssuedIdentity(
        EDGE_IDENTITY, tls / "edge.key", tls / "edge.crt", office_dir / "ca" / "ca.crt", 0
    )
    ca = OfficeCA.load(office_dir / "ca")
    return Office(root=runtime, ca=ca, broker=broker, identities={EDGE_IDENTITY: edge})


def test_replaced_booth_delivers_the_old_units_records_once_and_signs_anew(
    site: Site, booth_unit: LoopbackSshd, spare_unit: LoopbackSshd, tmp_path: Path
) -> None:
    office = site.office

    # 1. booth-01 on the first unit; the edge learns its key.
    added = office.booth("add", booth_unit, "--id", BOOTH)
    assert added.returncode == 0, added.stdout
    assert summary_row(added.stdout, BOOTH)["edge key"] == "registered"
    old_key = signing_key(site, booth_unit)
    old_key_id = booth_key_id(old_key.public_key())
    ring = key_ring(site)
    assert ring is not None
    assert ring.active.key_id == old_key_id

    # 2. It records while the edge is down: three records wait in its outbox (one
    #    older record was acked before the outage and must not come back).
    with Outbox(unit_file(site, booth_unit, "/var/lib/rekam/outbox.sqlite")) as old_outbox:
        acked_before = commit(old_outbox, sealed(old_key, serial=1))
        old_outbox.mark_acked([acked_before])
        waiting = {commit(old_outbox, sealed(old_key, serial=n)) for n in (2, 3, 4)}

    # 3. The unit breaks; a spare takes over booth-01.
    replaced = office.booth("replace", spare_unit, BOOTH)
    assert replaced.returncode == 0, replaced.stdout
    row = summary_row(replaced.stdout, BOOTH)
    assert (row["recovered"], row["edge key"]) == ("3", "rotated")
    new_key = signing_key(site, spare_unit)
    ring = key_ring(site)
    assert ring is not None
    assert ring.active.key_id == booth_key_id(new_key.public_key()) != old_key_id
    assert [old.key_id for old in ring.retired] == [old_key_id]
    retired_at = ring.retired[0].retired_at
    assert retired_at is not None
    keys_dir = office.directory / "booth-keys"
    assert (keys_dir / f"{BOOTH}.pem").read_bytes().strip() == public_key_pem(new_key).strip()
    # the old public key stays in the office too (central verifies recovered records)
    retired_file = keys_dir / "retired" / f"{BOOTH}-{old_key_id}.pem"
    assert retired_file.read_bytes().strip() == public_key_pem(old_key).strip()

    # 4. Running it again changes nothing, and says so.
    again = office.booth("replace", spare_unit, BOOTH, pin=False)
    assert again.returncode == 0, again.stdout
    assert "Nothing changed" in again.stdout
    row = summary_row(again.stdout, BOOTH)
    assert (row["result"], row["recovered"], row["edge key"]) == ("unchanged", "0", "unchanged")
    assert fingerprint(key_ring(site)) == fingerprint(ring)

    # 5. The new unit also holds: its own new record, a record the old unit signed
    #    after it was replaced, and a record signed with another booth's key.
    other_key = Ed25519PrivateKey.generate()
    conn = connect(site.edge_db)
    try:
        register_booth_key(conn, "booth-02", public_key_pem(other_key), dt.datetime.now(dt.UTC))
    finally:
        conn.close()
    late = retired_at + dt.timedelta(seconds=GRACE_SECONDS + 5)
    new_outbox = Outbox(unit_file(site, spare_unit, "/var/lib/rekam/outbox.sqlite"))
    assert {record.packet_id for record in new_outbox.unacked()} == waiting
    fresh = commit(new_outbox, sealed(new_key, serial=5))
    after_swap = commit(new_outbox, sealed(old_key, serial=6, at=late))
    foreign = commit(new_outbox, sealed(other_key, serial=7))

    # 6. The office comes up; the new unit connects with what provisioning gave it.
    booth_config = BoothConfig.model_validate(
        tomllib.loads(unit_file(site, spare_unit, "/etc/rekam/booth.toml").read_text())
    )
    assert booth_config.edge is not None
    broker_office = start_office_broker(site, tmp_path)
    try:
        config = edge_config(
            broker_office,
            tmp_path,
            database={"path": str(site.edge_db)},
            ingest={"retired_key_grace_seconds": GRACE_SECONDS},
        )
        secret = share_office_secret(config)  # the unit opens it from office/roster_keys
        for edge in running_edge(config):
            uplink = BoothUplink(
                BOOTH,
                booth_config.edge,
                new_outbox,
                settings=UplinkSettings(ack_timeout_seconds=5.0, reconnect_max_delay_seconds=2),
                office_secret=lambda: secret,
            )
            uplink.start()
            try:
                assert uplink.drain(DRAIN_TIMEOUT), uplink.rejected
            finally:
                uplink.stop()

            # Every recovered record stored exactly once, as the old unit signed it.
            conn = edge.db()
            try:
                assert count_packets(conn, BOOTH) == len(waiting) + 1
                for packet_id in waiting:
                    stored = stored_packet(conn, packet_id)
                    assert stored is not None
                    verify(stored.data, booth_public_key=old_key.public_key())
                    assert stored.manifest["booth_id"] == BOOTH
                assert stored_packet(conn, fresh) is not None
                assert stored_packet(conn, acked_before) is None
                assert stored_packet(conn, after_swap) is None
                assert stored_packet(conn, foreign) is None
            finally:
                conn.close()
            # ... and the booth was told why the other two were refused.
            assert uplink.rejected == {
                after_swap: CODE_KEY_RETIRED,
                foreign: "packet.bad_signature",
            }
            assert new_outbox.depth() == 2  # kept on the booth, not re-sent
    finally:
        new_outbox.close()
        broker_office.close()
