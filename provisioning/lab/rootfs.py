"""The lab machines' Debian 12 root file system: built once with debootstrap, cached as a
tarball, unpacked per machine.

One image serves the edge and the booths: it already holds every Debian package the
office's playbooks ask apt for (the machines have no route out, so ``apt`` finds them
installed and changes nothing). The cache key is a digest of everything that shapes the
image (architecture, suite, mirror, package list, builder version), so a changed list
builds a new tarball and an unchanged one is reused across runs and test sessions.

``arch`` defaults to the host's (amd64 here); ``arm64`` works where qemu-user-static and
binfmt_misc are set up (see RECIPES.md, "An arm64 ... Debian root").
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from provisioning.edge_install import EDGE_PACKAGES
from provisioning.errors import ProvisioningError
from provisioning.inventory import OfficeSettings
from provisioning.lab.messages import MSG_CACHING, MSG_DEBOOTSTRAP
from provisioning.report import tr

BUILDER_VERSION = 1
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_TIMEOUT_SECONDS = 1800

BASE_PACKAGES = (
    "systemd",
    "dbus",
    "openssh-server",
    "python3",
    "python3-venv",
    "sudo",
    "iproute2",
    "iputils-ping",
    "ca-certificates",
    "procps",
    "util-linux",
    "python3-apt",  # ansible's apt module
    "python3-packaging",  # ansible's pip module
)

# Stand-ins for what a Raspberry Pi booth has and a lab machine has not: Xvfb for the
# touchscreen, pcscd's virtual reader for the card reader. The edge's packages come from
# ``edge install`` and the booths' from the inventory's defaults, so the image follows
# them (a changed list changes the digest and builds a new image).
LAB_STAND_IN_PACKAGES = (
    "xvfb",
    "xauth",
    "vsmartcard-vpcd",
)


def office_packages() -> tuple[str, ...]:
    """Every Debian package the edge's and the booths' playbooks ask apt for."""
    field_info = OfficeSettings.model_fields["system_packages"]
    booth = list(field_info.get_default(call_default_factory=True))
    return tuple(dict.fromkeys([*EDGE_PACKAGES, *LAB_STAND_IN_PACKAGES, *booth]))


def booth_packages() -> tuple[str, ...]:
    """A booth-only image (an arm64 booth beside an amd64 edge): no edge packages."""
    field_info = OfficeSettings.model_fields["system_packages"]
    booth = list(field_info.get_default(call_default_factory=True))
    return tuple(dict.fromkeys([*BASE_PACKAGES, *LAB_STAND_IN_PACKAGES, *booth]))


def booth_spec(arch: str) -> RootfsSpec:
    """The image of a booth of another architecture than the edge (cached apart)."""
    return RootfsSpec(arch=arch, mirror=debian_mirror(), packages=booth_packages())


class LabError(ProvisioningError):
    """The lab cannot be built, started or stopped on this computer."""

    code = "provisioning.lab"


def default_cache_dir() -> Path:
    """``$REKAM_LAB_CACHE``, else ``~/.cache/rekam-lab``."""
    configured = os.environ.get("REKAM_LAB_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "rekam-lab"


def host_arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this computer's apt uses (deb822 or one-line format)."""
    for path in sorted((sources / "sources.list.d").glob("*.sources")):
        stanzas = path.read_text(encoding="utf-8").split("\n\n")
        for stanza in stanzas:
            fields = _deb822(stanza)
            suites = fields.get("Suites", "").split()
            if SUITE in suites and "main" in fields.get("Components", "").split():
                return fields.get("URIs", "").split()[0]
    one_line = sources / "sources.list"
    if one_line.exists():
        for line in one_line.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
                return parts[1]
    return DEFAULT_MIRROR


def _deb822(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, value = line.split(":", 1)
        fields[key.strip()] = value.strip()
    return fields


@dataclass(frozen=True)
class RootfsSpec:
    """Everything that shapes the image; its digest names the cached tarball."""

    arch: str = field(default_factory=host_arch)
    suite: str = SUITE
    mirror: str = DEFAULT_MIRROR
    packages: tuple[str, ...] = field(
        default_factory=lambda: tuple(dict.fromkeys(BASE_PACKAGES + office_packages()))
    )

    @property
    def digest(self) -> str:
        text = json.dumps(
            [
                BUILDER_VERSION,
                self.arch,
                self.suite,
                self.mirror,
                sorted(set(self.packages)),
                _CUSTOMISE,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def tarball(self, cache_dir: Path) -> Path:
        return cache_dir / f"rekam-lab-{self.suite}-{self.arch}-{self.digest}.tar.zst"


# Run inside the fresh root after debootstrap (chroot ROOT sh -c ...): the parts every
# machine shares. Per-machine identity (host keys, hostname, keys) is written at unpack.
_CUSTOMISE = r"""
set -e
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub /etc/machine-id
: > /etc/machine-id
# Raspberry Pi OS's device groups, which the kiosk account joins
for group in gpio i2c spi render input video plugdev dialout; do
    getent group "$group" >/dev/null || groupadd --system "$group"
done
useradd --create-home --shell /bin/bash --groups sudo pi || true
echo 'pi ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010-pi-nopasswd
chmod 0440 /etc/sudoers.d/010-pi-nopasswd
passwd --lock root >/dev/null
mkdir -p /etc/ssh/sshd_config.d
printf '%s\n' 'HostKey /etc/ssh/ssh_host_ed25519_key' 'PasswordAuthentication no' \
    'KbdInteractiveAuthentication no' 'PermitRootLogin prohibit-password' \
    > /etc/ssh/sshd_config.d/00-rekam-lab.conf
# Nothing in a lab machine may touch the host's devices, clock or consoles.
for unit in getty@tty1.service serial-getty@.service console-getty.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
    systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
    sys-kernel-tracing.mount sys-fs-fuse-connections.mount; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
done
apt-get clean
rm -rf /var/lib/apt/lists/*
"""


def build_rootfs(
    spec: RootfsSpec,
    cache_dir: Path,
    *,
    progress: Callable[[str], None] | None = None,
    lang: str = "id",
) -> Path:
    """Return the cached tarball for ``spec``, building it with debootstrap if missing."""
    tarball = spec.tarball(cache_dir)
    if tarball.exists():
        return tarball
    for tool in ("debootstrap", "zstd"):
        if shutil.which(tool) is None:
            raise LabError(f"{tool} is not installed (apt-get install {tool}; see setup.sh)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _line: None)
    with tempfile.TemporaryDirectory(prefix="rekam-lab-rootfs-") as work:
        root = Path(work) / "root"
        try:
            _bootstrap(spec, root, tarball, say, lang)
        finally:
            unmount_below(root)  # a failed debootstrap can leave proc/sys mounted
    return tarball


def _bootstrap(
    spec: RootfsSpec, root: Path, tarball: Path, say: Callable[[str], None], lang: str
) -> None:
    work = root.parent
    say(tr(MSG_DEBOOTSTRAP, lang, suite=spec.suite, arch=spec.arch, mirror=spec.mirror))
    log = Path(work) / "debootstrap.log"
    _run(
        [
            "debootstrap",
            f"--arch={spec.arch}",
            "--variant=minbase",
            f"--include={','.join(spec.packages)}",
            spec.suite,
            str(root),
            spec.mirror,
        ],
        log,
        "debootstrap",
    )
    _run(["chroot", str(root), "/bin/sh", "-c", _CUSTOMISE], log, "customising the root")
    partial = tarball.with_name(tarball.name + ".partial")
    say(tr(MSG_CACHING, lang, tarball=tarball))
    _run(
        ["tar", "--numeric-owner", "--xattrs", "--zstd", "-cf", str(partial), "-C", str(root), "."],
        log,
        "packing the root file system",
    )
    os.replace(partial, tarball)
    for stale in tarball.parent.glob(f"rekam-lab-{spec.suite}-{spec.arch}-*.tar.zst"):
        if stale != tarball:  # an image of an older package list
            stale.unlink()


def unpack_rootfs(tarball: Path, root: Path) -> None:
    """A fresh copy of the cached root file system at ``root`` (which must not exist)."""
    root.mkdir(parents=True)
    subprocess.run(
        ["tar", "--numeric-owner", "--xattrs", "--zstd", "-xf", str(tarball), "-C", str(root)],
        check=True,
        timeout=600,
    )


def unmount_below(path: Path) -> None:
    """Unmount every mount point at or below ``path`` (deepest first)."""
    target = str(path.resolve())
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        points = [line.split()[4] for line in handle]
    inside = [p for p in points if p == target or p.startswith(target + "/")]
    for point in sorted(set(inside), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)


def _run(command: list[str], log: Path, step: str) -> None:
    with log.open("ab") as handle:
        done = subprocess.run(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=DEBOOTSTRAP_TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise LabError(f"{step} failed (exit {done.returncode}):\n" + "\n".join(tail))
