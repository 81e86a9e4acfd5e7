"""The edge's NUT files from ``office init`` work with NUT's own programs: the driver and
upsd start on them, upsd answers on loopback only, the monitor login may only read, and
rekam-edge's login may run the UPS's instant commands (what a decided shutdown needs)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioning.edge_nut import (
    DUMMY_DRIVER,
    DUMMY_STATE_FILE,
    EDGE_USER,
    MONITOR_USER,
    UPS_NAME,
    NutLogins,
    nut_files,
    sync_nut_files,
)
from provisioning.office import _write_if_different as write_if_different
from tests.edge_controller.broker_fixtures import free_loopback_port
from tests.waiting import wait_for

UPSD = "/lib/nut/upsd"
DUMMY_UPS = "/lib/nut/dummy-ups"
START_TIMEOUT_SECONDS = 20.0

pytestmark = pytest.mark.skipif(
    not (os.access(UPSD, os.X_OK) and shutil.which("upsc") and shutil.which("upscmd")),
    reason="needs NUT (apt install nut-server nut-client; ./setup.sh installs them)",
)


@dataclass
class RunningNut:
    address: str
    logins: NutLogins
    upsd_log: Path


def _write(path: Path, text: str, mode: int) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return True


@pytest.fixture(scope="module")
def nut() -> Iterator[RunningNut]:
    # user nut must reach it: not under pytest's private (0700) temporary directory
    base = Path(tempfile.mkdtemp(prefix="rekam-edge-nut-"))
    base.chmod(0o755)
    conf, state = base / "conf", base / "state"
    state.mkdir()
    logins = NutLogins.create()
    port = free_loopback_port()
    for name, text in nut_files(DUMMY_DRIVER, DUMMY_STATE_FILE, logins, listen_port=port).items():
        _write(conf / name, text, 0o640)
    if os.geteuid() == 0:  # the daemons drop to user nut: let it read and keep its state
        nut_ids = pwd.getpwnam("nut")
        for path in (conf, *conf.iterdir()):
            os.chown(path, 0, nut_ids.pw_gid)
        os.chown(state, nut_ids.pw_uid, nut_ids.pw_gid)
    env = {"PATH": os.environ["PATH"], "NUT_CONFPATH": str(conf), "NUT_STATEPATH": str(state)}
    processes: list[subprocess.Popen[bytes]] = []
    address = f"{UPS_NAME}@127.0.0.1:{port}"

    def start(argv: list[str], log: str) -> None:
        processes.append(
            subprocess.Popen(
                argv,
                env=env,
                stdout=(base / log).open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    try:
        start([DUMMY_UPS, "-a", UPS_NAME, "-F"], "driver.log")
        socket = state / f"dummy-ups-{UPS_NAME}"
        wait_for(socket.exists, START_TIMEOUT_SECONDS, "the dummy-ups driver's socket", 0.2)
        start([UPSD, "-F"], "upsd.log")
        wait_for(
            lambda: _upsc(address, "ups.status").stdout.strip() not in ("", "WAIT"),
            START_TIMEOUT_SECONDS, "upsd to report the UPS's status", 0.2,
        )  # fmt: skip
        yield RunningNut(address, logins, base / "upsd.log")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _upsc(address: str, variable: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["upsc", address, variable], capture_output=True, text=True, timeout=10, check=False
    )


def _upscmd(user: str, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["upscmd", "-u", user, "-p", password, *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_upsd_serves_the_office_ups_on_loopback(nut: RunningNut) -> None:
    status = _upsc(nut.address, "ups.status")
    assert status.stdout.strip() == "OL", status.stderr
    assert _upsc(nut.address, "battery.charge").stdout.strip() == "100"


def test_the_edge_login_may_command_the_ups_and_the_monitor_login_may_not(
    nut: RunningNut,
) -> None:
    listed = _upscmd(EDGE_USER, nut.logins.edge, "-l", nut.address)
    assert listed.returncode == 0, listed.stderr
    assert "load.off" in listed.stdout
    refused = _upscmd(MONITOR_USER, nut.logins.monitor, nut.address, "load.off")
    assert refused.returncode != 0
    assert "ACCESS-DENIED" in refused.stderr + refused.stdout
    # upsd lets rekam-edge's login through to the driver (dummy-ups then refuses the
    # command itself: it runs none) and says so in its log
    allowed = _upscmd(EDGE_USER, nut.logins.edge, nut.address, "load.off")
    assert "ACCESS-DENIED" not in allowed.stderr + allowed.stdout
    assert f"{EDGE_USER}@127.0.0.1" in nut.upsd_log.read_text(errors="replace")


def test_a_second_office_init_keeps_the_passwords(tmp_path: Path) -> None:
    changed, first = sync_nut_files(tmp_path, "usbhid-ups", "auto", write_if_different)
    again, second = sync_nut_files(tmp_path, "usbhid-ups", "auto", write_if_different)
    assert changed
    assert not again
    assert first == second
    assert (tmp_path / "upsd.users").stat().st_mode & 0o077 == 0  # passwords: owner only
    assert "driver = usbhid-ups" in (tmp_path / "ups.conf").read_text()
