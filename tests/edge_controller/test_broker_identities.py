"""Who the office broker lets in: certificates from the office CA only, minus revoked ones."""

from __future__ import annotations

import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from ektp.mqtt.errors import MqttNotConnected
from ektp.pki import OfficeCA, dev_issue_booth
from tests.edge_controller.broker_fixtures import Office, office


def mqtt5_connect_packet(client_id: str) -> bytes:
    """A minimal MQTT v5 CONNECT (clean start, keepalive 60, no properties)."""
    identifier = client_id.encode()
    variable = b"\x00\x04MQTT\x05\x02\x00\x3c\x00"
    payload = len(identifier).to_bytes(2, "big") + identifier
    body = variable + payload
    return bytes([0x10, len(body)]) + body


def first_reply_to_connect(
    office: Office, *, cert: Path | None = None, key: Path | None = None
) -> bytes:
    """Open TLS (optionally with a client certificate), send CONNECT, return the reply.

    An empty reply means the broker closed the connection (or TLS failed) instead of
    answering with a CONNACK.
    """
    context = ssl.create_default_context(cafile=str(office.ca.cert_path))
    context.check_hostname = False
    if cert is not None and key is not None:
        context.load_cert_chain(str(cert), str(key))
    try:
        with (
            socket.create_connection((office.broker.host, office.broker.port), timeout=20) as raw,
            context.wrap_socket(raw) as tls,
        ):
            tls.sendall(mqtt5_connect_packet("probe"))
            return tls.recv(64)
    except (ssl.SSLError, ConnectionError):
        return b""


def test_only_clients_with_an_office_certificate_get_a_connack(office: Office) -> None:
    booth = office.identity("booth-01")
    assert first_reply_to_connect(office, cert=booth.cert_path, key=booth.key_path)[:1] == b"\x20"
    assert first_reply_to_connect(office) == b""


def test_certificate_from_another_ca_is_refused(office: Office, tmp_path: Path) -> None:
    stranger_ca = OfficeCA.create(tmp_path / "other-ca", "Another office")
    stranger = dev_issue_booth(stranger_ca, "booth-01", tmp_path / "stranger")

    assert first_reply_to_connect(office, cert=stranger.cert_path, key=stranger.key_path) == b""
    client = office.client("booth-01", connect=False, issued=stranger)
    with pytest.raises(MqttNotConnected):
        client.wait_until_connected(3.0)
    assert "certificate verify failed" in office.broker.log_text()


def test_revoked_booth_is_refused_after_reload_and_after_restart(office: Office) -> None:
    booth_01 = office.identity("booth-01")
    booth_02 = office.identity("booth-02")

    office.ca.revoke(booth_01.serial)
    office.broker.reload()  # SIGHUP: mosquitto 2.0 re-reads the CRL

    assert first_reply_to_connect(office, cert=booth_01.cert_path, key=booth_01.key_path) == b""
    reply = first_reply_to_connect(office, cert=booth_02.cert_path, key=booth_02.key_path)
    assert reply[:1] == b"\x20"

    office.broker.restart()
    assert first_reply_to_connect(office, cert=booth_01.cert_path, key=booth_01.key_path) == b""
    edge = office.client("edge")
    assert edge.connected.is_set()


def test_command_line_clients_see_the_same_acl(office: Office) -> None:
    booth = office.identity("booth-01")
    edge = office.client("edge")
    # retained, so the subscriber below gets them as soon as it subscribes
    edge.publish_and_wait("booths/booth-02/acks", "secret-for-02", retain=True)
    edge.publish_and_wait("booths/booth-01/acks", "for-01", retain=True)
    edge.publish_and_wait("office/power", "end", retain=True)
    tls_args = [
        *("-h", office.broker.host, "-p", str(office.broker.port)),
        *("--cafile", str(office.ca.cert_path)),
        *("--cert", str(booth.cert_path), "--key", str(booth.key_path)),
        *("-V", "mqttv5"),
    ]

    def mosquitto_pub(topic: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["mosquitto_pub", *tls_args, "-i", "booth-02", "-q", "1", "-t", topic, "-m", "{}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    own = mosquitto_pub("booths/booth-01/events")
    assert own.returncode == 0
    assert "Not authorized" not in own.stderr
    assert "Not authorized" in mosquitto_pub("booths/booth-02/events").stderr

    subscriber = subprocess.run(
        [
            *("mosquitto_sub", *tls_args),
            *("-t", "booths/+/acks", "-t", "office/power", "-v", "-C", "2", "-W", "60"),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert subscriber.stdout.splitlines() == ["booths/booth-01/acks for-01", "office/power end"]
