"""A managed mosquitto process, run from the generated broker files (demo and tests).

:class:`MosquittoProcess` runs a private mosquitto (systemd runs the production one from
the same files, :mod:`edge_controller.config.mosquitto`); ``rekam-edge run`` starts one when
the config has a ``[broker]`` section. It copies the TLS files into its own runtime
directory so that mosquitto, which drops from root to user ``mosquitto`` before reading
its key, can read them (group-readable key, 0640). With ``persistence`` on, mosquitto
keeps its database in the configured ``persistence_directory`` (made and handed to the
broker's account if needed), so retained messages survive a restart of the broker.
"""

from __future__ import annotations

import ipaddress
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

from cryptography import x509

from edge_controller.config.broker import BrokerConfig
from edge_controller.config.mosquitto import write_broker_files
from ektp.errors import RekamError
from ektp.i18n import N_
from ektp.pki import crl_signed_by_one_of

RELOAD_LOG_LINE = "Reloading config."


class BrokerStartError(RekamError, RuntimeError):
    """mosquitto exited or did not accept TLS connections in time."""

    code = "broker_start"


def check_crl(crl_path: Path, ca_cert_path: Path) -> None:
    """Raise BrokerStartError unless ``crl_path`` is a CRL signed by the office CA.

    mosquitto 2.0.11 reloading a ``crlfile`` it cannot parse logs the error and goes
    on WITHOUT a CRL: every revoked certificate gets in again. Never reload with one.
    """
    try:
        crl = x509.load_pem_x509_crl(crl_path.read_bytes())
        issuers = x509.load_pem_x509_certificates(ca_cert_path.read_bytes())
    except (OSError, ValueError) as err:
        raise BrokerStartError(
            N_("{path} is not a readable revocation list"), path=str(crl_path)
        ) from err
    if not crl_signed_by_one_of(crl, issuers):
        raise BrokerStartError(
            N_("{path} is not the office CA's revocation list"), path=str(crl_path)
        )


def _require_traversable(directory: Path, uid: int, gid: int) -> None:
    """Raise unless the broker's account can reach into ``directory`` (every ancestor +x)."""
    for ancestor in (directory.resolve(), *directory.resolve().parents):
        mode = ancestor.stat()
        if not (
            mode.st_mode & 0o001
            or (mode.st_gid == gid and mode.st_mode & 0o010)
            or (mode.st_uid == uid and mode.st_mode & 0o100)
        ):
            raise BrokerStartError(
                N_(
                    "The broker's account cannot enter {directory}; use a runtime directory "
                    "it can reach (e.g. under /tmp)"
                ),
                directory=str(ancestor),
            )


class MosquittoProcess:
    """A mosquitto process on ``config.port`` with a generated config (tests and demo).

    ``start()`` returns once the listener completes TLS handshakes; ``stop()`` ends it
    with SIGTERM, ``kill()`` with SIGKILL (chaos tests), ``restart()`` starts it again on
    the same port with freshly copied TLS files (so a new CRL takes effect), ``reload()``
    sends SIGHUP. Use it as a context manager; the runtime directory is removed on exit
    when this object created it.
    """

    def __init__(
        self,
        config: BrokerConfig,
        *,
        runtime_directory: Path | None = None,
        executable: str = "/usr/sbin/mosquitto",
        start_timeout: float = 30.0,
    ) -> None:
        self.config = config
        self._owns_directory = runtime_directory is None
        self.runtime_directory = Path(runtime_directory or tempfile.mkdtemp(prefix="rekam-broker-"))
        self.executable = executable
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None
        self.log_path = self.runtime_directory / "mosquitto.log"
        self._output_path = self.runtime_directory / "mosquitto.out"
        self.conf_path = self.runtime_directory / "mosquitto.conf"

    @property
    def host(self) -> str:
        """The address a client on this machine connects to."""
        return (
            "127.0.0.1"
            if ipaddress.ip_address(self.config.bind_address).is_unspecified
            else (self.config.bind_address)
        )

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_text(self) -> str:
        """What mosquitto logged so far (connections, refusals, errors), then its raw output."""
        text = ""
        for path in (self.log_path, self._output_path):
            if path.exists():
                text += path.read_text(encoding="utf-8", errors="replace")
        return text

    def _broker_account(self) -> tuple[int, int] | None:
        """(uid, gid) mosquitto will run as, when we are root and must share files with it."""
        if os.geteuid() != 0 or self.config.run_as_user == "root":
            return None
        try:
            account = pwd.getpwnam(self.config.run_as_user)
        except KeyError:
            return None
        return account.pw_uid, account.pw_gid

    def _prepare(self) -> BrokerConfig:
        account = self._broker_account()
        runtime = self.runtime_directory
        runtime.mkdir(parents=True, exist_ok=True)
        if account:
            _require_traversable(runtime.parent, *account)
        tls = runtime / "tls"
        tls.mkdir(exist_ok=True)
        copies = {
            "ca_cert_path": (self.config.ca_cert_path, tls / "ca.crt", 0o644),
            "server_cert_path": (self.config.server_cert_path, tls / "server.crt", 0o644),
            "server_key_path": (self.config.server_key_path, tls / "server.key", 0o640),
        }
        if self.config.crl_path is not None:
            copies["crl_path"] = (self.config.crl_path, tls / "crl.pem", 0o644)
        update: dict[str, object] = {}
        for field, (source, target, mode) in copies.items():
            shutil.copyfile(source, target)
            os.chmod(target, mode)
            if account:
                os.chown(target, 0, account[1])
            update[field] = target
        if self.config.persistence:
            # the configured directory, not the runtime one: retained messages and
            # queued QoS 1 messages must outlive this object (and the machine's reboot)
            persist = self.config.persistence_directory
            persist.mkdir(parents=True, exist_ok=True)
            if account:
                _require_traversable(persist, *account)
                if persist.stat().st_uid != account[0]:
                    os.chown(persist, account[0], account[1])
        # mosquitto flushes a log file line by line, but not stdout into a pipe or file.
        self.log_path.touch()
        if account:
            os.chown(self.log_path, account[0], account[1])
        update["log_file"] = self.log_path
        if account is None and os.geteuid() == 0:
            update["run_as_user"] = "root"
        for directory in (runtime, tls):
            os.chmod(directory, 0o750)  # noqa: S103 - group = the broker account
            if account:
                os.chown(directory, 0, account[1])
        effective = self.config.model_copy(update=update)
        write_broker_files(effective, runtime)
        return effective

    def start(self) -> None:
        if self.running:
            return
        self._prepare()
        self._log_handle = open(self._output_path, "ab")  # noqa: SIM115 - closed in _reap()
        self._process = subprocess.Popen(
            [self.executable, "-c", str(self.conf_path)],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.kill()
            raise

    def _wait_until_ready(self) -> None:
        context = ssl.create_default_context(cafile=str(self.config.ca_cert_path))
        context.check_hostname = False
        deadline = time.monotonic() + self.start_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise BrokerStartError(
                    N_("mosquitto exited with code {exit_code}: {log}"),
                    exit_code=self._process.returncode,
                    log=self.log_text()[-2000:],
                )
            try:
                with (
                    socket.create_connection((self.host, self.port), timeout=2.0) as raw,
                    context.wrap_socket(raw) as tls,
                ):
                    tls.do_handshake()
                return
            except ssl.SSLCertVerificationError as err:
                raise BrokerStartError(
                    N_("The broker on port {port} shows a certificate the office CA did not sign"),
                    port=self.port,
                ) from err
            except ssl.SSLError:
                return  # TLS is up; it only wants a client certificate (TLS 1.2 alert)
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BrokerStartError(
                    N_("mosquitto did not accept TLS on port {port} within {seconds} s"),
                    port=self.port,
                    seconds=self.start_timeout,
                )
            time.sleep(0.05)

    def _reap(self, timeout: float) -> None:
        if self._process is not None:
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=timeout)
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait (SIGKILL if it does not exit within ``timeout``). Idempotent."""
        if self.running:
            assert self._process is not None
            self._process.send_signal(signal.SIGTERM)
        self._reap(timeout)

    def kill(self) -> None:
        """SIGKILL, as a power cut would: no clean shutdown, no persistence save."""
        if self.running:
            assert self._process is not None
            self._process.kill()
        self._reap(15.0)

    def restart(self) -> None:
        """Stop cleanly and start again on the same port, re-reading the TLS files and CRL."""
        self.stop()
        self.start()

    def reload(self, timeout: float = 15.0) -> None:
        """Copy the TLS files again, SIGHUP, and wait until mosquitto is reloading.

        mosquitto 2.0 then re-reads its config, ACL, certificates and CRL before it
        serves the next connection (its loop is single-threaded); connected clients
        stay connected. A CRL that is not the office CA's is refused first
        (:func:`check_crl`): mosquitto would drop it and admit revoked clients.
        """
        if self.config.crl_path is not None:
            check_crl(self.config.crl_path, self.config.ca_cert_path)  # mosquitto fails open
        self._prepare()
        if not self.running:
            return
        assert self._process is not None
        before = self.log_text().count(RELOAD_LOG_LINE)
        self._process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self.log_text().count(RELOAD_LOG_LINE) <= before:
            if time.monotonic() > deadline or not self.running:
                raise BrokerStartError(
                    N_("mosquitto did not reload within {seconds} s"), seconds=timeout
                )
            time.sleep(0.02)

    def close(self) -> None:
        self.stop()
        if self._owns_directory:
            shutil.rmtree(self.runtime_directory, ignore_errors=True)

    def __enter__(self) -> MosquittoProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
