"""Revoking a booth bites without restarting the broker: mosquitto 2.0.11 re-reads its
``crlfile`` on SIGHUP (``systemctl reload mosquitto`` sends it: Debian's unit has
``ExecReload=/bin/kill -HUP $MAINPID``). The revoked booth is refused on its next
connect; the other booths' connections are never dropped; a second revocation after
the first reload bites too (the broker does not keep the first CRL it loaded)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from edge_controller.broker.process import BrokerStartError
from ektp.mqtt.client import MqttClient
from ektp.pki import OfficeCA
from ektp.topics import Topic, booth_topic
from provisioning.crl import EdgeTarget, install_crl_on_edge, revoke_booth_certificate
from provisioning.engine import AnsibleRunner
from provisioning.hostkeys import pin_by_fingerprint
from provisioning.inventory import BoothEntry, Inventory, OfficeSettings
from provisioning.office import OfficeDirectory
from tests.edge_controller.broker_fixtures import Inbox, Office, office, wait_for
from tests.edge_controller.test_broker_identities import mqtt5_connect_packet
from tests.provisioning.sshd_fixtures import LoopbackSshd, make_key

__all__ = ["office"]

BOOTHS = ("booth-01", "booth-02", "booth-03")
NEVER_REVOKED = "booth-04"
"""A booth with no connection yet: a fresh connection of its must still get a session."""


class Drops:
    """Counts a client's connection losses."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, connected: bool) -> None:
        if not connected:
            with self._lock:
                self.count += 1


def connected_booths(office: Office) -> tuple[dict[str, MqttClient], dict[str, Drops]]:
    """Every booth of :data:`BOOTHS` connected, and the count of each one's drops."""
    drops = {booth: Drops() for booth in BOOTHS}
    clients = {booth: office.client(booth, on_connection_change=drops[booth]) for booth in BOOTHS}
    return clients, drops


@contextlib.contextmanager
def edge_over_ssh(
    office: Office, tmp_path: Path, ca_path: Path
) -> Iterator[tuple[Path, OfficeSettings, EdgeTarget]]:
    """The technician's key, the office's settings, and the edge as a real sshd on
    loopback whose CRL is this broker's (checked against ``ca_path``; reloading it is the
    SIGHUP ``systemctl reload mosquitto`` sends)."""
    key = make_key(tmp_path / "technician")
    settings = OfficeSettings(
        name="Kecamatan Gunung Tabur",
        edge_host="127.0.0.1",
        ssh_user="root",
        ssh_private_key=key,
        system_python=sys.executable,
    )
    edge_sshd = LoopbackSshd(tmp_path / "edge-sshd", key)
    edge_sshd.start()
    try:
        yield (
            key,
            settings,
            EdgeTarget(
                "127.0.0.1",
                edge_sshd.port,
                pin_by_fingerprint("127.0.0.1", edge_sshd.port, edge_sshd.fingerprint),
                crl_path=PurePosixPath(office.broker.runtime_directory / "tls" / "crl.pem"),
                ca_path=PurePosixPath(ca_path),
                reload_command=("kill", "-HUP", str(office.broker.pid)),
            ),
        )
    finally:
        edge_sshd.stop()


def refusal(office: Office, booth_id: str) -> str:
    """Why a fresh TLS connection with ``booth_id``'s certificate gets no CONNACK
    (empty: it got one; then it took over that booth's session, client id = CN)."""
    issued = office.identity(booth_id)
    context = ssl.create_default_context(cafile=str(office.ca.cert_path))
    context.check_hostname = False
    # TLS 1.2: the broker checks the client certificate inside the handshake, so its
    # alert (certificate revoked) always reaches us (under 1.3 it may arrive as an EOF)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(issued.cert_path), str(issued.key_path))
    try:
        with (
            socket.create_connection((office.broker.host, office.broker.port), timeout=20) as raw,
            context.wrap_socket(raw) as tls,
        ):
            tls.sendall(mqtt5_connect_packet(booth_id))
            return "" if tls.recv(64)[:1] == b"\x20" else "no CONNACK"
    except ssl.SSLError as err:
        return err.reason or str(err)
    except ConnectionError as err:
        return str(err) or "closed"


def test_revoked_booth_is_refused_and_the_others_stay_connected(office: Office) -> None:
    clients, drops = connected_booths(office)
    inbox = Inbox()
    office.client("observer").subscribe("booths/+/status", inbox)

    office.ca.revoke(office.identity("booth-01").serial)
    office.broker.reload()  # SIGHUP, as `systemctl reload mosquitto`

    assert refusal(office, "booth-01") == "SSLV3_ALERT_CERTIFICATE_REVOKED"

    office.ca.revoke(office.identity("booth-03").serial)
    office.broker.reload()
    assert refusal(office, "booth-03") == "SSLV3_ALERT_CERTIFICATE_REVOKED"
    assert refusal(office, "booth-01") == "SSLV3_ALERT_CERTIFICATE_REVOKED"
    assert refusal(office, NEVER_REVOKED) == ""

    # booth-02's one connection lived through both reloads and still carries messages
    topic = booth_topic("booth-02", Topic.STATUS)
    payload = {"v": 1, "booth_id": "booth-02", "state": "online", "software_version": "t"}
    clients["booth-02"].publish_and_wait(topic, payload, retain=True, timeout=20)
    assert wait_for(lambda: payload in inbox.payloads(topic))
    assert drops["booth-02"].count == 0
    assert office.broker.running


def test_a_broken_crl_is_never_handed_to_the_broker(office: Office) -> None:
    """mosquitto 2.0.11, reloaded with a crlfile it cannot parse, logs an error and
    runs with NO CRL (revoked booths get in again): the reload refuses such a file and
    the broker keeps the CRL it has."""
    office.ca.revoke(office.identity("booth-01").serial)
    office.broker.reload()
    crl_path = office.broker.config.crl_path
    assert crl_path is not None
    good = crl_path.read_bytes()
    crl_path.write_bytes(b"not a CRL\n")
    try:
        with pytest.raises(BrokerStartError):
            office.broker.reload()
    finally:
        crl_path.write_bytes(good)
    assert refusal(office, "booth-01") == "SSLV3_ALERT_CERTIFICATE_REVOKED"
    assert office.broker.log_text().count("Reloading config.") == 1


def test_booth_revoke_installs_the_crl_on_the_edge_and_reloads_the_broker(
    office: Office, tmp_path: Path
) -> None:
    """The provisioning step end to end: ``revoke_booth_certificate`` and
    ``install_crl_on_edge`` over a real sshd with ansible, the reload being the SIGHUP
    ``systemctl reload mosquitto`` sends (here to this test's broker)."""
    _, drops = connected_booths(office)
    directory = OfficeDirectory(office.root)  # its ca/ is the broker's office CA
    with edge_over_ssh(office, tmp_path, office.ca.cert_path) as (key, settings, target):
        inventory = Inventory(office=settings)
        serial = f"{office.identity('booth-02').serial:x}"
        inventory.booths["booth-02"] = BoothEntry(host="127.0.0.1", cert_serial=serial)
        directory.save_inventory(inventory)
        assert revoke_booth_certificate(directory, "booth-02") == serial
        assert revoke_booth_certificate(directory, "booth-02") is None  # again: no change
        with AnsibleRunner(private_key=key, plan_system=False, progress=None) as runner:
            first = install_crl_on_edge(runner, settings, directory, target)
            again = install_crl_on_edge(runner, settings, directory, target)

    assert (first.ok, first.installed, first.reloaded) == (True, True, True)
    assert (again.ok, again.installed, again.reloaded) == (True, False, False)
    assert wait_for(lambda: office.broker.log_text().count("Reloading config.") == 1)
    assert refusal(office, "booth-02") == "SSLV3_ALERT_CERTIFICATE_REVOKED"
    assert drops["booth-01"].count == drops["booth-03"].count == 0
    assert refusal(office, NEVER_REVOKED) == ""


def test_the_edge_refuses_a_crl_that_is_not_the_office_cas(office: Office, tmp_path: Path) -> None:
    """A CRL from another CA never replaces the edge's: openssl checks it first."""
    directory = OfficeDirectory(office.root)
    stranger = OfficeCA.create(tmp_path / "stranger", "Another office")
    crl_path = office.broker.runtime_directory / "tls" / "crl.pem"
    before = crl_path.read_bytes()
    with (  # the edge checks the CRL against another CA than the one that signed it
        edge_over_ssh(office, tmp_path, stranger.cert_path) as (key, settings, target),
        AnsibleRunner(private_key=key, plan_system=False, progress=None) as runner,
    ):
        office.ca.revoke(office.identity("booth-01").serial)
        result = install_crl_on_edge(runner, settings, directory, target)
    assert not result.ok
    assert crl_path.read_bytes() == before
    assert "Reloading config." not in office.broker.log_text()
