"""A lab booth of another architecture (arm64, as on a Raspberry Pi) under qemu-user.

:func:`booth_arch` says which architecture a rehearsal's booth gets: arm64 when this
computer is arm64 or runs arm64 programs through binfmt_misc (qemu-user-static,
registered with the ``F`` flag so the interpreter works inside a machine's own root),
else this computer's own, with the reason.

Under qemu-user 7.2 ``clone()`` refuses every namespace flag (``EINVAL``), while
``unshare()`` passes them through. systemd 252 sets up a unit's credentials
(``LoadCredential=``) in a child forked with ``clone(CLONE_NEWNS)``, so exactly those
units fail with 243/CREDENTIALS: systemd-sysctl, systemd-sysusers,
systemd-tmpfiles-setup and systemd-tmpfiles-setup-dev at boot, and the daily
systemd-tmpfiles-clean from its timer, 15 minutes after boot (their credentials are
optional extras nobody sets in the lab). :func:`qemu_user_dropins` clears
``LoadCredential=`` for every unit Debian's packages ship with it
(:func:`units_with_credentials`: the image holds every package the office installs) in a
lab machine under emulation only; the booth's own units, which use
``PrivateTmp=`` and ``ProtectHome=`` (``unshare()``), are unchanged. qemu-user also
refuses seccomp filters, which Debian's chronyd loads (``-F 1``): there it runs with
``-F 0``. And set-uid has no effect through binfmt_misc without the ``C`` flag, so sudo
is a stand-in (:func:`sudo_stand_in`). :func:`adapt_to_qemu_user` does all of it.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path

from provisioning.lab.machine import new_ed25519_key
from provisioning.lab.messages import MSG_NO_ARM64
from provisioning.report import tr

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
ARM64_BINFMT = "qemu-aarch64"
# Debian's own units live here (merged /usr: /lib is a link to /usr/lib).
VENDOR_UNIT_DIR = Path("usr/lib/systemd/system")
# Those that run at every boot; systemd-tmpfiles-clean runs from its timer, later.
UNITS_WITH_CREDENTIALS_AT_BOOT = (
    "systemd-sysctl.service",
    "systemd-sysusers.service",
    "systemd-tmpfiles-setup.service",
    "systemd-tmpfiles-setup-dev.service",
)
_NO_CREDENTIALS = """# rekam-provision lab: under qemu-user, clone(CLONE_NEWNS) fails (EINVAL) and
# systemd cannot set up credentials (243/CREDENTIALS); this unit's are optional extras.
[Service]
LoadCredential=
"""

_SLOW_START = """# rekam-provision lab: an emulated booth (qemu-user) starts its kiosk slowly.
[Service]
TimeoutStartSec=900
"""

# Debian runs chronyd with -F 1 (a seccomp filter); qemu-user refuses PR_SET_SECCOMP
# (EINVAL: a filter would bind qemu itself), so chronyd exits "Failed to load seccomp
# rules". Sorted after the lab's lab-no-clock.conf, this ExecStart= replaces its line.
_CHRONY = """# rekam-provision lab: under qemu-user no seccomp filter can be loaded.
[Service]
ExecStart=
ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x -F 0
"""

# The kernel honours a set-uid bit of a program run through binfmt_misc only with the
# entry's C flag, which Debian's qemu-user-static leaves off ("credentials no"): sudo then
# runs as the caller and refuses ("effective uid is not 0"). Provisioning logs in as pi
# and becomes root with sudo, as on a Pi, so on an emulated lab machine sudo is a
# stand-in that asks the machine's own sshd (root, key from pi's home, from 127.0.0.1
# only) to run the command; pi may become root with sudo here anyway (010-pi-nopasswd).
_SUDO = r"""#!/bin/sh
# rekam-provision lab: sudo under qemu-user, where set-uid has no effect (emulation.py).
user=root
while [ $# -gt 0 ]; do
    case "$1" in
        -H|-S|-n|-E|-k) shift ;;
        -u) user=$2; shift 2 ;;
        -p) shift 2 ;;
        --) shift; break ;;
        -*) echo "lab sudo: option $1 is not supported" >&2; exit 1 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: sudo [-u USER] COMMAND ..." >&2; exit 1; }
command="runuser -u $user --"
for arg in "$@"; do
    command="$command '$(printf '%s' "$arg" | sed "s/'/'\"'\"'/g")'"
done
# One connection kept open for a minute (ControlPersist): under emulation each new SSH
# handshake costs ~1.3 s, and a provisioning run becomes root once per task.
exec ssh -q -T -i "$HOME/.ssh/lab-sudo" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$HOME/.ssh/lab-sudo-known-hosts" -o ControlMaster=auto \
    -o ControlPath="$HOME/.ssh/lab-sudo-%C" -o ControlPersist=60 root@127.0.0.1 "$command"
"""


def sudo_stand_in(root: Path) -> None:
    """``/usr/local/bin/sudo`` for pi through the machine's sshd (lab, qemu-user only)."""
    home, ssh = root / "home" / "pi", root / "home" / "pi" / ".ssh"
    key = ssh / "lab-sudo"
    key.unlink(missing_ok=True)
    new_ed25519_key(key, "lab-sudo")
    host_key = (root / "etc" / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()[:2]
    (ssh / "lab-sudo-known-hosts").write_text(f"127.0.0.1 {' '.join(host_key)}\n")
    for path in (key, Path(f"{key}.pub"), ssh / "lab-sudo-known-hosts"):
        os.chown(path, home.stat().st_uid, home.stat().st_gid)
    authorized = root / "root" / ".ssh" / "authorized_keys"
    public = Path(f"{key}.pub").read_text().strip()
    with authorized.open("a") as handle:
        handle.write(f'from="127.0.0.1",restrict {public}\n')
    sudo = root / "usr" / "local" / "bin" / "sudo"
    sudo.write_text(_SUDO)
    sudo.chmod(0o755)


def arm64_unavailable(binfmt_dir: Path = BINFMT_DIR) -> str | None:
    """Why this computer cannot run an arm64 machine, or None if it can."""
    if platform.machine() == "aarch64":
        return None
    entry = binfmt_dir / ARM64_BINFMT
    if not entry.exists():
        return f"no binfmt_misc entry {entry} (qemu-user-static, binfmt-support)"
    lines = entry.read_text().splitlines()
    if not lines or lines[0] != "enabled":
        return f"{entry} is disabled (update-binfmts --enable {ARM64_BINFMT})"
    flags = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("flags:")), "")
    if "F" not in flags:
        return f"{entry} lacks the F flag: its interpreter cannot run inside a machine's root"
    return None


def booth_arch(
    host: str, say: Callable[[str], None], lang: str, binfmt_dir: Path = BINFMT_DIR
) -> str:
    """``arm64`` if this computer can run it, else ``host``, saying why in one line."""
    reason = arm64_unavailable(binfmt_dir)
    if reason is None:
        return "arm64"
    say(tr(MSG_NO_ARM64, lang, arch=host, reason=reason))
    return host


def adapt_to_qemu_user(root: Path) -> None:
    """What a lab machine under qemu-user needs (after ``Machine.personalise``)."""
    qemu_user_dropins(root)
    sudo_stand_in(root)


def units_with_credentials(root: Path) -> list[str]:
    """The service units Debian's packages in ``root`` ship with ``LoadCredential=``: under
    qemu-user each fails whenever it runs. Aliases (links, such as procps.service) are
    left out: the drop-in goes to the unit they name."""
    found = []
    for unit in sorted((root / VENDOR_UNIT_DIR).glob("*.service")):
        if unit.is_symlink() or not unit.is_file():
            continue
        lines = unit.read_text(errors="replace").splitlines()
        if any(line.strip().startswith("LoadCredential=") for line in lines):
            found.append(unit.name)
    return found


def qemu_user_dropins(root: Path) -> None:
    """Clear ``LoadCredential=`` of the units that fail under qemu-user, and give the kiosk
    longer to show its first screen (emulated, it starts several times slower than on a
    Pi); lab only."""
    system = root / "etc" / "systemd" / "system"
    for unit, text in [
        *((u, _NO_CREDENTIALS) for u in units_with_credentials(root)),
        ("rekam-kiosk.service", _SLOW_START),
        ("chrony.service", _CHRONY),
    ]:
        dropin = system / f"{unit}.d"
        dropin.mkdir(parents=True, exist_ok=True)
        (dropin / "lab-qemu-user.conf").write_text(text)
