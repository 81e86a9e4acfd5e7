"""The real ``rekam-provision`` CLI driven from tests: one office per test module.

:class:`ProvisionedOffice` runs the CLI as a child process against an office
directory; :func:`open_office` makes one (``office init`` twice: the second run must
change nothing) with booths' files under ``units/<port>`` and system steps in check
mode, and ends any SSH master a failed run of it left behind. The ``office`` fixture is that
office with the default settings; a module that needs others (an edge database) calls
:func:`open_office` with extra ``office init`` arguments in its own fixture.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sshd_fixtures import LoopbackSshd

from hardware.smartcard.netns import network_namespace_id
from provisioning.inventory import OfficeSettings
from provisioning.office import InitResult, OfficeDirectory, init_office
from tests.cli_run import REPO, run_module

CLI_TIMEOUT_SECONDS = 900


def copy_release_source(target: Path) -> Path:
    """A frozen copy of the booth packages (the working tree may change under us)."""
    for package in ("ektp", "hardware", "kiosk"):
        shutil.copytree(
            REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return target


class ProvisionedOffice:
    """An office directory and the CLI that manages it."""

    def __init__(self, root: Path, key: Path) -> None:
        self.root = root
        self.release = copy_release_source(root / "release")
        self.directory = root / "office"
        self.key = key
        self.units = root / "units"

    def unit_root(self, port: int) -> Path:
        """Where the unit listening on ``port`` keeps its files (its root prefix)."""
        return self.units / str(port)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        office = str(self.directory)
        # English: the tests read the summary; tests/provisioning/test_cli_language.py
        # checks the Indonesian default.
        completed = run_module(
            "provisioning.cli", "--lang", "en", "--office", office, *args,
            timeout=CLI_TIMEOUT_SECONDS,
        )  # fmt: skip
        print(completed.stdout, completed.stderr)
        return completed

    def booth(
        self, command: str, unit: LoopbackSshd, *args: str, pin: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``booth <command> ... --host 127.0.0.1 --port P [--host-key F] --release R``."""
        where = ["--host", "127.0.0.1", "--port", str(unit.port)]
        if pin:
            where += ["--host-key", unit.fingerprint]
        return self.cli("booth", command, *args, *where, "--release", str(self.release))


def summary_row(output: str, booth_id: str) -> dict[str, str]:
    """The booth's row of the summary table, by column name."""
    lines = output.splitlines()
    header_index = max(i for i, line in enumerate(lines) if line.startswith("booth "))
    header = lines[header_index]
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    # column names may contain one space ("edge key"): merge starts one space apart
    starts = [s for s in starts if s == 0 or header[s - 2] == " "]
    row = next(line for line in lines[header_index + 2 :] if line.startswith(f"{booth_id} "))
    bounds = [*starts[1:], None]
    return {
        header[start:end].strip(): row[start:end].strip()
        for start, end in zip(starts, bounds, strict=True)
    }


def central_public_key_file(path: Path) -> Path:
    path.write_bytes(
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def sample_office_settings(tmp_path: Path) -> OfficeSettings:
    """The tests' office: the edge at 10.0.0.2, booths' files under ``units/<port>``."""
    return OfficeSettings(
        name="Kecamatan Uji",
        edge_host="10.0.0.2",
        ssh_private_key=tmp_path / "id",
        root_prefix=str(tmp_path / "units" / "{port}"),
    )


def init_sample_office(
    directory: OfficeDirectory, settings: OfficeSettings, central_public_key: Path
) -> InitResult:
    """``init_office`` for the tests' office (its broker at the edge's address only)."""
    return init_office(
        directory,
        settings,
        central_public_key=central_public_key,
        broker_names=[],
        broker_ips=["10.0.0.2"],
    )


def init_test_office(tmp_path: Path) -> OfficeDirectory:
    """An office directory made by ``init_office`` (the edge at 10.0.0.2), no booth yet."""
    directory = OfficeDirectory(tmp_path / "office")
    init_sample_office(
        directory,
        sample_office_settings(tmp_path),
        central_public_key_file(tmp_path / "central.pem"),
    )
    return directory


def open_office(root: Path, client_key: Path, *init_args: str) -> Iterator[ProvisionedOffice]:
    """Generator body of an office fixture: ``office init`` (twice), yield, clean up."""
    before = set(glob.glob("/tmp/rk-cp-*"))
    office = ProvisionedOffice(root, client_key)
    init = [
        "office",
        "init",
        "--name",
        "Kecamatan Uji",
        "--edge-host",
        "127.0.0.1",
        "--ssh-key",
        str(client_key),
        "--ssh-user",
        "root",
        "--central-public-key",
        str(central_public_key_file(root / "central.pem")),
        "--root-prefix",
        str(office.units / "{port}"),
        "--plan-system-changes",
        "--booth-python",
        sys.executable,
        "--emulated-hardware",
        "--no-data-partition",
        *init_args,
    ]
    first = office.cli(*init)
    assert first.returncode == 0, first.stderr
    second = office.cli(*init)
    assert second.returncode == 0
    assert "Nothing changed" in second.stdout
    yield office
    end_ssh_masters_left_by(before)


@pytest.fixture(scope="module")
def office(
    tmp_path_factory: pytest.TempPathFactory, client_key: Path
) -> Iterator[ProvisionedOffice]:
    """One office for the module (each ansible run costs seconds, so tests share it)."""
    yield from open_office(tmp_path_factory.mktemp("provision"), client_key)


def end_ssh_masters_left_by(before: set[str]) -> None:
    """End the SSH masters a failed CLI run left behind since ``before`` (control directories).

    The CLI ends its masters itself. Only masters in this process's network namespace are
    ended: a lab rehearsal (its technician has a namespace of its own) or a test worker with
    its own namespace, running beside this one on the same computer, keeps its connections.
    """
    own_network = network_namespace_id(None)
    for directory in set(glob.glob("/tmp/rk-cp-*")) - before:
        for socket_path in glob.glob(f"{directory}/*"):
            control = ["ssh", "-o", f"ControlPath={socket_path}", "-O"]
            check = subprocess.run(
                [*control, "check", "x"], capture_output=True, text=True, timeout=15, check=False
            )
            master = re.search(r"pid=(\d+)", check.stderr)
            if master is None or network_namespace_id(int(master.group(1))) != own_network:
                continue
            subprocess.run([*control, "exit", "x"], capture_output=True, timeout=15, check=False)
