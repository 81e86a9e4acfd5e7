"""Booting the arm64 root with systemd as PID 1 under qemu-user, the lab's way.

The root boots as a lab machine (:class:`provisioning.lab.machine.Machine`: own PID,
mount, UTS, IPC, network and cgroup namespaces) in a network namespace of its own with
only loopback. If systemd settles, the booth's kiosk unit is started and what systemd
says about it is reported (the touchscreen unit wants a VT, ``TTYPath=/dev/tty1``, and
KMS, which no lab machine has), then the scripted enrollment runs as a transient service
with the system's socket-activated pcscd and Debian's vpcd reader.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from provisioning.lab.machine import SETTLED_STATES, Machine, cgroup2_root
from provisioning.lab.rootfs import LabError

BOOT_SECONDS = 240.0
UNIT_SECONDS = 60.0
HEADLESS_SECONDS = 900.0
KIOSK_UNIT = "rekam-kiosk.service"


@dataclass
class BootOutcome:
    """What systemd as PID 1 did under qemu-user."""

    state: str
    failed_units: list[str] = field(default_factory=list)
    kiosk_unit: str = ""
    packet_id: str = ""


def try_boot(root: Path, say: Callable[[str], None] = print) -> BootOutcome:
    """Boot ``root`` with systemd, try the kiosk unit, record under systemd, stop."""
    netns = f"rekam-arm64-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True, capture_output=True, timeout=30)
    machine = Machine("booth-arm64", "", netns, root, cgroup2_root() / netns)
    say(f"booting the arm64 root with systemd as PID 1 (console: {machine.console_log})")
    try:
        _prepare_kiosk_unit(root)
        machine.boot()
        outcome = BootOutcome(state=_wait(machine))
        if outcome.state not in SETTLED_STATES:
            tail = machine.console_log.read_text(errors="replace").strip().splitlines()[-3:]
            outcome.state += f" after {BOOT_SECONDS:g} s: " + " | ".join(tail)
            return outcome
        failed = machine.run(["systemctl", "--failed", "--plain", "--no-legend"], timeout=120)
        outcome.failed_units = [line.split()[0] for line in failed.stdout.splitlines() if line]
        for unit in outcome.failed_units:
            result = machine.run(["systemctl", "show", unit, "-p", "ExecMainStatus", "--value"])
            outcome.failed_units[outcome.failed_units.index(unit)] += (
                f" (exit {result.stdout.strip()})"
            )
        outcome.kiosk_unit = _kiosk_unit(machine)
        say("rekam-kiosk --headless --script as a systemd service (systemd-run), pcscd by socket")
        outcome.packet_id = _headless_under_systemd(machine)
        return outcome
    finally:
        # The supervisor joins the machine's cgroup as its first act: killed before that,
        # nothing of the machine exists yet; after it, cgroup.kill ends everything.
        if machine.supervisor_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(machine.supervisor_pid, signal.SIGKILL)
        with contextlib.suppress(LabError):
            machine.kill()
        subprocess.run(
            ["ip", "netns", "delete", netns], check=False, capture_output=True, timeout=30
        )


def _wait(machine: Machine) -> str:
    started = time.monotonic()
    state = "booting"
    while time.monotonic() < started + BOOT_SECONDS:
        state = machine.system_state()
        # "stopped" until the supervisor has joined its cgroup: final only after a while
        if state in SETTLED_STATES or (state == "stopped" and time.monotonic() > started + 15):
            return state
        time.sleep(1.0)
    return state


def _prepare_kiosk_unit(root: Path) -> None:
    """The unit as the README installs it on a booth: account, config path, enabled."""
    unit = root / "opt" / "rekam" / "kiosk" / "systemd" / KIOSK_UNIT
    (root / "etc" / "systemd" / "system" / KIOSK_UNIT).write_bytes(unit.read_bytes())
    (root / "var" / "lib" / "rekam").mkdir(parents=True, exist_ok=True)
    config = root / "etc" / "rekam" / "booth.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes((root / "root" / "rekam-check" / "booth.toml").read_bytes())


def _kiosk_unit(machine: Machine) -> str:
    """Start the touchscreen unit; what systemd says about it."""
    machine.run(
        [
            "sh",
            "-c",
            "getent passwd rekam >/dev/null || useradd --system "
            "--create-home --groups video,render,input,dialout,gpio rekam",
        ],
        timeout=120,
    )
    machine.run(["systemctl", "daemon-reload"], timeout=120)
    machine.run(["systemctl", "start", "--no-block", KIOSK_UNIT], timeout=120)
    deadline = time.monotonic() + UNIT_SECONDS
    shown: dict[str, str] = {}
    while time.monotonic() < deadline:  # up (READY=1), or its first exit (Restart=always)
        show = machine.run(
            [
                "systemctl",
                "show",
                KIOSK_UNIT,
                "-p",
                "ActiveState",
                "-p",
                "Result",
                "-p",
                "ExecMainStatus",
            ],
            timeout=60,
        ).stdout
        shown = dict(line.split("=", 1) for line in show.splitlines() if "=" in line)
        if shown.get("ActiveState") == "active" or shown.get("Result", "success") != "success":
            break
        time.sleep(1.0)
    machine.run(["systemctl", "stop", KIOSK_UNIT], timeout=120)
    if shown.get("ActiveState") == "active":
        return "active"
    return f"failed (Result={shown.get('Result')}, ExecMainStatus={shown.get('ExecMainStatus')})"


def _headless_under_systemd(machine: Machine) -> str:
    """The scripted enrollment as a transient service; the sealed packet's id."""
    done = machine.run(
        [
            "systemd-run",
            "--wait",
            "--pipe",
            "--quiet",
            "--unit=rekam-kiosk-headless",
            "/opt/rekam/.venv/bin/rekam-kiosk",
            "--config",
            "/etc/rekam/booth.toml",
            "--headless",
            "--script",
            "/root/rekam-check/session.toml",
        ],
        timeout=HEADLESS_SECONDS,
    )
    if done.returncode != 0:
        raise LabError("the headless enrollment under systemd failed:\n" + done.stderr[-1500:])
    residents = json.loads(done.stdout[done.stdout.index("{") :])["residents"]
    return str(residents[0]["packet_id"])
