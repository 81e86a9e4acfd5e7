"""``office init`` writes edge files that work once copied to ``/etc/rekam`` on the edge:
every path mosquitto.conf and edge.toml name is in the tree, the broker starts with them
(as user mosquitto) and its certificate carries the address booths are told."""

from __future__ import annotations

import grp
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from provisioning_cli_fixtures import central_public_key_file

from ektp.pki import OfficeCA
from provisioning.cli import main as provision
from provisioning.inventory import OfficeSettings
from provisioning.office import EDGE_ETC, OfficeDirectory, init_office
from tests.edge_controller.broker_fixtures import free_loopback_port

EDGE_NAME = "edge.kantor.lan"
START_TIMEOUT_SECONDS = 30.0
CONF_PATH_KEYS = ("acl_file", "cafile", "certfile", "keyfile", "crlfile")


@pytest.fixture
def office_root() -> Iterator[Path]:
    """Under /tmp and traversable, as /etc/rekam is: mosquitto (dropped to its own user)
    must reach the files."""
    root = Path(tempfile.mkdtemp(prefix="rekam-office-init-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _init_by_cli(
    root: Path, edge_host: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> str:
    key = root / "id_ed25519"
    key.write_text("not used by office init\n")
    central = root / "central.pem"
    if not central.exists():
        central_public_key_file(central)
    code = provision(
        [
            "--lang",
            "en",
            "--office",
            str(root / "office"),
            "office",
            "init",
            "--name",
            "Kecamatan Uji",
            "--edge-host",
            edge_host,
            "--ssh-key",
            str(key),
            "--central-public-key",
            str(central),
            *extra,
        ]
    )
    assert code == 0
    return capsys.readouterr().out


def _on_edge(office: OfficeDirectory, path: str) -> Path:
    """The file of the office tree that lands at ``path`` on the edge."""
    return office.edge_dir / Path(path).relative_to(EDGE_ETC)


def _conf_paths(conf_text: str) -> dict[str, str]:
    found = {}
    for line in conf_text.splitlines():
        key, _, value = line.partition(" ")
        if key in CONF_PATH_KEYS:
            found[key] = value.strip()
    return found


def _san(cert_path: Path) -> tuple[list[str], list[str]]:
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (
        san.get_values_for_type(x509.DNSName),
        [str(ip) for ip in san.get_values_for_type(x509.IPAddress)],
    )


def test_every_path_the_edge_files_name_is_in_the_tree(
    office_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _init_by_cli(office_root, EDGE_NAME, capsys)
    assert "chgrp mosquitto /etc/rekam/tls /etc/rekam/tls/broker.key" in out
    office = OfficeDirectory(office_root / "office")
    paths = _conf_paths((office.edge_dir / "mosquitto.conf").read_text())
    assert set(paths) == set(CONF_PATH_KEYS)
    for key, path in paths.items():
        assert _on_edge(office, path).is_file(), f"{key} {path} is not in {office.edge_dir}"
    edge = tomllib.loads((office.edge_dir / "edge.toml").read_text())
    for path in (*edge["mqtt"].values(), edge["review"]["key_path"]):
        if isinstance(path, str) and path.startswith("/"):
            assert _on_edge(office, path).is_file(), path
    key = office.edge_dir / "tls" / "broker.key"
    assert key.stat().st_mode & 0o007 == 0  # never world-readable
    if os.geteuid() == 0:  # office init on the edge itself: the broker's group reads it
        assert key.stat().st_gid == grp.getgrnam("mosquitto").gr_gid
        assert key.stat().st_mode & 0o777 == 0o640
        assert (office.edge_dir / "tls" / "edge.key").stat().st_mode & 0o077 == 0
    # Again: nothing to change.
    again = _init_by_cli(office_root, EDGE_NAME, capsys)
    assert "Nothing changed" in again


def test_the_edge_forwards_to_the_central_office_init_was_given(
    office_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    central = OfficeCA.create(office_root / "central-ca", "Pusat")
    receipt = office_root / "receipt.pub.pem"
    central_public_key_file(receipt)  # any public key PEM: office init only copies it
    url = ("--central-url", "https://central.example.go.id/")
    files = ("--central-ca", str(central.cert_path), "--central-receipt-key", str(receipt))
    _init_by_cli(office_root, EDGE_NAME, capsys, *url, *files)
    office = OfficeDirectory(office_root / "office")
    upstream = tomllib.loads((office.edge_dir / "edge.toml").read_text())["upstream"]
    assert upstream["central_url"] == "https://central.example.go.id/"
    for key in ("ca_cert_path", "cert_path", "key_path", "receipt_public_key_path"):
        assert _on_edge(office, upstream[key]).is_file(), upstream[key]
    assert _on_edge(office, upstream["ca_cert_path"]).read_bytes() == central.cert_pem()
    # the URL is in the inventory; the copies stay: a second run needs no files
    assert "Nothing changed" in _init_by_cli(office_root, EDGE_NAME, capsys, *url)


def test_the_edge_host_name_is_in_the_broker_certificate(
    office_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _init_by_cli(office_root, EDGE_NAME, capsys)
    names, ips = _san(office_root / "office" / "edge" / "tls" / "broker.crt")
    assert EDGE_NAME in names
    assert "127.0.0.1" in ips


def test_an_edge_ip_address_goes_in_as_an_ip_and_an_old_certificate_is_reissued(
    office_root: Path,
) -> None:
    office = OfficeDirectory(office_root / "office")
    settings = OfficeSettings(
        name="Kecamatan Uji", edge_host="10.0.0.2", ssh_private_key=office_root / "key"
    )
    central = central_public_key_file(office_root / "central.pem")
    init_office(office, settings, central_public_key=central, broker_names=[], broker_ips=[])
    names, ips = _san(office.edge_dir / "tls" / "broker.crt")
    assert ips == ["10.0.0.2"]
    assert "10.0.0.2" not in names
    # An office made before the edge address went into the certificate gets a new one.
    OfficeCA.load(office.ca_dir).issue_server_certificate(
        office.edge_dir / "tls", dns_names=["localhost"], ip_addresses=["127.0.0.1"]
    )
    again = init_office(
        office, settings, central_public_key=central, broker_names=[], broker_ips=[]
    )
    assert any(changed and "broker certificate" in what for what, changed in again.steps)
    assert ipaddress.ip_address("10.0.0.2") in [
        ipaddress.ip_address(ip) for ip in _san(office.edge_dir / "tls" / "broker.crt")[1]
    ]


def _as_installed_on_loopback(office: OfficeDirectory, port: int) -> Path:
    """The office's own mosquitto.conf with /etc/rekam pointing at the tree, listening on a
    loopback port and without persistence (nothing written outside the tree)."""
    replaced = {"listener": f"listener {port} 127.0.0.1", "persistence": "persistence false"}
    dropped = ("persistence_location", "autosave_interval")
    lines = []
    for line in (office.edge_dir / "mosquitto.conf").read_text().splitlines():
        key = line.partition(" ")[0]
        if key in dropped:
            continue
        lines.append(replaced.get(key, line).replace(str(EDGE_ETC), str(office.edge_dir)))
    conf = office.edge_dir / "mosquitto-loopback.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _handshake(office: OfficeDirectory, port: int, server_name: str) -> None:
    """A TLS handshake as a booth makes it: CA pinned, hostname checked, client cert."""
    tls = office.edge_dir / "tls"
    context = ssl.create_default_context(cafile=str(tls / "ca.crt"))
    context.load_cert_chain(tls / "edge.crt", tls / "edge.key")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name),
    ):
        pass


def test_the_broker_starts_with_the_office_files_and_booths_can_check_its_name(
    office_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _init_by_cli(office_root, EDGE_NAME, capsys)
    office = OfficeDirectory(office_root / "office")
    port = free_loopback_port()
    conf = _as_installed_on_loopback(office, port)
    output = office_root / "mosquitto.out"
    with output.open("wb") as sink:
        broker = subprocess.Popen(
            ["/usr/sbin/mosquitto", "-c", str(conf)], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert broker.poll() is None, output.read_text()
            try:
                _handshake(office, port, EDGE_NAME)
                break
            except (OSError, ssl.SSLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with pytest.raises(ssl.SSLCertVerificationError, match="match"):
            _handshake(office, port, "not-the-edge.lan")
    finally:
        broker.terminate()
        broker.wait(timeout=15)
