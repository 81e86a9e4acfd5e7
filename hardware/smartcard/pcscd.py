"""Start pcscd with a private vpcd reader, or reuse the one already running.

pcscd's socket ``/run/pcscd/pcscd.comm`` is fixed, so a machine has one pcscd.
:meth:`PcscdService.ensure_running` first asks pcscd for its readers:

* a reader named ``Rekam vpcd port <N> 00 00`` (made by an earlier start): reuse it;
* else, if allowed, Debian's own ``Virtual PCD 00 00`` reader (port 35963): reuse it;
* a pcscd without either: DeviceUnavailable (we cannot add a reader to it);
* no pcscd: start ``pcscd --foreground --config <dir>`` with a reader.conf of our own.

Only a pcscd this object started is stopped by :meth:`stop`.

Loopback only? Not possible with Debian 12's vpcd (vsmartcard 0.8): with
``DEVICENAME /dev/null:<port>`` it binds INADDR_ANY, with no way to name an
address. A host name instead (``127.0.0.1:<port>``, "reverse mode", where the
card listens and vpcd connects) aborts pcscd in that version ("bit out of range
0 - FD_SETSIZE on fd_set": it calls select() on socket -1; fixed upstream in
2022). So by default pcscd runs in its own network namespace
(``unshare --net``, loopback only up): its vpcd port is unreachable from any
other machine, and from this machine's own network too. The card program
connects to it by entering that namespace (``hardware.smartcard.netns``).
Both need root, as pcscd itself does here.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from smartcard import scard

from hardware.errors import DeviceTimeout, DeviceUnavailable
from hardware.smartcard.bounded import call_with_timeout
from hardware.smartcard.config import DEBIAN_VPCD_PORT, EmulatedSmartCardConfig

log = logging.getLogger(__name__)
DEVICE = "smartcard"
REKAM_READER_PREFIX = "Rekam vpcd port "
DEBIAN_READER = "Virtual PCD 00 00"
_REKAM_READER = re.compile(r"^Rekam vpcd port (\d+) 00 00$")
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class VpcdEndpoint:
    """Where a virtual card plugs in: the PC/SC reader name and vpcd's TCP port.

    ``netns_pid`` is pcscd's pid, whose network namespace holds the port (None:
    unknown, use our own namespace).
    """

    reader_name: str
    port: int
    netns_pid: int | None


def list_pcsc_readers(timeout: float = 5.0) -> list[str] | None:
    """The readers pcscd lists, or None when no pcscd answers."""

    def ask() -> list[str] | None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        try:
            hresult, readers = scard.SCardListReaders(context, [])
            if hresult != scard.SCARD_S_SUCCESS:
                return []
            return list(readers)
        finally:
            scard.SCardReleaseContext(context)

    return call_with_timeout(ask, timeout, what="asking pcscd for its readers")


def reader_conf(port: int, driver: Path) -> str:
    """A reader.conf entry for a vpcd reader on ``port`` (and ``port + 1`` for slot 1)."""
    return (
        "# Written by Rekam: a vsmartcard vpcd reader for the emulated smart card.\n"
        f'FRIENDLYNAME "{REKAM_READER_PREFIX}{port}"\n'
        f"DEVICENAME   /dev/null:{port}\n"
        f"LIBPATH      {driver}\n"
        f"CHANNELID    {port}\n"
    )


class PcscdService:
    """Makes sure a pcscd with a vpcd reader runs; stops it only if it started it."""

    def __init__(self, config: EmulatedSmartCardConfig) -> None:
        self._config = config
        self._process: subprocess.Popen[bytes] | None = None
        self._own_config_dir: tempfile.TemporaryDirectory[str] | None = None
        self._log_path: Path | None = None

    @property
    def started_by_us(self) -> bool:
        return self._process is not None

    def _read_pid_file(self) -> int | None:
        try:
            text = self._config.pcscd_pid_file.read_text(errors="replace")
            return int(text.strip("\x00\n "))
        except (OSError, ValueError):
            return None

    def _endpoint_from(self, readers: list[str]) -> VpcdEndpoint | None:
        wanted = f"{REKAM_READER_PREFIX}{self._config.vpcd_port} 00 00"
        rekam = [r for r in readers if _REKAM_READER.match(r)]
        if wanted in rekam:
            return VpcdEndpoint(wanted, self._config.vpcd_port, self._read_pid_file())
        if rekam:
            match = _REKAM_READER.match(rekam[0])
            assert match is not None
            return VpcdEndpoint(rekam[0], int(match.group(1)), self._read_pid_file())
        if self._config.allow_debian_vpcd and DEBIAN_READER in readers:
            return VpcdEndpoint(DEBIAN_READER, DEBIAN_VPCD_PORT, self._read_pid_file())
        return None

    def ensure_running(self) -> VpcdEndpoint:
        """Reuse or start pcscd; return where the virtual card plugs in."""
        readers = list_pcsc_readers()
        if readers is not None:
            endpoint = self._endpoint_from(readers)
            if endpoint is None:
                raise DeviceUnavailable(
                    "A pcscd is already running without a virtual (vpcd) reader; stop it "
                    "(systemctl stop pcscd.socket pcscd) so Rekam can start its own.",
                    device=DEVICE,
                )
            log.info("Reusing the running pcscd (reader %r)", endpoint.reader_name)
            return endpoint
        return self._start()

    def _command(self, config_dir: Path) -> list[str]:
        pcscd = [self._config.pcscd_path, "--foreground", "--config", str(config_dir)]
        if not self._config.isolate_network:
            log.warning("pcscd's vpcd port %d is open on all interfaces", self._config.vpcd_port)
            return pcscd
        ip = shutil.which("ip") or "/usr/sbin/ip"
        # A new network namespace has only a loopback interface, and it starts down.
        script = f'{ip} link set lo up && exec "$0" "$@"'
        return ["unshare", "--net", "sh", "-c", script, *pcscd]

    def _start(self) -> VpcdEndpoint:
        config = self._config
        if not config.vpcd_driver.exists():
            raise DeviceUnavailable(
                f"The vpcd reader driver {config.vpcd_driver} is missing "
                "(install the Debian package vsmartcard-vpcd).",
                device=DEVICE,
            )
        if config.config_dir is None:
            self._own_config_dir = tempfile.TemporaryDirectory(prefix="rekam-pcscd-")
            config_dir = Path(self._own_config_dir.name)
        else:
            config_dir = config.config_dir
            config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "rekam-vpcd").write_text(reader_conf(config.vpcd_port, config.vpcd_driver))
        self._log_path = config_dir.parent / f"{config_dir.name}.pcscd.log"
        with self._log_path.open("wb") as log_file:
            try:
                self._process = subprocess.Popen(
                    self._command(config_dir), stdout=log_file, stderr=subprocess.STDOUT
                )
            except OSError as err:
                raise DeviceUnavailable(f"Cannot start pcscd: {err}", device=DEVICE) from err
        log.info("Started pcscd (pid %d) with a vpcd reader", self._process.pid)
        reader = f"{REKAM_READER_PREFIX}{config.vpcd_port} 00 00"
        try:
            self._wait_until_ready(reader)
        except Exception:
            self.stop()
            raise
        return VpcdEndpoint(reader, config.vpcd_port, self._process.pid)

    def _wait_until_ready(self, reader: str) -> None:
        """Poll until pcscd answers (not 0x8010001D any more) and lists our reader."""
        assert self._process is not None
        deadline = time.monotonic() + self._config.pcscd_start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DeviceUnavailable(
                    f"pcscd exited at start (code {self._process.returncode}): {self._log_tail()}",
                    device=DEVICE,
                )
            with contextlib.suppress(DeviceTimeout):
                readers = list_pcsc_readers()
                if readers is not None and reader in readers:
                    return
            time.sleep(POLL_SECONDS)
        raise DeviceTimeout(
            f"pcscd did not list its vpcd reader within {self._config.pcscd_start_timeout:g} s.",
            device=DEVICE,
        )

    def _log_tail(self) -> str:
        if self._log_path is None:
            return ""
        try:
            return self._log_path.read_text(errors="replace").strip()[-400:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop pcscd if this object started it; otherwise do nothing. Idempotent."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.info("Stopped pcscd (pid %d)", process.pid)
        if self._own_config_dir is not None:
            self._own_config_dir.cleanup()
            self._own_config_dir = None
        if self._log_path is not None:
            with contextlib.suppress(OSError):
                self._log_path.unlink()
            self._log_path = None
