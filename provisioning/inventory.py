"""The office's booth inventory: one YAML file in the office directory.

It records, per booth, where it is (host, port), its pinned SSH host keys (the
``known_hosts`` lines every connection is checked against), its certificate serial,
its release and what the last status check saw. Office-wide settings (SSH account,
edge address, test-only root prefix) sit in the ``office`` section.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ektp.pki import validate_booth_id
from provisioning.errors import MSG_UNKNOWN_BOOTH, UnknownBooth


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficeSettings(_Model):
    """How the technician's machine reaches and sets up booths."""

    name: str = Field(min_length=1, description="The office's name (also the CA's name).")
    edge_host: str = Field(description="The edge controller's LAN address (broker and NTP).")
    broker_port: int = Field(default=8883, ge=1, le=65535, description="Broker TLS port.")
    ssh_user: str = Field(default="pi", description="Account the technician logs in as.")
    ssh_private_key: Path = Field(description="The technician's SSH private key.")
    booth_python: str = Field(
        default="/var/lib/rekam/venv/bin/python",
        description="Python that runs Rekam on a booth (a venv made by provisioning).",
    )
    system_python: str = Field(
        default="/usr/bin/python3", description="The booth's system Python (runs ansible)."
    )
    kiosk_user: str = Field(default="rekam", description="Account the kiosk runs as.")
    edge_config: Path | None = Field(
        default=None,
        description="The edge's edge.toml when rekam-provision runs where the edge's "
        "database is (on the edge controller itself): booth add/replace then register "
        "each booth's packet-signing key there. None: the summary prints the "
        "`rekam-edge booth register` command to run on the edge.",
    )
    edge_ntp: bool = Field(default=True, description="Booths take their time from the edge.")
    ups_driver: str = Field(
        default="usbhid-ups",
        description="NUT driver of the office UPS (ups.conf on the edge; dummy-ups in the lab).",
    )
    ups_port: str = Field(default="auto", description="Its port in ups.conf (USB: auto).")
    central_url: str = Field(
        default="",
        description="Central's receiver (https://...) the edge forwards packets to; "
        "'' until it is known (edge.toml then leaves [upstream] commented out).",
    )
    data_device: str = Field(
        default="LABEL=rekam-data",
        description="The writable data partition mounted on /var/lib/rekam; '' to skip; "
        "'loopfile': an ext4 image file on the root mounted with -o loop (the lab).",
    )
    system_packages: list[str] = Field(
        default_factory=lambda: [
            "python3-venv",
            "openssl",
            "pcscd",
            "libpcsclite1",
            "sqlite3",
            "chrony",  # time from the edge (provisioning.timesync)
            # pyscard builds from source on the booth
            "python3-dev",
            "gcc",
            "swig",
            "libpcsclite-dev",
            # picamera2's pip dependencies (python-prctl), Kivy's runtime, spoken prompts
            "libcap-dev",
            "libgl1",
            "libegl1",
            "libgles2",
            "libmtdev1",
            "libsdl2-2.0-0",
            "espeak-ng",
        ],
        description="Debian packages every booth needs.",
    )
    pi_packages: list[str] = Field(
        default_factory=lambda: ["python3-picamera2", "python3-lgpio"],
        description="Raspberry Pi OS packages of booths with real hardware (libcamera's "
        "Python bindings exist only as a system package; the booth's venv sees them). Not "
        "installed on booths with emulated hardware.",
    )
    root_prefix: str = Field(
        default="",
        description="Testing only: prefix for every path on a booth (a temporary directory); "
        "may contain {host} and {port} so units on one test machine stay apart.",
    )
    plan_system_changes: bool = Field(
        default=False,
        description="Testing only: run steps that change the machine itself (packages, "
        "services, overlay) in check mode and report them instead of applying them.",
    )
    emulated_hardware: bool = Field(
        default=False, description="Testing only: booths use emulated devices."
    )

    def booth_packages(self) -> list[str]:
        """The system packages a booth of this office gets (Pi-only ones for real hardware,
        the vpcd reader driver for the emulated card)."""
        extra = ["vsmartcard-vpcd"] if self.emulated_hardware else self.pi_packages
        return [*self.system_packages, *extra]

    def root_for(self, host: str, port: int) -> str:
        """The root prefix of the unit at ``host``:``port``."""
        return self.root_prefix.format(host=host, port=port)


class BoothEntry(_Model):
    """One booth as the office knows it."""

    host: str = Field(description="Address on the office LAN.")
    port: int = Field(default=22, ge=1, le=65535, description="SSH port.")
    host_keys: list[str] = Field(
        default_factory=list,
        description="Pinned SSH host keys as known_hosts key parts ('ssh-ed25519 AAAA...').",
    )
    cert_serial: str | None = Field(default=None, description="Current certificate (hex).")
    release: str | None = Field(default=None, description="Release in use.")
    health: Literal["ok", "failed", "unknown", "unreachable"] = Field(
        default="unknown", description="Result of the last self-test."
    )
    outbox_depth: int | None = Field(default=None, description="Unacked packets last seen.")
    last_seen: dt.datetime | None = Field(default=None, description="Last successful contact.")
    previous_hosts: list[str] = Field(
        default_factory=list, description="Units this booth ran on before (replaced)."
    )


class Inventory(_Model):
    """The whole inventory file."""

    office: OfficeSettings = Field(description="Office-wide settings.")
    booths: dict[str, BoothEntry] = Field(
        default_factory=dict, description="Booths by id (booth-01 ...)."
    )

    def booth(self, booth_id: str) -> BoothEntry:
        try:
            return self.booths[booth_id]
        except KeyError:
            raise UnknownBooth(MSG_UNKNOWN_BOOTH, booth_id=booth_id) from None

    def add_booth(self, booth_id: str, entry: BoothEntry) -> None:
        validate_booth_id(booth_id)
        self.booths[booth_id] = entry


def load_inventory(path: Path) -> Inventory:
    with path.open(encoding="utf-8") as handle:
        return Inventory.model_validate(yaml.safe_load(handle) or {})


def save_inventory(inventory: Inventory, path: Path) -> bool:
    """Write atomically; return False (and write nothing) when the content is unchanged."""
    text = "# Rekam office inventory, kept by rekam-provision.\n" + yaml.safe_dump(
        inventory.model_dump(mode="json"), sort_keys=False, allow_unicode=True
    )
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return True
