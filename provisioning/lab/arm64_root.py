"""The arm64 root for ``lab arm64-check``: qemu-user, the cached roots, running inside.

The debootstrapped root comes from :mod:`provisioning.lab.rootfs` (minimal, the way a
Raspberry Pi OS Lite starts) and is cached in its own directory. The root after
``./setup.sh --role booth --emulated`` is cached next to it under a key of the base
root's digest, ``setup.sh`` and ``pyproject.toml``. Every command inside runs in its own
mount and PID namespaces (``unshare``): the host's mount table never changes and
everything started inside ends with the command.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from provisioning.lab.rootfs import LabError, RootfsSpec, debian_mirror, unpack_rootfs

INSTALL_VERSION = 1
ARM64_PACKAGES = (  # what Raspberry Pi OS Lite already has that setup.sh relies on
    "systemd",
    "dbus",
    "python3",
    "python3-venv",
    "sudo",
    "ca-certificates",
    "procps",
    "iproute2",
    "util-linux",
)
# The check records on emulated devices: setup.sh's --emulated adds what they need (the
# vpcd reader driver, upsd for dummy-ups, scikit-image for the camera's scenes).
SETUP_COMMAND = "./setup.sh --role booth --emulated"
PROJECT = "/opt/rekam"
INSTALL_NOTES = "/var/lib/rekam-check/install.json"
PIP_LOG = "/var/log/rekam-check-pip.log"
STEP_TIMEOUT_SECONDS = 3600.0
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# $1 the root, then the command. Fresh /proc, read-only /sys, a private /dev with the
# basic nodes, tmpfs /run and /tmp, then chroot; all inside the caller's new namespaces.
_ENTER = r"""
set -e
root=$1; shift
mount --make-rprivate /
mount -t proc proc "$root/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t tmpfs -o mode=755,nosuid,size=8m tmpfs "$root/dev"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<< "$node"
    mknod -m 666 "$root/dev/$name" c "$major" "$minor"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
exec chroot "$root" "$@"
"""


def ensure_binfmt() -> None:
    """binfmt_misc mounted and qemu-aarch64 registered and enabled (RECIPES.md)."""
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        _host(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)], "mounting binfmt_misc")
    if shutil.which("update-binfmts") is None or not Path("/usr/bin/qemu-aarch64-static").exists():
        raise LabError("qemu-user-static and binfmt-support are not installed (./setup.sh)")
    entry = binfmt / "qemu-aarch64"
    if not entry.exists() or not entry.read_text().startswith("enabled"):
        _host(["update-binfmts", "--enable", "qemu-aarch64"], "enabling qemu-aarch64")


def base_spec() -> RootfsSpec:
    return RootfsSpec(arch="arm64", mirror=debian_mirror(), packages=ARM64_PACKAGES)


def installed_tarball(cache_dir: Path, project: Path) -> Path:
    """Where the root after :data:`SETUP_COMMAND` is cached for these sources."""
    digest = hashlib.sha256(base_spec().digest.encode())
    for name in ("setup.sh", "pyproject.toml"):
        digest.update((project / name).read_bytes())
    digest.update(f"{INSTALL_VERSION} {SETUP_COMMAND}".encode())
    return cache_dir / f"rekam-arm64-booth-{digest.hexdigest()[:12]}.tar.zst"


# -- the installed root (cold path) ---------------------------------------------------


def install_root(base: Path, tarball: Path, project: Path, say: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="rekam-arm64-install-") as work:
        root = Path(work) / "root"
        unpack_rootfs(base, root)
        copy_project(project, root)
        host_files(root)
        say(f"{SETUP_COMMAND} inside the arm64 root (emulated: many minutes, once)")
        started = time.monotonic()
        run_setup(root, say, env={"PIP_LOG": PIP_LOG})
        seconds = round(time.monotonic() - started, 1)
        notes = {"seconds": seconds, "built_from_source": _built_from_source(root)}
        path = root / INSTALL_NOTES.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notes, indent=1))
        say(f"caching the installed root as {tarball}")
        partial = tarball.with_name(tarball.name + ".partial")
        _host(
            [
                "tar",
                "--numeric-owner",
                "--xattrs",
                "--zstd",
                "-cf",
                str(partial),
                "-C",
                str(root),
                ".",
            ],
            "packing the installed root",
        )
        os.replace(partial, tarball)
    for stale in tarball.parent.glob("rekam-arm64-booth-*.tar.zst"):
        if stale != tarball:
            stale.unlink()


def host_files(root: Path) -> None:
    """The host's resolver, CA bundle and pip configuration, so apt and pip get out."""
    resolv = root / "etc" / "resolv.conf"
    resolv.unlink(missing_ok=True)
    resolv.write_bytes(Path("/etc/resolv.conf").read_bytes())
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if bundle.exists():  # PIP_CERT points here: apt's ca-certificates trigger keeps it
        (root / "etc" / "rekam-check-ca.crt").write_bytes(bundle.read_bytes())
    for conf in (Path("/etc/pip.conf"), Path("/etc/xdg/pip")):
        if conf.is_file():
            shutil.copy2(conf, root / conf.relative_to("/"))
        elif conf.is_dir():
            shutil.copytree(conf, root / conf.relative_to("/"), dirs_exist_ok=True)


def copy_project(project: Path, root: Path) -> None:
    """The repository's tracked files at /opt/rekam (an existing .venv stays)."""
    target = root / PROJECT.lstrip("/")
    if target.exists():
        for child in target.iterdir():
            if child.name == ".venv":
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    target.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(
        ["git", "-C", str(project), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = project / os.fsdecode(name)
        if source.is_file():
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def run_setup(root: Path, say: Callable[[str], None], env: dict[str, str] | None = None) -> None:
    """:data:`SETUP_COMMAND` in /opt/rekam, as on a Pi; its "setup:" lines go to say."""
    done = chroot(
        root,
        ["sh", "-c", f"cd {PROJECT} && {SETUP_COMMAND}"],
        SETUP_COMMAND,
        env={**pip_env(root), **(env or {})},
    )
    for line in (done.stdout + done.stderr).splitlines():
        if line.startswith("setup:"):
            say(f"  arm64 {line}")


def pip_env(root: Path) -> dict[str, str]:
    """pip inside trusts the host's CA bundle and keeps the host's index and timeout."""
    env = (
        {"PIP_CERT": "/etc/rekam-check-ca.crt"}
        if (root / "etc/rekam-check-ca.crt").exists()
        else {}
    )
    for name in ("PIP_DEFAULT_TIMEOUT", "PIP_INDEX_URL"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


_WHEEL_BUILD = re.compile(
    r"^(\S+) +Building wheel for (\S+) \(.*\): (started|finished with status '(\w+)')"
)


def _built_from_source(root: Path) -> list[dict[str, object]]:
    """Every distribution pip built from an sdist, how, and for how long (from pip's log)."""
    log = root / PIP_LOG.lstrip("/")
    started: dict[str, dt.datetime] = {}
    built: list[dict[str, object]] = []
    text = log.read_text(errors="replace") if log.exists() else ""
    for line in text.splitlines():
        match = _WHEEL_BUILD.match(line)
        if match is None:
            continue
        when = dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S,%f")
        name = match.group(2)
        if match.group(3) == "started":
            started[name] = when
        elif name in started:
            built.append(
                {
                    "name": name,
                    "seconds": round((when - started[name]).total_seconds(), 1),
                    "status": match.group(4),
                }
            )
    venv = root / PROJECT.lstrip("/") / ".venv" / "lib"
    for entry in built:  # how: the wheel's platform tag (linux_aarch64: compiled here)
        wheels = list(
            venv.glob(
                f"python3*/site-packages/{str(entry['name']).replace('-', '_')}-*.dist-info/WHEEL"
            )
        )
        tags = [
            ln.split(":", 1)[1].strip()
            for w in wheels
            for ln in w.read_text().splitlines()
            if ln.startswith("Tag:")
        ]
        entry["tags"] = tags
        entry["how"] = (
            "compiled (C/C++/swig) for aarch64"
            if any(t.endswith("linux_aarch64") for t in tags)
            else "pure Python sdist"
        )
    return built


# -- running things ------------------------------------------------------------------


def chroot(
    root: Path, argv: list[str], step: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside the root (own mount and PID namespaces); fails with the step."""
    environment = {"PATH": ROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8", **(env or {})}
    command = [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "/bin/bash",
        "-c",
        _ENTER,
        "enter",
        str(root),
        "/usr/bin/env",
        "-i",
        *[f"{k}={v}" for k, v in environment.items()],
        *argv,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=STEP_TIMEOUT_SECONDS
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise LabError(f"{step} failed on arm64 (exit {done.returncode}):\n" + "\n".join(tail))
    return done


def _host(argv: list[str], step: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise LabError(f"{step} failed: {(done.stderr or done.stdout).strip()[-300:]}")
