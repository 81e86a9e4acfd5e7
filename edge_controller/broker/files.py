"""The office broker: mosquitto configuration and ACL, and a managed mosquitto process.

:class:`BrokerConfig` describes the broker; :func:`render_mosquitto_conf` and
:func:`render_acl` turn it into mosquitto 2.0 files (:func:`write_broker_files`
writes both). The broker takes each client's certificate CN as its user name
(``use_identity_as_username``), so the ACL can tie booth X to ``booths/X/``
whatever client id it claims, and replaces the client id by that name
(``use_username_as_clientid``): a booth claiming ``edge`` or ``booth-02`` as its
client id cannot knock that client off or take over its session. The flip side: two
connections with one certificate take turns knocking each other off, so a technician
watching traffic uses a certificate of their own (``observer_identities``). Every
client speaks MQTT v5: under 3.1.1 a publish the ACL refuses is still acknowledged as
a success.

:class:`MosquittoProcess` runs a private mosquitto for tests and the demo (systemd
runs the production one from the same generated files). It copies the TLS files
into its own runtime directory so that mosquitto, which drops from root to user
``mosquitto`` before reading its key, can read them (group-readable key, 0640).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge_controller.pki import EDGE_IDENTITY, validate_identity
from ektp.errors import RekamError
from ektp.i18n import N_

log = logging.getLogger(__name__)

LogType = Literal["error", "warning", "notice", "information", "subscribe", "unsubscribe", "all"]

DEFAULT_LOG_TYPES: tuple[LogType, ...] = ("error", "warning", "notice", "information")

BOOTH_WRITE_TOPICS = ("status", "health", "enrollments", "events", "training")
"""What a booth may publish, each under its own ``booths/<cn>/``."""
BOOTH_READ_TOPICS = ("acks", "reviews")
"""What a booth may read under its own ``booths/<cn>/`` (besides ``office/#``)."""


RELOAD_LOG_LINE = "Reloading config."


class BrokerConfig(BaseModel):
    """The office broker's settings (the ``[broker]`` section of the edge config)."""

    model_config = ConfigDict(extra="forbid")

    bind_address: str = Field(
        default="127.0.0.1",
        description="Address the TLS listener binds to; the office LAN address in production.",
    )
    port: int = Field(default=8883, ge=1, le=65535, description="TLS listener port.")
    ca_cert_path: Path = Field(
        description="The office CA certificate that client certificates must chain to."
    )
    server_cert_path: Path = Field(
        description="The broker's own certificate, signed by the office CA."
    )
    server_key_path: Path = Field(
        description="The broker's private key (readable by the broker's user only)."
    )
    crl_path: Path | None = Field(
        default=None,
        description="Certificate revocation list from the office CA; None to check none.",
    )
    edge_identity: str = Field(
        default=EDGE_IDENTITY, description="Certificate CN of the edge controller's own client."
    )
    observer_identities: list[str] = Field(
        default_factory=list,
        description="Certificate CNs that may read every booth's and the office's topics "
        "(a technician's mosquitto_sub); like any client they write only under "
        "booths/<their CN>/. Give each its own certificate: client ids are forced to "
        "the CN, so a second connection with the edge's certificate would knock the "
        "edge off.",
    )
    persistence: bool = Field(
        default=True,
        description="Keep retained messages and queued QoS 1 messages across restarts.",
    )
    persistence_directory: Path = Field(
        default=Path("/var/lib/mosquitto"),
        description="Where the broker writes its persistence file.",
    )
    autosave_interval_seconds: int = Field(
        default=30, ge=1, description="How often the broker saves its persistence file."
    )
    max_queued_messages: int = Field(
        default=100_000,
        ge=0,
        description="QoS 1 messages queued per client beyond the in-flight ones.",
    )
    max_packet_size_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description="Largest MQTT packet accepted (a sealed enrollment is ~60 KB).",
    )
    log_file: Path | None = Field(
        default=None, description="Log to this file; None logs to stdout."
    )
    log_types: list[LogType] = Field(
        default_factory=lambda: list(DEFAULT_LOG_TYPES),
        description="mosquitto log_type values ('all' costs ~15% throughput).",
    )
    run_as_user: str = Field(
        default="mosquitto", description="Account mosquitto drops to when started as root."
    )

    @field_validator("bind_address")
    @classmethod
    def _bind_address_is_ip(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value

    @field_validator("edge_identity")
    @classmethod
    def _edge_identity_is_valid(cls, value: str) -> str:
        return validate_identity(value)

    @field_validator("observer_identities")
    @classmethod
    def _observers_are_valid(cls, values: list[str]) -> list[str]:
        for value in values:
            validate_identity(value)
        return values

    @model_validator(mode="after")
    def _observer_is_not_the_edge(self) -> BrokerConfig:
        if self.edge_identity in self.observer_identities:
            raise ValueError(f"{self.edge_identity!r} is the edge, not an observer")
        return self


class BrokerStartError(RekamError, RuntimeError):
    """mosquitto exited or did not accept TLS connections in time."""

    code = "broker_start"


@dataclass(frozen=True)
class BrokerFiles:
    conf_path: Path
    acl_path: Path


def render_acl(config: BrokerConfig) -> str:
    """The ACL: booth ``%u`` writes only its own topics, reads its acks and ``office/#``.

    ``pattern`` lines apply to every user (``topic`` lines before the first ``user``
    line would apply to anonymous clients only, who are refused anyway).
    """
    lines = ["# Generated by Rekam (edge_controller.broker). %u is the client certificate CN.", ""]
    lines += [f"pattern write booths/%u/{topic}" for topic in BOOTH_WRITE_TOPICS]
    lines += [f"pattern read booths/%u/{topic}" for topic in BOOTH_READ_TOPICS]
    lines += ["pattern read office/#", ""]
    lines += [
        f"user {config.edge_identity}",
        "topic read booths/#",
        "topic write booths/+/acks",
        "topic write booths/+/reviews",
        "topic readwrite office/#",
        "",
    ]
    for observer in config.observer_identities:
        lines += [f"user {observer}", "topic read booths/#", "topic read office/#", ""]
    return "\n".join(lines)


def render_mosquitto_conf(config: BrokerConfig, *, acl_path: Path) -> str:
    """mosquitto.conf for one TLS listener with client certificates and the ACL."""
    lines = [
        "# Generated by Rekam (edge_controller.broker.files).",
        "per_listener_settings false",
        f"user {config.run_as_user}",
        "allow_anonymous false",
        f"acl_file {acl_path}",
        f"max_queued_messages {config.max_queued_messages}",
        f"max_packet_size {config.max_packet_size_bytes}",
        f"persistence {'true' if config.persistence else 'false'}",
    ]
    if config.persistence:
        lines += [
            f"persistence_location {str(config.persistence_directory).rstrip('/')}/",
            f"autosave_interval {config.autosave_interval_seconds}",
        ]
    lines.append(f"log_dest file {config.log_file}" if config.log_file else "log_dest stdout")
    lines += [f"log_type {log_type}" for log_type in config.log_types]
    lines += [
        "log_timestamp true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        "connection_messages true",
        "",
        f"listener {config.port} {config.bind_address}",
        "protocol mqtt",
        f"cafile {config.ca_cert_path}",
        f"certfile {config.server_cert_path}",
        f"keyfile {config.server_key_path}",
        "require_certificate true",
        "use_identity_as_username true",
        # the client id becomes the CN too: a booth cannot take over (disconnect) the
        # edge's or another booth's session by claiming its client id
        "use_username_as_clientid true",
    ]
    if config.crl_path is not None:
        lines.append(f"crlfile {config.crl_path}")
    lines.append("")
    return "\n".join(lines)


def write_broker_files(config: BrokerConfig, directory: Path) -> BrokerFiles:
    """Write ``mosquitto.conf`` and ``acl`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    acl_path = directory / "acl"
    acl_path.write_text(render_acl(config), encoding="utf-8")
    conf_path = directory / "mosquitto.conf"
    conf_path.write_text(render_mosquitto_conf(config, acl_path=acl_path), encoding="utf-8")
    return BrokerFiles(conf_path, acl_path)


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
            persist = runtime / "persist"
            persist.mkdir(exist_ok=True)
            if account:
                os.chown(persist, account[0], account[1])
            update["persistence_directory"] = persist
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
        serves the next connection (its loop is single-threaded).
        """
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
