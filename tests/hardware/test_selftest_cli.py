"""``rekam-hw selftest`` as a technician runs it: a real subprocess, emulated or broken devices."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

from hardware.cli import load_config

REKAM_HW = [sys.executable, "-m", "hardware.cli"]


def run_hw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REKAM_HW, *args], capture_output=True, text=True, timeout=180, check=False
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_emulated_device_passes_and_is_listed() -> None:
    done = run_hw("selftest", "--emulated", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    results = {r["device"]: r for r in json.loads(done.stdout)}
    assert {"fingerprint", "smartcard", "camera", "gpio", "ups"} <= results.keys()
    assert all(r["ok"] for r in results.values()), results
    assert "57600" in results["fingerprint"]["detail"]
    assert "OL" in results["ups"]["detail"]


def test_table_output_names_each_device() -> None:
    done = run_hw("selftest", "--emulated")
    assert done.returncode == 0, done.stderr
    for device in ("fingerprint", "smartcard", "camera", "gpio", "ups"):
        assert any(line.startswith(device) and " ok " in line for line in done.stdout.splitlines())


def test_broken_devices_are_named_with_the_reason(tmp_path: Path) -> None:
    port = closed_port()
    config = tmp_path / "booth.toml"
    config.write_text(
        "[hardware.fingerprint]\n"
        'backend = "real"\n'
        'port = "/dev/ttyREKAM-MISSING"\n'
        "timeout = 1.0\n"
        "[hardware.ups]\n"
        'backend = "real"\n'
        f"port = {port}\n"
        "timeout = 2.0\n"
        "[hardware.camera]\n"
        'backend = "emulated"\n'
    )
    done = run_hw("selftest", "--config", str(config), "--json")
    assert done.returncode == 1
    results = {r["device"]: r for r in json.loads(done.stdout)}
    assert results["camera"]["ok"]
    assert not results["fingerprint"]["ok"]
    assert "/dev/ttyREKAM-MISSING" in results["fingerprint"]["detail"]
    assert not results["ups"]["ok"]
    assert results["ups"]["detail"]


def test_a_bad_configuration_is_refused_plainly(tmp_path: Path) -> None:
    config = tmp_path / "booth.toml"
    config.write_text('[hardware.fingerprint]\nbackend = "laser"\n')
    done = run_hw("selftest", "--config", str(config))
    assert done.returncode == 2
    assert "cannot read the configuration" in done.stderr


def test_default_config_is_valid_toml_that_loads_back(tmp_path: Path) -> None:
    done = run_hw("--print-default-config")
    assert done.returncode == 0
    data = tomllib.loads(done.stdout)
    assert set(data["hardware"]) >= {"fingerprint", "smartcard", "camera", "gpio", "ups"}
    assert "# " in done.stdout
    path = tmp_path / "default.toml"
    path.write_text(done.stdout)
    assert load_config(path).fingerprint is not None
