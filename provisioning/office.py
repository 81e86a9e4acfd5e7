"""The office directory on the technician's machine, and ``office init``.

Layout::

    inventory.yml            booths and office settings (provisioning.inventory)
    ca/                      the office CA (ektp.pki.OfficeCA)
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

import grp
import ipaddress
import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_controller.config.broker import BROKER_LOG, BrokerConfig
from edge_controller.config.edge import EdgeConfig
from edge_controller.config.example import render_edge_toml
from edge_controller.config.mosquitto import render_acl, render_mosquitto_conf
from ektp.pki import EDGE_IDENTITY, OfficeCA, dev_issue_identity
from ektp.pki.review_key import load_or_create_review_key, public_key_path
from hardware.config import HardwareConfig
from kiosk.config.booth import BoothConfig
from provisioning.edge_nut import NutLogins, edge_ups_settings, sync_nut_files
from provisioning.edge_upstream import edge_upstream_settings, sync_upstream_files
from provisioning.errors import MSG_NO_OFFICE, MSG_OTHER_OFFICE, OfficeError
from provisioning.inventory import Inventory, OfficeSettings, load_inventory, save_inventory
from provisioning.layout import BoothLayout
from provisioning.server_certs import (
    BROKER_CERT_NAME,
    DASHBOARD_CERT_NAME,
    ensure_server_certificate,
)
from provisioning.timesync import edge_chrony_conf
from provisioning.tomlwrite import dumps

EDGE_ETC = Path("/etc/rekam")
"""Where the edge's files go on the edge controller: ``edge/`` of the office directory is
copied there as it is (``edge/acl`` is ``/etc/rekam/acl``, ``edge/tls/broker.key`` is
``/etc/rekam/tls/broker.key``); mosquitto.conf and edge.toml refer to those paths."""
EDGE_ACL_FILE = "acl"
BROKER_GROUP = "mosquitto"
"""Debian's mosquitto starts as root and drops to this account BEFORE it reads its TLS key."""

REAL_BOOTH_HARDWARE: dict[str, Any] = {
    "fingerprint": {"backend": "real"},
    "smartcard": {"backend": "real"},
    "camera": {"backend": "picamera2"},
    "gpio": {"backend": "real"},
}
EMULATED_BOOTH_HARDWARE: dict[str, Any] = {
    "fingerprint": {"backend": "emulated"},
    "camera": {"backend": "emulated"},
    # a booth cannot start without a card reader: the emulated card behind the booth's
    # own pcscd (vpcd driver), which the kiosk's account uses as it is (no namespace of
    # its own: that needs root)
    "smartcard": {"backend": "emulated", "isolate_network": False},
}
"""Every device emulated (lab machines, tests): pcscd with vsmartcard-vpcd for the card."""


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
            raise OfficeError(MSG_NO_OFFICE, root=self.root)
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


def broker_subject_names(
    edge_host: str, dns_names: list[str], ip_addresses: list[str]
) -> tuple[list[str], list[str]]:
    """The broker certificate's DNS names and IP addresses: always the edge's address as
    booths are told it (``edge.host`` in booth.toml), else their TLS hostname check fails."""
    names, ips = set(dns_names), set(ip_addresses)
    try:
        ips.add(str(ipaddress.ip_address(edge_host)))
    except ValueError:
        names.add(edge_host)
    return sorted(names), sorted(ips)


def share_broker_key(tls: Path) -> bool:
    """Let the broker's account read its key; True if an owner or mode changed.

    mosquitto reads ``keyfile`` after dropping from root to user ``mosquitto``, so a key
    only root can read stops the broker at start. Run as root where a ``mosquitto`` group
    exists (``office init`` on the edge itself): the TLS directory becomes root:mosquitto
    0750 and ``broker.key`` root:mosquitto 0640 (the edge's own ``edge.key`` stays 0600).
    Elsewhere (a technician's laptop) the files stay private to their owner and
    :func:`edge_install_hint` tells how to install them on the edge with these owners.
    """
    if os.geteuid() != 0:
        return False
    try:
        gid = grp.getgrnam(BROKER_GROUP).gr_gid
    except KeyError:
        return False
    changed = False
    for path, mode in ((tls, 0o750), (tls / "broker.key", 0o640)):
        status = path.stat()
        if status.st_gid != gid or status.st_uid != 0:
            os.chown(path, 0, gid)
            changed = True
        if status.st_mode & 0o777 != mode:
            os.chmod(path, mode)
            changed = True
    return changed


def edge_install_hint(office: OfficeDirectory) -> str:
    """How to put ``edge/`` on the edge controller with owners mosquitto can work with."""
    tls = EDGE_ETC / "tls"
    return (
        f"On the edge, as root: copy {office.edge_dir}/ to {EDGE_ETC}/, then\n"
        f"  chgrp {BROKER_GROUP} {tls} {tls}/broker.key && chmod 750 {tls} && "
        f"chmod 640 {tls}/broker.key\n"
        f"(mosquitto reads its key as user {BROKER_GROUP}; {EDGE_ETC}/mosquitto.conf is its "
        "configuration)."
    )


def edge_broker_config(office: OfficeDirectory, settings: OfficeSettings) -> BrokerConfig:
    tls = EDGE_ETC / "tls"
    return BrokerConfig(
        bind_address="0.0.0.0",
        port=settings.broker_port,
        ca_cert_path=tls / "ca.crt",
        server_cert_path=tls / "broker.crt",
        server_key_path=tls / "broker.key",
        crl_path=tls / "crl.pem",
        log_file=BROKER_LOG,  # the edge reads it: refusals, takeovers (broker_log_path)
    )


def edge_config_toml(settings: OfficeSettings, ups_logins: NutLogins | None = None) -> str:
    """edge.toml; with ``ups_logins`` the UPS is watched through the edge's own upsd."""
    tls = EDGE_ETC / "tls"
    optional: dict[str, Any] = {}  # the UPS; forwarding to central (edge_upstream)
    if ups_logins:
        optional["power"] = {"ups": edge_ups_settings(ups_logins)}
    if settings.central_url:
        optional["upstream"] = edge_upstream_settings(settings.central_url, EDGE_ETC)
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
            "web": {  # the office PCs open the dashboard: https://<edge host>/
                "host": "0.0.0.0",
                "port": 443,
                "http_redirect_port": 80,
                "tls_cert_path": str(tls / f"{DASHBOARD_CERT_NAME}.crt"),
                "tls_key_path": str(tls / f"{DASHBOARD_CERT_NAME}.key"),
            },
            "crl": {"path": str(tls / "crl.pem")},  # published to the booths on office/crl
            "broker_log_path": str(BROKER_LOG),
            **optional,
        }
    )
    return render_edge_toml(
        config,
        header="rekam-edge configuration, generated by rekam-provision office init.\n"
        "Every key is shown under its description. A '#' directly before a key or a\n"
        "[section] marks an optional setting (UPS, link to central): remove it to use it.",
    )


def init_office(
    office: OfficeDirectory,
    settings: OfficeSettings,
    *,
    central_public_key: Path,
    broker_names: list[str],
    broker_ips: list[str],
    central_files: tuple[Path | None, Path | None] = (None, None),
) -> InitResult:
    """Create (or complete) an office directory. Running it again changes nothing."""
    result = InitResult()
    office.root.mkdir(parents=True, exist_ok=True)
    if office.inventory_path.exists():
        inventory = office.load_inventory()
        if inventory.office != settings:
            raise OfficeError(MSG_OTHER_OFFICE, inventory=office.inventory_path)
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
    dns_names, ip_addresses = broker_subject_names(settings.edge_host, broker_names, broker_ips)
    for name in (BROKER_CERT_NAME, DASHBOARD_CERT_NAME):  # the dashboard: HTTPS
        made = ensure_server_certificate(ca, tls, name, dns_names, ip_addresses)
        result.note(f"{name} certificate for {', '.join([*dns_names, *ip_addresses])}", made)
    made_edge = not (tls / f"{EDGE_IDENTITY}.crt").exists()
    if made_edge:
        dev_issue_identity(ca, EDGE_IDENTITY, tls)
    result.note("edge client certificate", made_edge)
    result.note("CRL for the broker", sync_crl(office))
    result.note(f"broker key readable by group {BROKER_GROUP}", share_broker_key(tls))
    made_review_key = not office.review_key_path.exists()
    load_or_create_review_key(office.review_key_path)
    result.note("edge review key (booths seal review thumbnails for it)", made_review_key)

    broker = edge_broker_config(office, settings)
    result.note(
        "mosquitto.conf",
        _write_if_different(
            office.edge_dir / "mosquitto.conf",
            render_mosquitto_conf(broker, acl_path=EDGE_ETC / EDGE_ACL_FILE),
        ),
    )
    result.note(
        "broker ACL",
        _write_if_different(office.edge_dir / EDGE_ACL_FILE, render_acl(broker)),
    )
    nut_changed, ups_logins = sync_nut_files(
        office.edge_dir / "nut", settings.ups_driver, settings.ups_port, _write_if_different
    )
    result.note(f"NUT for the office UPS ({settings.ups_driver})", nut_changed)
    if settings.central_url:  # central's CA certificate and receipt key
        changed = sync_upstream_files(office.edge_dir, *central_files, _write_if_different)
        result.note(f"link to central at {settings.central_url}", changed)
    edge_toml = edge_config_toml(settings, ups_logins)  # holds the UPS login: owner only
    result.note("edge.toml", _write_if_different(office.edge_dir / "edge.toml", edge_toml, 0o600))
    result.note(
        "time server for booths",
        _write_if_different(office.edge_dir / "chrony-rekam.conf", edge_chrony_conf()),
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
    """The booth's configuration, validated by :class:`kiosk.config.booth.BoothConfig`."""
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
            "operator_cards": {"crl_path": str(layout.tls_crl_path)},
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
