"""The office directory on the technician's machine, and ``office init``.

Layout::

    inventory.yml            booths and office settings (provisioning.inventory)
    ca/                      the office CA (edge_controller.pki.OfficeCA)
    central-x25519.pem       central's public key, sent to every booth
    booth-hardware.toml      the [hardware] table every booth gets
    edge/                    the edge's files: edge.toml, mosquitto.conf, acl,
                             timesync-server.conf, tls/ (broker and edge identities, CA, CRL)
    booth-keys/<id>.pem      each booth's packet-signing PUBLIC key, for the edge
    booth-keys/retired/      keys of replaced units (<id>-<key id>.pem): the records
                             recovered from them are signed with these
    releases/                release tarballs built for booths
    recovered/               outboxes recovered from replaced units
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_controller.broker import BrokerConfig, render_acl, render_mosquitto_conf
from edge_controller.config import EdgeConfig
from edge_controller.pki import EDGE_IDENTITY, OfficeCA, dev_issue_identity
from edge_controller.review_key import load_or_create_review_key, public_key_path
from hardware.config import HardwareConfig
from kiosk.config import BoothConfig
from provisioning.inventory import Inventory, OfficeSettings, load_inventory, save_inventory
from provisioning.layout import BoothLayout
from provisioning.tomlwrite import dumps

EDGE_ETC = Path("/etc/rekam")
"""Where the edge's files go on the edge controller (edge.toml refers to these paths)."""

REAL_BOOTH_HARDWARE: dict[str, Any] = {
    "fingerprint": {"backend": "real"},
    "smartcard": {"backend": "real"},
    "camera": {"backend": "picamera2"},
    "gpio": {"backend": "real"},
}
EMULATED_BOOTH_HARDWARE: dict[str, Any] = {
    "fingerprint": {"backend": "emulated"},
    "camera": {"backend": "emulated"},
}
"""Emulated devices that need no daemon (a self-test anywhere)."""


class OfficeError(Exception):
    """The office directory is missing or inconsistent (message for the technician)."""


@dataclass
class OfficeDirectory:
    """Paths inside one office directory."""

    root: Path

    @property
    def inventory_path(self) -> Path:
        return self.root / "inventory.yml"

    @property
    def ca_dir(self) -> Path:
        return self.root / "ca"

    @property
    def central_key_path(self) -> Path:
        return self.root / "central-x25519.pem"

    @property
    def hardware_path(self) -> Path:
        return self.root / "booth-hardware.toml"

    @property
    def edge_dir(self) -> Path:
        return self.root / "edge"

    @property
    def review_key_path(self) -> Path:
        """The edge's X25519 review key (installed on the edge with its TLS files)."""
        return self.edge_dir / "review" / "review.key"

    @property
    def review_public_key_path(self) -> Path:
        """Its public half: booths seal the review thumbnail for it."""
        return public_key_path(self.review_key_path)

    @property
    def booth_keys_dir(self) -> Path:
        return self.root / "booth-keys"

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @property
    def recovered_dir(self) -> Path:
        return self.root / "recovered"

    def load_inventory(self) -> Inventory:
        if not self.inventory_path.exists():
            raise OfficeError(
                f"No office in {self.root}: run `rekam-provision office init` first "
                "(or pass --office DIR)."
            )
        return load_inventory(self.inventory_path)

    def save_inventory(self, inventory: Inventory) -> bool:
        return save_inventory(inventory, self.inventory_path)

    def load_ca(self) -> OfficeCA:
        return OfficeCA.load(self.ca_dir)

    def booth_hardware(self) -> HardwareConfig:
        with self.hardware_path.open("rb") as handle:
            data = tomllib.load(handle)
        return HardwareConfig.model_validate(data.get("hardware", data))


@dataclass
class InitResult:
    """What ``office init`` did: each item and whether it changed."""

    steps: list[tuple[str, bool]] = field(default_factory=list)

    def note(self, what: str, changed: bool) -> None:
        self.steps.append((what, changed))

    @property
    def changed(self) -> int:
        return sum(1 for _, changed in self.steps if changed)


def _write_if_different(path: Path, text: str, mode: int = 0o644) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(mode)
    temporary.replace(path)
    return True


def edge_broker_config(office: OfficeDirectory, settings: OfficeSettings) -> BrokerConfig:
    tls = EDGE_ETC / "tls"
    return BrokerConfig(
        bind_address="0.0.0.0",
        port=settings.broker_port,
        ca_cert_path=tls / "ca.crt",
        server_cert_path=tls / "broker.crt",
        server_key_path=tls / "broker.key",
        crl_path=tls / "crl.pem",
    )


def edge_config_toml(settings: OfficeSettings) -> str:
    tls = EDGE_ETC / "tls"
    config = EdgeConfig.model_validate(
        {
            "office_name": settings.name,
            "mqtt": {
                "host": "127.0.0.1",
                "port": settings.broker_port,
                "identity": EDGE_IDENTITY,
                "ca_cert_path": str(tls / "ca.crt"),
                "cert_path": str(tls / f"{EDGE_IDENTITY}.crt"),
                "key_path": str(tls / f"{EDGE_IDENTITY}.key"),
            },
            "review": {"key_path": str(EDGE_ETC / "review" / "review.key")},
        }
    )
    return dumps(
        config.model_dump(mode="json", exclude_defaults=True),
        header="rekam-edge configuration, generated by rekam-provision office init.",
    )


def timesync_server_conf() -> str:
    return (
        "# chrony drop-in for the edge (generated by rekam-provision): serve time to the\n"
        "# booths on the office LAN, even when the internet is down.\n"
        "allow 10.0.0.0/8\nallow 172.16.0.0/12\nallow 192.168.0.0/16\n"
        "local stratum 10\n"
    )


def init_office(
    office: OfficeDirectory,
    settings: OfficeSettings,
    *,
    central_public_key: Path,
    broker_names: list[str],
    broker_ips: list[str],
) -> InitResult:
    """Create (or complete) an office directory. Running it again changes nothing."""
    result = InitResult()
    office.root.mkdir(parents=True, exist_ok=True)
    if office.inventory_path.exists():
        inventory = office.load_inventory()
        if inventory.office != settings:
            raise OfficeError(
                f"{office.inventory_path} already describes an office with other settings; "
                "edit it, or use another --office directory."
            )
    else:
        inventory = Inventory(office=settings)
    created_ca = not (office.ca_dir / "ca.key").exists()
    ca = OfficeCA.create(office.ca_dir, settings.name) if created_ca else office.load_ca()
    result.note(f"office CA in {office.ca_dir}", created_ca)

    central_pem = central_public_key.read_text(encoding="utf-8")
    result.note("central's public key", _write_if_different(office.central_key_path, central_pem))
    hardware = EMULATED_BOOTH_HARDWARE if settings.emulated_hardware else REAL_BOOTH_HARDWARE
    HardwareConfig.model_validate(hardware)
    result.note(
        "booth hardware template",
        _write_if_different(
            office.hardware_path,
            dumps({"hardware": hardware}, header="Devices of every booth (see rekam-hw)."),
        ),
    )

    tls = office.edge_dir / "tls"
    made_broker = not (tls / "broker.crt").exists()
    if made_broker:
        ca.issue_server_certificate(tls, dns_names=broker_names, ip_addresses=broker_ips)
    result.note("broker certificate", made_broker)
    made_edge = not (tls / f"{EDGE_IDENTITY}.crt").exists()
    if made_edge:
        dev_issue_identity(ca, EDGE_IDENTITY, tls)
    result.note("edge client certificate", made_edge)
    result.note("CRL for the broker", sync_crl(office))
    made_review_key = not office.review_key_path.exists()
    load_or_create_review_key(office.review_key_path)
    result.note("edge review key (booths seal review thumbnails for it)", made_review_key)

    broker = edge_broker_config(office, settings)
    result.note(
        "mosquitto.conf",
        _write_if_different(
            office.edge_dir / "mosquitto.conf",
            render_mosquitto_conf(broker, acl_path=EDGE_ETC / "mosquitto-acl"),
        ),
    )
    result.note("broker ACL", _write_if_different(office.edge_dir / "acl", render_acl(broker)))
    result.note(
        "edge.toml", _write_if_different(office.edge_dir / "edge.toml", edge_config_toml(settings))
    )
    result.note(
        "time server for booths",
        _write_if_different(office.edge_dir / "chrony-rekam.conf", timesync_server_conf()),
    )
    for directory in (office.booth_keys_dir, office.releases_dir, office.recovered_dir):
        directory.mkdir(exist_ok=True)
    result.note(f"inventory {office.inventory_path}", office.save_inventory(inventory))
    return result


def sync_crl(office: OfficeDirectory) -> bool:
    """Copy the CA's CRL to the edge's TLS files; True if it changed."""
    source = office.ca_dir / "crl.pem"
    target = office.edge_dir / "tls" / "crl.pem"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.read_bytes() == source.read_bytes():
        return False
    shutil.copyfile(source, target)
    return True


def booth_config(
    office: OfficeDirectory, settings: OfficeSettings, booth_id: str, host: str, port: int
) -> BoothConfig:
    """The booth's configuration, validated by :class:`kiosk.config.BoothConfig`."""
    layout = BoothLayout(booth_id, settings.root_for(host, port))
    return BoothConfig.model_validate(
        {
            "booth_id": booth_id,
            "data_dir": str(layout.data_dir),
            "central_public_key_path": str(layout.central_key_path),
            "edge": {
                "host": settings.edge_host,
                "port": settings.broker_port,
                "ca_cert_path": str(layout.tls_ca_path),
                "cert_path": str(layout.tls_cert_path),
                "key_path": str(layout.tls_key_path),
                "review_public_key_path": (
                    str(layout.edge_review_key_path)
                    if office.review_public_key_path.exists()
                    else None
                ),
            },
            "hardware": office.booth_hardware().model_dump(mode="json"),
        }
    )


def booth_config_toml(config: BoothConfig) -> str:
    """TOML text that reads back to exactly ``config`` (checked here, before sending)."""
    text = dumps(
        config.model_dump(mode="json"),
        header=f"Rekam booth {config.booth_id}: written by rekam-provision; edit the office "
        "inventory, not this file.",
    )
    if BoothConfig.model_validate(tomllib.loads(text)) != config:
        raise OfficeError(f"The configuration of {config.booth_id} does not round-trip")
    return text
