"""``rekam-provision lab arm64-check``: the booth installed and recording on arm64.

An arm64 Debian bookworm root (the lab's :mod:`provisioning.lab.rootfs`, minimal, the
way a Raspberry Pi OS Lite starts) runs under qemu-user through binfmt_misc. The project
(``git ls-files``) is copied to ``/opt/rekam`` and ``./setup.sh --role booth --emulated``
runs there as a technician runs it on a Pi (chroot, with the host's resolver, CA bundle and pip
configuration so apt and pip reach the registries). Then, on emulated devices, one
scripted resident is recorded by ``rekam-kiosk --headless --script`` (a real pcscd with
the vpcd reader runs inside the root) and ``rekam-hw selftest --emulated`` runs. Last,
the root boots with systemd as PID 1 like a lab machine (:mod:`provisioning.lab.arm64_boot`).

Two tarballs are cached: the debootstrapped root (cache key: the lab's spec digest) and
the root after ``setup.sh --role booth --emulated`` (key: that digest plus ``setup.sh`` and
``pyproject.toml``), so a warm run copies the current sources onto the installed root,
runs ``setup.sh`` again (it must find everything installed) and records.

Every command in the root runs in its own mount and PID namespaces (``unshare``): the
host's mount table is never touched and everything started inside ends with the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ektp.kk import build_kk
from ektp.nik import Sex, build_nik
from ektp.pki import OfficeCA
from provisioning.lab.arm64_boot import BootOutcome, try_boot
from provisioning.lab.arm64_root import (
    INSTALL_NOTES,
    PROJECT,
    base_spec,
    chroot,
    copy_project,
    ensure_binfmt,
    install_root,
    installed_tarball,
    run_setup,
)
from provisioning.lab.rootfs import LabError, build_rootfs, default_cache_dir, unpack_rootfs

CHECK_DIR = "/root/rekam-check"
DISTRICT = "640306"  # Gunung Tabur, Kabupaten Berau


@dataclass
class Arm64Report:
    """What the check found; printed as a table or one JSON object."""

    machine: str = ""
    packet_ids: list[str] = field(default_factory=list)
    selftest: list[dict[str, object]] = field(default_factory=list)
    pcscd: str = ""
    systemd: BootOutcome | None = None
    built_from_source: list[dict[str, object]] = field(default_factory=list)
    install_seconds: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    root: str | None = None
    central_key: str | None = None


def run_arm64_check(
    project: Path,
    cache_dir: Path,
    *,
    keep: bool = False,
    boot: bool = True,
    progress: Callable[[str], None] = print,
) -> Arm64Report:
    """Install and record on arm64; raises :class:`LabError` naming the failed step."""
    report = Arm64Report()
    ensure_binfmt()
    cache = cache_dir / "arm64-booth"  # its own directory: rootfs prunes other images per arch
    started = time.monotonic()
    base = build_rootfs(base_spec(), cache, progress=progress)
    installed = installed_tarball(cache, project)
    if not installed.exists():
        install_root(base, installed, project, progress)
    report.seconds["root_ready"] = round(time.monotonic() - started, 1)
    work = Path(tempfile.mkdtemp(prefix="rekam-arm64-"))
    root = work / "root"
    try:
        progress(f"unpacking the installed arm64 root into {root}")
        unpack_rootfs(installed, root)
        copy_project(project, root)
        report.machine = chroot(root, ["uname", "-m"], "uname -m").stdout.strip()
        _timed(report, "setup_again", lambda: run_setup(root, progress))
        notes = json.loads((root / INSTALL_NOTES.lstrip("/")).read_text())
        report.install_seconds = notes["seconds"]
        report.built_from_source = notes["built_from_source"]
        central_key = _write_booth(root, work)
        _timed(report, "enrollment", lambda: _enroll(root, report, progress))
        _timed(report, "selftest", lambda: _selftest(root, report, progress))
        if boot:
            _timed(report, "boot", lambda: setattr(report, "systemd", try_boot(root, progress)))
        report.seconds["total"] = round(time.monotonic() - started, 1)
        if keep:
            report.root, report.central_key = str(root), str(central_key)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _timed(report: Arm64Report, name: str, step: Callable[[], object]) -> None:
    started = time.monotonic()
    step()
    report.seconds[name] = round(time.monotonic() - started, 1)


# -- recording on the arm64 root --------------------------------------------------------


def _write_booth(root: Path, work: Path) -> Path:
    """Booth config, a script of one resident, central's key and the office CA."""
    check = root / CHECK_DIR.lstrip("/")
    check.mkdir(parents=True, exist_ok=True)
    central = X25519PrivateKey.generate()
    central_key = work / "central-x25519.pem"  # outside the root: central's, not the booth's
    central_key.write_bytes(
        central.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    central_key.chmod(0o600)
    (check / "central.pem").write_bytes(
        central.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    office_ca = OfficeCA.create(check / "office-ca", "Kecamatan Gunung Tabur")
    inside = f"{CHECK_DIR}/office-ca"
    (check / "booth.toml").write_text(
        'booth_id = "booth-arm64"\n'
        f'data_dir = "{CHECK_DIR}/data"\n'
        f'central_public_key_path = "{CHECK_DIR}/central.pem"\n'
        "[operator_cards]\n"
        f'issuer_cert_path = "{inside}/{office_ca.cert_path.name}"\n'
        f'crl_path = "{inside}/{office_ca.crl_path.name}"\n'
        '[hardware.fingerprint]\nbackend = "emulated"\nspeed = 20.0\n'
        f'[hardware.smartcard]\nbackend = "emulated"\noperator_card_issuer_dir = "{inside}"\n'
        '[hardware.camera]\nbackend = "emulated"\nfps = 30\n'
    )
    nik = build_nik(DISTRICT, dt.date(1990, 2, 14), Sex.FEMALE, 1)
    kk = build_kk(DISTRICT, dt.date(2015, 3, 12), 3)
    (check / "session.toml").write_text(
        '[operator]\noperator_id = "OP-0007"\nname = "Siti Rahma"\npin = "135790"\n'
        f'[[residents]]\nnik = "{nik}"\nkk = "{kk}"\nname = "Ani Lestari"\n'
    )
    return central_key


def _enroll(root: Path, report: Arm64Report, say: Callable[[str], None]) -> None:
    say("rekam-kiosk --headless --script (emulated devices, pcscd + vpcd inside the root)")
    done = chroot(
        root,
        [
            f"{PROJECT}/.venv/bin/rekam-kiosk",
            "--config",
            f"{CHECK_DIR}/booth.toml",
            "--headless",
            "--script",
            f"{CHECK_DIR}/session.toml",
        ],
        "the headless enrollment",
    )
    outcome = json.loads(done.stdout[done.stdout.index("{") :])
    report.packet_ids = [r["packet_id"] for r in outcome["residents"]]
    started = re.search(r"Started pcscd \(pid \d+\) with a vpcd reader", done.stderr)
    report.pcscd = (
        "an aarch64 pcscd (qemu-user) with the vpcd reader, started by the kiosk in the root"
        if started
        else "the kiosk reused a pcscd it found: " + done.stderr[-300:]
    )


def _selftest(root: Path, report: Arm64Report, say: Callable[[str], None]) -> None:
    say("rekam-hw selftest --emulated")
    done = chroot(
        root,
        [f"{PROJECT}/.venv/bin/rekam-hw", "selftest", "--emulated", "--json", "--timeout", "120"],
        "rekam-hw selftest --emulated",
    )
    report.selftest = json.loads(done.stdout[done.stdout.index("[") :])


def report_lines(report: Arm64Report) -> list[str]:
    """The human summary: uname -m, the packet id, the devices, what was built, timings."""
    lines = [report.machine, f"sealed packet: {', '.join(report.packet_ids) or '-'}"]
    lines += [f"selftest: {json.dumps(d, ensure_ascii=False)}" for d in report.selftest]
    lines.append(f"pcscd: {report.pcscd}")
    if report.systemd is not None:
        boot = report.systemd
        lines.append(
            f"systemd as PID 1 (qemu-user): {boot.state}; failed units: "
            f"{', '.join(boot.failed_units) or 'none'}"
        )
        if boot.kiosk_unit:
            lines.append(f"rekam-kiosk.service: {boot.kiosk_unit}")
        if boot.packet_id:
            lines.append(f"sealed packet under systemd (systemd-run): {boot.packet_id}")
    lines += [
        f"built from source: {b['name']} ({b['how']}, {b['seconds']} s)"
        for b in report.built_from_source
    ]
    if report.install_seconds is not None:
        cold = report.install_seconds
        lines.append(f"setup.sh --role booth --emulated on arm64 (cold): {cold} s")
    lines.append("seconds: " + json.dumps(report.seconds))
    if report.root:
        lines.append(f"kept: {report.root}")
    return lines


def report_json(report: Arm64Report) -> str:
    return json.dumps(asdict(report))


def add_arm64_parser(cmds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``lab arm64-check``'s sub-parser."""
    check = cmds.add_parser(
        "arm64-check",
        help="install the booth in an arm64 Debian root (qemu-user) and record one resident",
        description="An arm64 Debian bookworm root under qemu-user (built once, cached), "
        "./setup.sh --role booth --emulated inside it as on a Raspberry Pi, a scripted enrollment "
        "on emulated devices and rekam-hw selftest --emulated; prints uname -m and the "
        "sealed packet's id. Needs root, qemu-user-static and binfmt-support (./setup.sh).",
    )
    check.add_argument("--json", action="store_true", help="last line: a JSON summary")
    check.add_argument("--keep", action="store_true", help="keep the arm64 root afterwards")
    check.add_argument("--cache", type=Path, help="root file system cache directory")
    check.add_argument("--no-boot", action="store_true", help="skip the systemd boot attempt")


def run_arm64_command(args: argparse.Namespace) -> int:
    project = Path(__file__).resolve().parents[2]
    try:
        report = run_arm64_check(
            project, args.cache or default_cache_dir(), keep=args.keep, boot=not args.no_boot
        )
    except LabError as err:
        print(f"rekam-provision lab arm64-check: {err}", file=sys.stderr)
        return 1
    print("\n".join(report_lines(report)))
    if args.json:
        print(report_json(report))
    return 0 if report.machine == "aarch64" and report.packet_ids else 1
