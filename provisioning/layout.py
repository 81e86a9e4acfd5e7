"""Where everything lives on a booth, prefixed by ``root`` ("" on a real booth).

One place computes every path: the booth configuration written by Python and the
ansible roles (through :meth:`BoothLayout.ansible_vars`) agree by construction. Tests
give a temporary directory as ``root`` so a booth's files land there.

Releases, the ``current`` symlink and the Python environment sit in the writable data
area, beside the outbox: with the read-only root (overlay) enabled, an update still
survives a reboot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from kiosk.config.booth import OUTBOX_IN_DATA_DIR, SIGNING_KEY_IN_DATA_DIR


@dataclass(frozen=True)
class BoothLayout:
    """The file layout of one booth under an optional root prefix."""

    booth_id: str
    root: str = ""

    def path(self, absolute: str) -> PurePosixPath:
        """``absolute`` (a path on a real booth) under the root prefix."""
        return PurePosixPath(self.root.rstrip("/") + absolute)

    @property
    def etc_dir(self) -> PurePosixPath:
        return self.path("/etc/rekam")

    @property
    def config_path(self) -> PurePosixPath:
        return self.etc_dir / "booth.toml"

    @property
    def central_key_path(self) -> PurePosixPath:
        return self.etc_dir / "central-x25519.pem"

    @property
    def edge_review_key_path(self) -> PurePosixPath:
        return self.etc_dir / "edge-review-x25519.pem"

    @property
    def tls_dir(self) -> PurePosixPath:
        return self.etc_dir / "tls"

    @property
    def tls_key_path(self) -> PurePosixPath:
        return self.tls_dir / f"{self.booth_id}.key"

    @property
    def tls_cert_path(self) -> PurePosixPath:
        return self.tls_dir / f"{self.booth_id}.crt"

    @property
    def tls_csr_path(self) -> PurePosixPath:
        return self.tls_dir / f"{self.booth_id}.csr"

    @property
    def tls_ca_path(self) -> PurePosixPath:
        return self.tls_dir / "ca.crt"

    @property
    def tls_crl_path(self) -> PurePosixPath:
        """The office CA's CRL: the kiosk refuses operator cards it lists."""
        return self.tls_dir / "crl.pem"

    @property
    def data_dir(self) -> PurePosixPath:
        return self.path("/var/lib/rekam")

    @property
    def outbox_path(self) -> PurePosixPath:
        return self.data_dir / OUTBOX_IN_DATA_DIR

    @property
    def signing_key_path(self) -> PurePosixPath:
        return self.data_dir / SIGNING_KEY_IN_DATA_DIR

    @property
    def releases_dir(self) -> PurePosixPath:
        return self.data_dir / "releases"

    @property
    def current_link(self) -> PurePosixPath:
        return self.data_dir / "current"

    @property
    def venv_dir(self) -> PurePosixPath:
        return self.data_dir / "venv"

    @property
    def opt_dir(self) -> PurePosixPath:
        return self.path("/opt/rekam")

    def ansible_vars(self) -> dict[str, str]:
        """The ``rekam_*`` path variables the roles use."""
        return {
            "rekam_booth_id": self.booth_id,
            "rekam_root": self.root.rstrip("/"),
            "rekam_etc_dir": str(self.etc_dir),
            "rekam_config_path": str(self.config_path),
            "rekam_central_key_path": str(self.central_key_path),
            "rekam_edge_review_key_path": str(self.edge_review_key_path),
            "rekam_tls_dir": str(self.tls_dir),
            "rekam_tls_key_path": str(self.tls_key_path),
            "rekam_tls_cert_path": str(self.tls_cert_path),
            "rekam_tls_csr_path": str(self.tls_csr_path),
            "rekam_tls_ca_path": str(self.tls_ca_path),
            "rekam_tls_crl_path": str(self.tls_crl_path),
            "rekam_data_dir": str(self.data_dir),
            "rekam_outbox_path": str(self.outbox_path),
            "rekam_signing_key_path": str(self.signing_key_path),
            "rekam_releases_dir": str(self.releases_dir),
            "rekam_current_link": str(self.current_link),
            "rekam_venv_dir": str(self.venv_dir),
            "rekam_opt_dir": str(self.opt_dir),
        }
