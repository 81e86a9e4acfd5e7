"""aarch64 wheels for an arm64 lab booth: the same versions as the host's wheelhouse.

Lab machines have no route out, so a booth installs only from the wheelhouse the
rehearsal copies in. For an arm64 booth, each binary wheel of the host's (x86) wheelhouse
gets its aarch64 twin at the same version:

- a wheel pip downloaded (a manylinux tag): ``pip download --platform manylinux_*_aarch64``
  on this computer, natively and fast;
- a wheel pip built here from an sdist (a plain ``linux_x86_64`` tag: pyscard, python-prctl,
  pidng): ``pip wheel`` inside the booth's arm64 root under qemu-user, with the compiler and
  headers the booth's packages bring, as it would build on a Pi.

The aarch64 wheels are cached under ``CACHE/arm64-wheels-<digest of the host's binary
wheel names>``: the emulated builds run once per set of dependency versions. Pure-Python
wheels (the project's own among them) are the same on both and come from the host.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from provisioning.lab.arm64_root import chroot, host_files, pip_env
from provisioning.lab.rootfs import LabError, host_arch, unmount_below, unpack_rootfs

ARM64_WHEELS_VERSION = 1
GLIBC_MINORS = (36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 17)  # bookworm: 2.36
PYTHON_VERSION = "3.11"  # Debian bookworm's, as on Raspberry Pi OS
BUILD_DIR = "/root/rekam-lab-wheels"


def is_pure(wheel: str) -> bool:
    return wheel.endswith("-none-any.whl")


def pin(wheel: str) -> str:
    """``name==version`` from a wheel's file name."""
    name, version = wheel.split("-")[:2]
    return f"{name}=={version}"


def arm64_wheels(
    host_wheels: Path, cache_dir: Path, booth_image: Path, say: Callable[[str], None]
) -> Path:
    """The directory of aarch64 twins of the binary wheels in ``host_wheels`` (cached)."""
    binary = sorted(p.name for p in host_wheels.glob("*.whl") if not is_pure(p.name))
    digest = hashlib.sha256(f"{ARM64_WHEELS_VERSION}\n{PYTHON_VERSION}\n".encode())
    digest.update("\n".join(binary).encode())
    target = cache_dir / f"arm64-wheels-{digest.hexdigest()[:12]}"
    if target.is_dir():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    built = [pin(w) for w in binary if w.endswith("-linux_x86_64.whl")]
    downloaded = [pin(w) for w in binary if not w.endswith("-linux_x86_64.whl")]
    say(
        f"aarch64 wheels: {len(downloaded)} downloaded, {len(built)} built under qemu-user "
        f"({', '.join(built) or '-'}; once per dependency set)"
    )
    if downloaded:
        _download(downloaded, partial)
    if built:
        _build(built, partial, booth_image)
    os.replace(partial, target)
    for stale in cache_dir.glob("arm64-wheels-*"):
        if stale != target and not stale.name.endswith(".partial"):
            shutil.rmtree(stale, ignore_errors=True)
    return target


def _download(pins: list[str], into: Path) -> None:
    platforms = [f"manylinux_2_{minor}_aarch64" for minor in GLIBC_MINORS]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            *[arg for p in platforms for arg in ("--platform", p)],
            "--python-version",
            PYTHON_VERSION,
            "--implementation",
            "cp",
            "-d",
            str(into),
            *pins,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise LabError(f"downloading aarch64 wheels failed: {done.stderr.strip()[-800:]}")


def _build(pins: list[str], into: Path, booth_image: Path) -> None:
    """``pip wheel`` in a throwaway copy of the booth's arm64 root (qemu-user)."""
    with tempfile.TemporaryDirectory(prefix="rekam-arm64-wheels-") as work:
        root = Path(work) / "root"
        try:
            unpack_rootfs(booth_image, root)
            host_files(root)  # resolver, CA bundle, pip configuration: pip reaches PyPI
            chroot(
                root,
                [
                    "sh",
                    "-c",
                    f"python3 -m venv {BUILD_DIR}/venv && {BUILD_DIR}/venv/bin/pip "
                    "wheel --quiet --use-pep517 --no-deps "  # python-prctl: setup.py only
                    f"--wheel-dir {BUILD_DIR}/out " + " ".join(pins),
                ],
                "building aarch64 wheels (pip wheel)",
                env=pip_env(root),
            )
            for wheel in (root / BUILD_DIR.lstrip("/") / "out").glob("*.whl"):
                if not wheel.name.endswith("_aarch64.whl") and not is_pure(wheel.name):
                    raise LabError(f"{wheel.name} is not an aarch64 wheel")
                shutil.copy2(wheel, into / wheel.name)
        finally:
            unmount_below(root)


def wheels_for(
    arch: str, host_wheels: Path, image: Path, cache_dir: Path, say: Callable[[str], None]
) -> list[Path]:
    """The wheels a machine of ``arch`` installs from (built from ``image`` if need be)."""
    wheels = sorted(host_wheels.glob("*.whl"))
    if arch == host_arch():
        return wheels
    if arch != "arm64":
        raise LabError(f"the lab makes wheels for arm64 and {host_arch()} only, not {arch}")
    twins = arm64_wheels(host_wheels, cache_dir, image, say)
    return [w for w in wheels if is_pure(w.name)] + sorted(twins.glob("*.whl"))
