"""One lab machine: a Debian root with systemd as PID 1 in its own PID, mount, UTS, IPC,
network and cgroup namespaces.

A small supervisor shell (started in the machine's own cgroup, so ``lab down`` can kill
everything it ever started with one write to ``cgroup.kill``) runs
``nsenter --net=/run/netns/<ns> unshare --pid --mount --uts --ipc``: it *enters* the
network namespace the lab made (``unshare --net=/run/netns/<ns>``, as RECIPES.md has it,
would make a new, empty one and mount it over that file); inside, the machine's
processes move to ``<cgroup>/payload`` and get a cgroup namespace rooted there, the root
is bind-mounted onto itself, gets fresh ``/proc``, a read-only ``/sys``, its own cgroup2
tree, a private ``/dev`` (null, zero, random, a new devpts instance, ``console`` bound to
the machine's ``console.log``, ``loop-control`` and ``loop0``-``loop63`` for loop-mounted
image files; no other host device),
tmpfs ``/run`` and ``/tmp``, and becomes ``/`` by ``pivot_root``. systemd then starts
without the capabilities to load kernel modules, set the host's clock or do raw I/O.
All mounts live in the machine's mount namespace: the host's mount table never changes.

``systemctl reboot`` inside ends the PID namespace with SIGHUP; the supervisor boots the
same root again, so files on it survive a reboot like on a disk.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from provisioning.lab.rootfs import LabError

BOOT_TIMEOUT_SECONDS = 180.0
KILL_TIMEOUT_SECONDS = 20.0
SETTLED_STATES = ("running", "degraded")
MACHINE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# $1 root, $2 cgroup dir, $3 netns name. Reboots (PID 1 killed by SIGHUP -> 129) loop.
_SUPERVISOR = r"""
echo 0 > "$2/cgroup.procs"
mkdir -p "$2/payload"
while :; do
    nsenter --net="/run/netns/$3" unshare --pid --fork --kill-child --mount --uts --ipc \
        /bin/sh -c 'echo 0 > "$2/payload/cgroup.procs" &&
            exec unshare --cgroup /bin/bash -c "$4" boot "$1"' \
        supervise "$1" "$2" "$3" "$BOOT"
    status=$?
    if [ "$status" -ne 129 ]; then  # say why, for "did not finish booting (state stopped)"
        echo "rekam-lab: machine stopped (exit status $status)"; exit "$status"
    fi
    echo "rekam-lab: machine rebooted"
done
"""

_BOOT = r"""
set -e
root=$1
mount --make-rprivate /
mount --bind "$root" "$root"
cd "$root"
mount -t proc proc proc
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 sys/fs/cgroup
mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs dev
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<< "$node"
    mknod -m 666 "dev/$name" c "$major" "$minor"
done
# loop devices, for a data file system on an image file (a booth's data area in the lab):
# loop-control hands out a free one (they are this computer's), mount -o loop opens it
mknod -m 600 dev/loop-control c 10 237
for n in $(seq 0 63); do mknod -m 600 "dev/loop$n" b 7 "$n"; done
mkdir -p dev/pts dev/shm dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts dev/pts
ln -s pts/ptmx dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs dev/shm
ln -s /proc/self/fd dev/fd
touch dev/console
mount --bind /proc/self/fd/1 dev/console  # the console is the machine's console.log
ln -s /proc/self/fd/0 dev/stdin; ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs tmp
mkdir -p .lab-oldroot
pivot_root . .lab-oldroot
cd /
umount --lazy /.lab-oldroot
rmdir /.lab-oldroot
exec /usr/bin/env -i container=rekam-lab PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    /usr/bin/setpriv --bounding-set -sys_module,-sys_time,-sys_rawio \
    /lib/systemd/systemd --system --log-target=console
"""


# Raspberry Pi OS's raspi-config does not exist on Debian. The lab's stand-in answers the
# two overlay commands provisioning uses and records the setting where Pi OS keeps it
# (boot=overlay in cmdline.txt). A lab machine boots no kernel of its
# own, so the overlay never takes effect here: the lab asserts the setting only.
_RASPI_CONFIG = r"""#!/bin/sh
# rekam-provision lab: stand-in for Raspberry Pi OS's raspi-config (overlay setting only).
cmdline=/boot/firmware/cmdline.txt
[ "$1" = nonint ] || { echo "lab raspi-config: only nonint commands" >&2; exit 1; }
case "$2" in
    get_overlay_conf) grep -q "boot=overlay" "$cmdline" 2>/dev/null && echo 0 || echo 1 ;;
    enable_overlayfs)
        mkdir -p /boot/firmware
        grep -q "boot=overlay" "$cmdline" 2>/dev/null ||
            echo "console=tty1 root=LABEL=rootfs rootwait boot=overlay" > "$cmdline" ;;
    *) echo "lab raspi-config: $2 is not supported in the lab" >&2; exit 1 ;;
esac
"""


# A booth's kiosk runs Kivy on the touchscreen (kmsdrm); a lab booth has no screen, so
# Xvfb stands in for it and the kiosk unit is pointed at that display.
_XVFB_UNIT = """[Unit]
Description=Lab stand-in for the booth's touchscreen (Xvfb :0)

[Service]
ExecStart=/usr/bin/Xvfb :0 -screen 0 800x480x24 -nolisten tcp
Restart=always

[Install]
WantedBy=multi-user.target
"""
_KIOSK_DISPLAY = """# rekam-provision lab: the kiosk on the Xvfb stand-in, not the touchscreen.
[Unit]
Wants=lab-touchscreen.service
After=lab-touchscreen.service

[Service]
Environment=DISPLAY=:0
Environment=SDL_VIDEODRIVER=x11
"""

# A lab machine may not set the clock (no CAP_SYS_TIME in its namespaces), and Debian's
# chrony unit is skipped without it: in the lab chronyd runs with -x (serves and tracks
# time, leaves the clock alone), so the edge still serves the booths and they still ask it.
_CHRONY_NO_CLOCK = """# rekam-provision lab: no CAP_SYS_TIME here; chrony serves and tracks, -x.
[Unit]
ConditionCapability=

[Service]
ExecStart=
ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x
"""


def cgroup2_root() -> Path:
    """Where this computer's cgroup2 hierarchy is mounted (pure or hybrid layout)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            after = fields[fields.index("-") + 1 :]
            if after and after[0] == "cgroup2":
                return Path(fields[4])
    raise LabError("no cgroup2 file system is mounted on this computer")


@dataclass
class Machine:
    """One machine of the lab and where its pieces are."""

    name: str
    address: str
    netns: str
    root: Path
    cgroup: Path
    supervisor_pid: int | None = None

    @property
    def console_log(self) -> Path:
        return self.root.parent / "console.log"

    # -- set-up ---------------------------------------------------------------

    def personalise(self, hosts: dict[str, str], authorized_key: str) -> str:
        """Hostname, /etc/hosts, a fresh host key and machine id, the technician's key for
        root and pi, the Pi stand-ins (raspi-config; Xvfb for a booth's touchscreen).
        Returns the host key as a known_hosts key part ("ssh-ed25519 AAAA...")."""
        etc = self.root / "etc"
        (etc / "hostname").write_text(f"{self.name}\n")
        lines = ["127.0.0.1 localhost", f"127.0.1.1 {self.name}"]
        lines += [f"{address} {name}" for name, address in sorted(hosts.items())]
        (etc / "hosts").write_text("\n".join(lines) + "\n")
        (etc / "machine-id").write_text(uuid.uuid4().hex + "\n")
        if self.name.startswith("booth"):
            self._stand_in_touchscreen()
        chrony = etc / "systemd" / "system" / "chrony.service.d"
        chrony.mkdir(parents=True, exist_ok=True)
        (chrony / "lab-no-clock.conf").write_text(_CHRONY_NO_CLOCK)
        raspi_config = self.root / "usr" / "local" / "bin" / "raspi-config"
        raspi_config.write_text(_RASPI_CONFIG)
        raspi_config.chmod(0o755)
        key = etc / "ssh" / "ssh_host_ed25519_key"
        if not key.exists():
            new_ed25519_key(key, f"root@{self.name}")
        for home, owner in ((self.root / "root", (0, 0)), (self.root / "home" / "pi", None)):
            ssh = home / ".ssh"
            ssh.mkdir(mode=0o700, exist_ok=True)
            (ssh / "authorized_keys").write_text(authorized_key.strip() + "\n")
            uid_gid = owner or (home.stat().st_uid, home.stat().st_gid)
            for path in (ssh, ssh / "authorized_keys"):
                os.chown(path, *uid_gid)
        return " ".join(Path(f"{key}.pub").read_text().split()[:2])

    def _stand_in_touchscreen(self) -> None:
        systemd = self.root / "etc" / "systemd" / "system"
        (systemd / "lab-touchscreen.service").write_text(_XVFB_UNIT)
        wants = systemd / "multi-user.target.wants"
        wants.mkdir(exist_ok=True)
        link = wants / "lab-touchscreen.service"
        if not link.is_symlink():
            link.symlink_to("/etc/systemd/system/lab-touchscreen.service")
        dropin = systemd / "rekam-kiosk.service.d"
        dropin.mkdir(exist_ok=True)
        (dropin / "lab-display.conf").write_text(_KIOSK_DISPLAY)

    def boot(self) -> int:
        """Start the supervisor (and so systemd); returns the supervisor's host pid."""
        self.cgroup.mkdir(parents=True, exist_ok=True)
        log = self.console_log.open("ab")
        try:
            process = subprocess.Popen(
                [
                    "/bin/sh",
                    "-c",
                    _SUPERVISOR,
                    "supervisor",
                    str(self.root),
                    str(self.cgroup),
                    self.netns,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "BOOT": _BOOT},
            )
        finally:
            log.close()
        self.supervisor_pid = process.pid
        return process.pid

    # -- looking inside -------------------------------------------------------

    def pid1(self) -> int | None:
        """Host pid of the machine's PID 1 (systemd once booted), or None."""
        for pid in _pids_in(self.cgroup / "payload"):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("NSpid:") and line.split()[-1] == "1" and len(line.split()) > 2:
                    return pid
        return None

    def run(
        self, argv: list[str], *, timeout: float = 60.0, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the machine (all its namespaces, its root)."""
        return subprocess.run(
            self.nsenter(argv), capture_output=True, text=True, timeout=timeout, check=check
        )

    def nsenter(self, argv: list[str]) -> list[str]:
        pid = self.pid1()
        if pid is None:
            raise LabError(f"{self.name} is not running")
        return [
            "nsenter",
            f"--target={pid}",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--pid",
            "--cgroup",
            "--root",
            "--wd",
            "--",
            "/usr/bin/env",
            "-i",
            f"PATH={MACHINE_PATH}",
            "TERM=" + os.environ.get("TERM", "xterm"),
            "HOME=/root",
            *argv,
        ]

    def system_state(self) -> str:
        """``systemctl is-system-running``, or ``stopped`` / ``booting``."""
        if self.pid1() is None:
            return "stopped" if not self.alive() else "booting"
        try:
            done = self.run(["systemctl", "is-system-running"], timeout=15)
        except (LabError, subprocess.TimeoutExpired):
            return "booting"
        return done.stdout.strip() or "booting"

    def unit_active(self, unit: str) -> bool:
        return self.run(["systemctl", "is-active", unit]).stdout.strip() == "active"

    def alive(self) -> bool:
        return bool(_pids_in(self.cgroup))

    def wait_settled(self, timeout: float = BOOT_TIMEOUT_SECONDS) -> str:
        """Wait until systemd says running/degraded and sshd is active; return the state."""
        deadline = time.monotonic() + timeout
        state = "booting"
        while time.monotonic() < deadline:
            state = self.system_state()
            if state in SETTLED_STATES and self.unit_active("ssh.service"):
                return state
            if state == "stopped":
                break
            time.sleep(0.5)
        tail = "\n".join(self.console_log.read_text(errors="replace").splitlines()[-20:])
        raise LabError(f"{self.name} did not finish booting (state {state}); console:\n{tail}")

    # -- tear-down ------------------------------------------------------------

    def kill(self) -> None:
        """Kill every process the machine ever started and remove its cgroups."""
        if not self.cgroup.exists():
            return
        deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
        kill_file = self.cgroup / "cgroup.kill"
        while _pids_in(self.cgroup) and time.monotonic() < deadline:
            if kill_file.exists():
                kill_file.write_text("1")
            else:
                for pid in _pids_in(self.cgroup):
                    _signal(pid, signal.SIGKILL)
            time.sleep(0.1)
        for directory in _cgroups_below(self.cgroup, deepest_first=True):
            _rmdir(directory)
        if self.cgroup.exists():
            raise LabError(f"{self.name}: processes survive in {self.cgroup}")


def _cgroups_below(cgroup: Path, *, deepest_first: bool = False) -> list[Path]:
    """``cgroup`` and every cgroup under it. The machine's systemd makes and removes its
    units' cgroups as they start and stop, so one can vanish while this walks: it is
    skipped (``os.walk`` ignores a directory it can no longer list; ``Path.rglob`` raised
    FileNotFoundError, which once failed a ``lab up`` waiting for systemd)."""
    found = [Path(directory) for directory, _dirs, _files in os.walk(cgroup)]
    return found[::-1] if deepest_first else found


def _pids_in(cgroup: Path) -> list[int]:
    """Every pid in ``cgroup`` and below it."""
    pids: list[int] = []
    for directory in _cgroups_below(cgroup):
        try:
            pids += [int(p) for p in (directory / "cgroup.procs").read_text().split()]
        except OSError:
            continue
    return pids


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _rmdir(path: Path) -> None:
    for _attempt in range(3):  # a cgroup empties a moment after its last process died
        try:
            path.rmdir()
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.2)
        else:
            return


def new_ed25519_key(path: Path, comment: str) -> None:
    """``ssh-keygen`` an Ed25519 key pair without passphrase at ``path`` (and ``.pub``)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True
    )
