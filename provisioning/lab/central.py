"""The rehearsal's central: the reference receiver (``rekam-central``) on the edge machine.

The lab machines have no route out, so central runs where the installed project already
is: inside the edge machine, a process of its own (``systemd-run --unit rekam-central``)
on ``https://localhost:8443/``, with its own CA and server certificate, its own receipt
key, and the office CA as the only CA whose clients it accepts, like the national
receiver. The edge reaches it only through what ``office init --central-url
--central-ca --central-receipt-key`` wrote into edge.toml: mutual TLS with the edge's
office certificate, receipts checked against central's public key.

On the technician's side (``D/central/``): central's CA, its server certificate and
receipt key. In the edge machine: ``/var/lib/rekam-central`` (config, keys, store).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ektp.pki import OfficeCA

CENTRAL_URL = "https://localhost:8443/"
CENTRAL_UNIT = "rekam-central"
CENTRAL_IN_EDGE = "/var/lib/rekam-central"
CENTRAL_COMMAND = "/opt/rekam/venv/bin/rekam-central"
COUNT_FORWARDED = "SELECT count(*) FROM upstream_receipts WHERE kind = 'enrollment'"


class LabCentral:
    """Central's files on the technician's side, and the commands that run it in the edge."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "central"

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca" / "ca.crt"

    @property
    def receipt_public_key(self) -> Path:
        return self.directory / "receipt.pub.pem"

    def prepare(self) -> None:
        """Central's CA, server certificate (localhost) and receipt key, made once."""
        if (self.directory / "receipt.key").exists():
            return
        ca = OfficeCA.create(self.directory / "ca", "Pusat Latihan")
        ca.issue_server_certificate(self.directory / "tls", common_name="central")
        key = Ed25519PrivateKey.generate()
        (self.directory / "receipt.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (self.directory / "receipt.key").chmod(0o600)
        self.receipt_public_key.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def install(self, edge_root: Path, office_ca_cert: Path) -> None:
        """Put central's files and configuration into the edge machine's root."""
        home = edge_root / CENTRAL_IN_EDGE.lstrip("/")
        (home / "booth-keys").mkdir(parents=True, exist_ok=True)
        home.chmod(0o700)
        files = {
            "central.crt": self.directory / "tls" / "central.crt",
            "central.key": self.directory / "tls" / "central.key",
            "receipt.key": self.directory / "receipt.key",
            "office-ca.crt": office_ca_cert,
        }
        for name, source in files.items():
            (home / name).write_bytes(source.read_bytes())
            (home / name).chmod(0o600)
        (home / "central.toml").write_text(
            'host = "127.0.0.1"\nport = 8443\n'
            f'tls_cert_path = "{CENTRAL_IN_EDGE}/central.crt"\n'
            f'tls_key_path = "{CENTRAL_IN_EDGE}/central.key"\n'
            f'client_ca_paths = ["{CENTRAL_IN_EDGE}/office-ca.crt"]\n'
            f'receipt_key_path = "{CENTRAL_IN_EDGE}/receipt.key"\n'
            f'booth_keys_dir = "{CENTRAL_IN_EDGE}/booth-keys"\n'
            f'data_dir = "{CENTRAL_IN_EDGE}/data"\n'
        )

    @staticmethod
    def start_command() -> str:
        """Start central in the edge and wait (up to 60 s) until it listens."""
        return (
            f"systemctl reset-failed {CENTRAL_UNIT} 2>/dev/null; "
            f"systemctl is-active -q {CENTRAL_UNIT} || systemd-run --quiet "
            f"--unit {CENTRAL_UNIT} {CENTRAL_COMMAND} run --config {CENTRAL_IN_EDGE}/central.toml"
            "; for i in $(seq 120); do "
            "ss -Hltn 'sport = :8443' | grep -q 8443 && exit 0; sleep 0.5; done; "
            f"journalctl -u {CENTRAL_UNIT} --no-pager | tail -20; exit 1"
        )

    @staticmethod
    def register_booth_command(booth_id: str) -> str:
        """``rekam-central register-booth`` for the booth key sent on stdin."""
        incoming = f"{CENTRAL_IN_EDGE}/incoming-{booth_id}.pem"
        return (
            f"cat > {incoming} && {CENTRAL_COMMAND} register-booth --config "
            f"{CENTRAL_IN_EDGE}/central.toml --booth-id {booth_id} --public-key {incoming}"
            f"; rc=$?; rm -f {incoming}; exit $rc"
        )
