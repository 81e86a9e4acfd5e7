"""A lab: an edge and N booths on a private network, described by ``D/lab.json``.

``Lab(D).up(booths=N)`` builds (or reuses) the cached root file system, unpacks a copy
per machine under ``D/machines/NAME/root``, creates the network, boots every machine and
waits until systemd reports ``running`` or ``degraded`` and sshd is active. ``down()``
kills every process of the lab, deletes its namespaces (and with them the veths and the
bridge), removes its cgroups and the machines' roots; it is safe to call at any time.

Besides ``lab.json``, ``D`` holds the technician's key for the machines
(``id_ed25519``, unless one is given), ``known_hosts`` with each machine's host key,
``ssh_config`` (``ssh -F D/ssh_config edge``) and ``inventory.ini`` for ansible.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provisioning.lab.emulation import adapt_to_qemu_user
from provisioning.lab.machine import Machine, cgroup2_root, new_ed25519_key
from provisioning.lab.messages import MSG_ALREADY_UP, MSG_UNPACKING, MSG_WAITING
from provisioning.lab.network import LabNetwork
from provisioning.lab.rootfs import (
    LabError,
    RootfsSpec,
    booth_spec,
    build_rootfs,
    debian_mirror,
    default_cache_dir,
    host_arch,
    unmount_below,
    unpack_rootfs,
)
from provisioning.report import tr

STATE_FILE = "lab.json"
REQUIRED_TOOLS = ("ip", "unshare", "nsenter", "socat", "tar", "zstd", "ssh-keygen")


def require_root_linux() -> None:
    """Refuse clearly where the lab cannot run."""
    if not sys.platform.startswith("linux"):
        raise LabError("the lab runs on Linux only (it uses Linux namespaces)")
    if os.geteuid() != 0:
        raise LabError("the lab must run as root (it creates namespaces, mounts and cgroups)")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise LabError(f"missing tools: {', '.join(missing)} (install them with ./setup.sh)")


@dataclass(frozen=True)
class MachineStatus:
    name: str
    address: str
    pid: int | None
    state: str
    arch: str = ""


class Lab:
    """One lab rooted at ``directory``."""

    def __init__(
        self,
        directory: Path,
        *,
        cache_dir: Path | None = None,
        network: LabNetwork | None = None,
        arch: str | None = None,
        booth_arch: str | None = None,
        progress: Callable[[str], None] | None = None,
        lang: str = "id",
    ) -> None:
        self.directory = directory.resolve()
        self.lang = lang
        self.cache_dir = cache_dir or default_cache_dir()
        self.network = network or LabNetwork()
        if self.state_file.exists():  # the lab in this directory is the one recorded
            recorded = json.loads(self.state_file.read_text())
            self.network = LabNetwork(prefix=recorded["prefix"], subnet=recorded["subnet"])
        self.arch = arch
        self.booth_arch = booth_arch
        self.images: dict[str, Path] = {}  # the root file system tarball of each machine
        self.say = progress or (lambda _line: None)

    # -- files ----------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.directory / STATE_FILE

    @property
    def key(self) -> Path:
        return self.directory / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.directory / "ssh_config"

    @property
    def booth_cache(self) -> Path:
        """Booths of another architecture: their image is cached apart (rootfs prunes per arch)."""
        return self.cache_dir / f"booth-{self.booth_arch}"

    def machine(self, name: str) -> Machine:
        return Machine(
            name=name,
            address=self.network.address(name),
            netns=self.network.netns(name),
            root=self.directory / "machines" / name / "root",
            cgroup=cgroup2_root() / self.network.prefix / name,
        )

    def names(self) -> list[str]:
        if not self.state_file.exists():
            return []
        return list(json.loads(self.state_file.read_text())["machines"])

    def machines(self) -> list[Machine]:
        return [self.machine(name) for name in self.names()]

    def arch_of(self, name: str) -> str:
        """The machine's Debian architecture (``amd64``, ``arm64``) as recorded at ``up``."""
        if not self.state_file.exists():
            return host_arch()
        recorded = json.loads(self.state_file.read_text())
        return str(recorded.get("arch", {}).get(name, host_arch()))

    def ssh_command(self, name: str, *command: str, user: str = "root") -> list[str]:
        """An ``ssh`` argv that reaches ``name`` through its namespace (ProxyCommand)."""
        return ["ssh", "-F", str(self.ssh_config), "-l", user, name, *command]

    # -- up / down ------------------------------------------------------------

    def up(self, booths: int = 1, *, ssh_public_key: Path | None = None) -> list[MachineStatus]:
        require_root_linux()
        names = ["edge", *(f"booth{n}" for n in range(1, booths + 1))]
        self._check_owner()
        if self.names() and all(m.alive() for m in self.machines()) and self.names() == names:
            self.say(tr(MSG_ALREADY_UP, self.lang))
            return self.status()
        self.down()
        self.directory.mkdir(parents=True, exist_ok=True)
        owner = _owner_file(self.network)
        owner.parent.mkdir(parents=True, exist_ok=True)
        owner.write_text(f"{self.directory}\n")
        spec = RootfsSpec(mirror=debian_mirror())
        if self.arch:
            spec = dataclasses.replace(spec, arch=self.arch)
        tarball = build_rootfs(spec, self.cache_dir, progress=self.say, lang=self.lang)
        arch = dict.fromkeys(names, spec.arch)
        self.images = dict.fromkeys(names, tarball)
        if self.booth_arch and self.booth_arch != spec.arch:  # an arm64 booth beside the edge
            booth = build_rootfs(
                booth_spec(self.booth_arch), self.booth_cache, progress=self.say, lang=self.lang
            )
            for name in names[1:]:
                arch[name], self.images[name] = self.booth_arch, booth
        public_key = self._technician_key(ssh_public_key)
        self.state_file.write_text(
            json.dumps(
                {
                    "machines": names,
                    "prefix": self.network.prefix,
                    "subnet": self.network.subnet,
                    "arch": arch,
                }
            )
            + "\n"
        )
        self.network.create_bridge()
        hosts = {name: self.network.address(name) for name in names}
        known = []
        for name in names:
            machine = self.machine(name)
            self.say(tr(MSG_UNPACKING, self.lang, name=name))
            unpack_rootfs(self.images[name], machine.root)
            host_key = machine.personalise(hosts, public_key)
            if arch[name] != host_arch():  # under qemu-user (RECIPES.md; emulation.py)
                adapt_to_qemu_user(machine.root)
            known.append(f"{machine.address} {host_key}")
            known.append(f"{name} {host_key}")
            self.network.attach(name)
            machine.boot()
        self.known_hosts.write_text("\n".join(known) + "\n")
        self._write_ssh_config(names)
        for machine in self.machines():
            self.say(tr(MSG_WAITING, self.lang, name=machine.name))
            machine.wait_settled()
        return self.status()

    def down(self) -> list[str]:
        """Stop everything of this lab; returns what was removed. Idempotent."""
        require_root_linux()
        self._check_owner()
        removed = []
        prefix_dir = cgroup2_root() / self.network.prefix
        names = set(self.names())
        if prefix_dir.is_dir():
            names |= {p.name for p in prefix_dir.iterdir() if p.is_dir()}
        for name in sorted(names):
            machine = self.machine(name)
            if machine.cgroup.exists():
                machine.kill()
                removed.append(f"machine {name}")
        if prefix_dir.is_dir():
            prefix_dir.rmdir()
        removed += [f"namespace {ns}" for ns in self.network.destroy()]
        machines_dir = self.directory / "machines"
        if machines_dir.exists():
            unmount_below(machines_dir)
            shutil.rmtree(machines_dir)
            removed.append(f"{machines_dir}")
        self.state_file.unlink(missing_ok=True)
        owner = _owner_file(self.network)
        owner.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            owner.parent.rmdir()
        return removed

    def status(self) -> list[MachineStatus]:
        require_root_linux()
        return [
            MachineStatus(m.name, m.address, m.pid1(), m.system_state(), self.arch_of(m.name))
            for m in self.machines()
        ]

    def shell(self, name: str, command: list[str] | None = None) -> int:
        """Run a login shell (or ``command``) inside ``name`` on this terminal."""
        require_root_linux()
        if name not in self.names():
            raise LabError(f"no machine {name} in the lab at {self.directory}")
        argv = self.machine(name).nsenter(command or ["/bin/bash", "--login"])
        return subprocess.call(argv)

    # -- helpers --------------------------------------------------------------

    def _check_owner(self) -> None:
        """One lab per prefix on this computer: refuse if another directory owns it."""
        owner = _owner_file(self.network)
        other = owner.read_text().strip() if owner.exists() else str(self.directory)
        if Path(other) != self.directory:
            raise LabError(
                f"another lab is up ({other}): run `rekam-provision lab down --dir {other}` first"
            )

    def _technician_key(self, public_key: Path | None) -> str:
        if public_key is not None:
            return public_key.read_text()
        if not self.key.exists():
            new_ed25519_key(self.key, "rekam-lab")
        return Path(f"{self.key}.pub").read_text()

    def _write_ssh_config(self, names: list[str]) -> None:
        blocks = []
        for name in names:
            blocks.append(
                f"Host {name} {self.network.address(name)}\n"
                f"    HostName {self.network.address(name)}\n"
                f"    ProxyCommand {self.network.proxy_command(name)}\n"
                f"    UserKnownHostsFile {self.known_hosts}\n"
                "    StrictHostKeyChecking yes\n"
                f"    IdentityFile {self.key}\n"
                "    IdentitiesOnly yes\n"
                "    BatchMode yes\n"
            )
        self.ssh_config.write_text("\n".join(blocks))
        inventory = ["[lab]"]
        for name in names:
            args = f'-o ProxyCommand="{self.network.proxy_command(name)}"'
            inventory.append(
                f"{name} ansible_host={self.network.address(name)} ansible_ssh_common_args='{args}'"
            )
        (self.directory / "inventory.ini").write_text("\n".join(inventory) + "\n")


def _owner_file(network: LabNetwork) -> Path:
    return Path("/run") / network.prefix / "owner"
