"""The lab's private network: a bridge in a lab network namespace, one veth pair per
machine (``ve-NAME`` on the bridge, ``eth0`` in the machine's namespace).

Every interface is created directly inside namespaces the lab made, so the host's own
network namespace never holds a lab interface or address, and nothing on the lab network
can reach anything outside this computer: the lab namespace has no address and no route
out. Machines get their software from the cached root file system (every Debian package
the playbooks ask for is already installed) and from a wheelhouse built on the host and
copied in.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

from provisioning.errors import ProvisioningError

NETNS_DIR = Path("/run/netns")
DEFAULT_PREFIX = "rekam-lab"
DEFAULT_SUBNET = "10.213.77.0/24"
BRIDGE = "br0"
EDGE_HOST_NUMBER = 10
TECHNICIAN = "tech"
"""A namespace on the lab network without a machine: the technician's laptop plugged into
the office LAN. ``ip netns exec <prefix>-tech rekam-provision ...`` runs the ordinary
tool (host files, lab network) against the machines' real addresses."""
TECHNICIAN_HOST_NUMBER = 5


class LabNetworkError(ProvisioningError):
    """An ``ip`` command that sets up or tears down the lab network failed."""

    code = "provisioning.lab_network"


@dataclass(frozen=True)
class LabNetwork:
    """Names and addresses of one lab: ``prefix`` keeps its namespaces apart from others'."""

    prefix: str = DEFAULT_PREFIX
    subnet: str = DEFAULT_SUBNET

    @property
    def bridge_netns(self) -> str:
        return f"{self.prefix}-net"

    def netns(self, machine: str) -> str:
        return f"{self.prefix}-{machine}"

    def address(self, machine: str) -> str:
        """edge is .10, boothN is .10+N, the technician's namespace .5."""
        network = ipaddress.ip_network(self.subnet)
        number = EDGE_HOST_NUMBER
        if machine == TECHNICIAN:
            number = TECHNICIAN_HOST_NUMBER
        elif machine != "edge":
            number += int(machine.removeprefix("booth"))
        return str(network.network_address + number)

    @property
    def prefixlen(self) -> int:
        return ipaddress.ip_network(self.subnet).prefixlen

    def exists(self) -> bool:
        return (NETNS_DIR / self.bridge_netns).exists()

    def namespaces(self) -> list[str]:
        """The lab's namespaces that exist now (bridge namespace included)."""
        if not NETNS_DIR.is_dir():
            return []
        return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"{self.prefix}-"))

    def create_bridge(self) -> None:
        if not self.exists():
            _ip("netns", "add", self.bridge_netns)
        ns = self.bridge_netns
        if _ip_ok("-n", ns, "link", "show", BRIDGE):
            return
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", ns, "link", "set", BRIDGE, "up")

    def attach(self, machine: str) -> str:
        """Give ``machine`` its namespace, an ``eth0`` on the bridge and its address."""
        ns = self.netns(machine)
        if not (NETNS_DIR / ns).exists():
            _ip("netns", "add", ns)
        veth = f"ve-{machine}"[:15]
        if not _ip_ok("-n", ns, "link", "show", "eth0"):
            _ip(
                "-n",
                self.bridge_netns,
                "link",
                "add",
                veth,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns,
            )
            _ip("-n", self.bridge_netns, "link", "set", veth, "master", BRIDGE, "up")
            _ip("-n", ns, "addr", "add", f"{self.address(machine)}/{self.prefixlen}", "dev", "eth0")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", "eth0", "up")
        return ns

    def destroy(self) -> list[str]:
        """Delete every namespace of this lab (their veths and bridge go with them)."""
        removed = []
        for ns in self.namespaces():
            path = NETNS_DIR / ns
            for _ in range(10):  # a namespace file can carry stacked mounts
                if not _is_mount_point(path):
                    break
                subprocess.run(["umount", "--lazy", str(path)], capture_output=True, check=False)
            path.unlink(missing_ok=True)
            removed.append(ns)
        return removed

    def proxy_command(self, machine: str) -> str:
        """The ssh ProxyCommand that reaches ``machine``'s sshd from the host."""
        return f"ip netns exec {self.netns(machine)} socat - TCP:%h:%p"


def _is_mount_point(path: Path) -> bool:
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        return any(line.split()[4] == str(path) for line in handle)


def _ip_ok(*args: str) -> bool:
    return subprocess.run(["ip", *args], capture_output=True, check=False).returncode == 0


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabNetworkError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
