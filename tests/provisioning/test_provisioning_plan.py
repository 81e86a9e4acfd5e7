"""Provisioning as data (pyinfra-style): facts in, planned changes and files out. No SSH."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from provisioning_cli_fixtures import (
    central_public_key_file,
    init_sample_office,
    sample_office_settings,
)

from edge_controller.config.edge import EdgeConfig
from kiosk.config.booth import BoothConfig
from provisioning.engine import RunResult, TaskEvent
from provisioning.hostkeys import explain_connection_failure, fingerprint, known_hosts_text
from provisioning.inventory import OfficeSettings
from provisioning.office import OfficeDirectory, booth_config, booth_config_toml
from provisioning.release import build_release, installed_source

# (events reported by ansible, plan_system) -> (applied, planned, failed) task names
RUN_CASES = [
    pytest.param(
        [("Write config", "changed", ()), ("Install packages", "changed", ("system",))],
        True,
        (["Write config"], ["Install packages"], []),
        id="system-step-in-check-mode-is-planned-not-applied",
    ),
    pytest.param(
        [("Install packages", "changed", ("system",))],
        False,
        (["Install packages"], [], []),
        id="system-step-applied-for-real",
    ),
    pytest.param(
        [("Enable kiosk", "failed-ignored", ("system",)), ("Write config", "ok", ())],
        True,
        ([], ["Enable kiosk"], []),
        id="uncheckable-system-step-still-listed-as-planned",
    ),
    pytest.param(
        [("Gathering", "unreachable", ()), ("Self-test", "failed", ())],
        True,
        ([], [], ["Gathering", "Self-test"]),
        id="unreachable-and-failed-are-failures",
    ),
    pytest.param(
        [("Write config", "ok", ()), ("Install packages", "ok", ("system",))],
        True,
        ([], [], []),
        id="second-run-changes-nothing",
    ),
]


@pytest.mark.parametrize(("events", "plan_system", "expected"), RUN_CASES)
def test_run_results_separate_applied_planned_and_failed_steps(events, plan_system, expected):
    result = RunResult("booth_add.yml", 0, plan_system)
    for task, status, tags in events:
        ignored = status == "failed-ignored"
        result.events.append(
            TaskEvent("booth-01", task, "failed" if ignored else status, tags, ignored=ignored)
        )
    applied, planned, failed = expected
    assert [e.task for e in result.changed("booth-01")] == applied
    assert [e.task for e in result.planned("booth-01")] == planned
    assert [e.task for e in result.failures("booth-01")] == failed


@pytest.fixture
def office(tmp_path: Path) -> tuple[OfficeDirectory, OfficeSettings]:
    central = central_public_key_file(tmp_path / "central.pem")
    settings = sample_office_settings(tmp_path)
    directory = OfficeDirectory(tmp_path / "office")
    first = init_sample_office(directory, settings, central)
    assert first.changed > 0
    again = init_sample_office(directory, settings, central)
    assert again.changed == 0, "office init must be idempotent"
    return directory, settings


def test_booth_config_points_at_the_edge_and_stays_under_the_units_root(office, tmp_path):
    directory, settings = office
    config = booth_config(directory, settings, "booth-07", "10.0.0.17", 2207)
    text = booth_config_toml(config)
    parsed = BoothConfig.model_validate(tomllib.loads(text))
    unit_root = tmp_path / "units" / "2207"
    assert parsed.booth_id == "booth-07"
    assert parsed.edge is not None
    assert parsed.edge.host == "10.0.0.2"
    assert parsed.edge.cert_path == unit_root / "etc/rekam/tls/booth-07.crt"
    assert parsed.outbox_path == unit_root / "var/lib/rekam/outbox.sqlite"
    assert parsed.hardware.fingerprint is not None
    assert parsed.hardware.fingerprint.backend == "real"
    # booths seal the review thumbnail for the edge's key, installed beside central's
    assert parsed.edge.review_public_key_path == unit_root / "etc/rekam/edge-review-x25519.pem"


def test_office_init_writes_a_broker_config_with_a_crl_and_the_booth_acl(office):
    directory, _ = office
    conf = (directory.edge_dir / "mosquitto.conf").read_text()
    assert "require_certificate true" in conf
    assert "crlfile" in conf
    assert "pattern write booths/%u/enrollments" in (directory.edge_dir / "acl").read_text()
    # private, except to the broker's group (mosquitto reads it after dropping root)
    assert (directory.edge_dir / "tls" / "broker.key").stat().st_mode & 0o037 == 0
    assert directory.review_key_path.stat().st_mode & 0o077 == 0
    edge = EdgeConfig.model_validate(tomllib.loads((directory.edge_dir / "edge.toml").read_text()))
    assert edge.review.key_path is not None
    assert edge.review.key_path.name == directory.review_key_path.name


def test_release_version_follows_the_content(tmp_path):
    source = tmp_path / "src"
    for package in ("ektp", "hardware", "kiosk"):
        shutil.copytree(
            installed_source() / package,
            source / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    first = build_release(source, tmp_path / "releases", base_version="1.0")
    again = build_release(source, tmp_path / "releases2", base_version="1.0")
    assert first.version == again.version
    assert first.tarball.read_bytes() == again.tarball.read_bytes()
    (source / "kiosk" / "__init__.py").write_text('"""changed"""\n')
    changed = build_release(source, tmp_path / "releases", base_version="1.0")
    assert changed.version != first.version


def test_host_key_failures_become_a_plain_sentence():
    message = "Host key verification failed.\r\n"
    text = explain_connection_failure(message, "10.0.0.11", 22)
    assert text is not None
    assert "not the one pinned" in text
    assert explain_connection_failure("Connection refused", "10.0.0.11", 22) is None


def test_known_hosts_lines_carry_the_port_and_the_fingerprint_matches_ssh_keygen(tmp_path):
    key_file = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True)
    public = Path(f"{key_file}.pub").read_text().split()
    key = f"{public[0]} {public[1]}"
    shown = subprocess.run(
        ["ssh-keygen", "-lf", f"{key_file}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert fingerprint(key) == shown
    assert known_hosts_text([("127.0.0.1", 2222, [key])]) == f"[127.0.0.1]:2222 {key}\n"
    assert known_hosts_text([("booth", 22, [key])]) == f"booth {key}\n"
