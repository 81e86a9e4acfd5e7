"""A real OpenSSH server on a loopback port, for the provisioning tests.

Each :class:`LoopbackSshd` is one "booth unit": its own generated host key, accepting
one generated client key for root. It runs inside ``unshare --mount`` with a private
tmpfs on /run (sshd as root insists on /run/sshd), so the test machine is not touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.hostkeys import fingerprint
from tests.edge_controller.broker_fixtures import free_loopback_port

START_TIMEOUT_SECONDS = 30.0


def make_key(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rekam-test", "-f", str(path)],
        check=True,
    )
    return path


class LoopbackSshd:
    """sshd on 127.0.0.1:<port> with a generated host key; ``client_key`` logs in as root."""

    def __init__(self, directory: Path, client_key: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.client_key = client_key
        self.port = free_loopback_port()
        self.host_key = make_key(directory / "host_ed25519")
        shutil.copyfile(f"{client_key}.pub", directory / "authorized_keys")
        self.config = directory / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"AuthorizedKeysFile {directory / 'authorized_keys'}",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    f"PidFile {directory / 'sshd.pid'}",
                    "MaxSessions 30",
                    "MaxStartups 30:30:60",
                    "",
                ]
            )
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(Path(f"{self.host_key}.pub").read_text())

    def start(self) -> None:
        log = open(self.directory / "sshd.log", "ab")  # noqa: SIM115 - owned by the process
        self._process = subprocess.Popen(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                "mount -t tmpfs tmpfs /run && mkdir /run/sshd && "
                f"exec /usr/sbin/sshd -D -e -f {self.config}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if self._process.poll() is not None:
                raise RuntimeError((self.directory / "sshd.log").read_text())
            with socket.socket() as sock:
                sock.settimeout(1.0)
                try:
                    sock.connect(("127.0.0.1", self.port))
                    if sock.recv(4).startswith(b"SSH-"):
                        return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("sshd did not answer in time")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=15)

    def change_host_key(self) -> None:
        """As if another machine took this address: a new host key, restarted."""
        self.stop()
        self.host_key.unlink()
        Path(f"{self.host_key}.pub").unlink()
        make_key(self.host_key)
        self.start()


@pytest.fixture(scope="module")
def client_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_key(tmp_path_factory.mktemp("technician") / "id_ed25519")


def running_unit(root: Path, client_key: Path) -> Iterator[LoopbackSshd]:
    """Generator body of a unit fixture: a loopback sshd kept under ``root``, stopped at the
    end."""
    unit = LoopbackSshd(root, client_key)
    unit.start()
    yield unit
    unit.stop()


@pytest.fixture(scope="module")
def booth_unit(
    tmp_path_factory: pytest.TempPathFactory, client_key: Path
) -> Iterator[LoopbackSshd]:
    yield from running_unit(tmp_path_factory.mktemp("unit-a"), client_key)


@pytest.fixture(scope="module")
def spare_unit(
    tmp_path_factory: pytest.TempPathFactory, client_key: Path
) -> Iterator[LoopbackSshd]:
    yield from running_unit(tmp_path_factory.mktemp("unit-b"), client_key)
