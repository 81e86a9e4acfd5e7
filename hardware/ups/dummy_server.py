"""A real NUT ``upsd`` serving one ``dummy-ups`` UPS, for tests and the demo.

Everything lives in a temporary directory: ``ups.conf``, ``upsd.conf``, ``upsd.users``,
the state directory (writable by user ``nut`` when we run as root) and the ``.dev``
file the driver reads. Each daemon runs in its own process group and is killed with
it, so nothing is left behind. upsd listens on 127.0.0.1 only, on a free port.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from hardware.errors import DeviceError, DeviceUnavailable
from hardware.ups.client import NutClient
from hardware.ups.device import run_blocking
from hardware.ups.protocol import DEVICE

NUT_USER = "nut"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class DummyUpsServer:
    """Runs ``dummy-ups`` + ``upsd``; :meth:`write_state` changes what the UPS reports."""

    def __init__(
        self,
        ups_name: str = "dummy",
        *,
        username: str,
        password: str,
        upsd_path: str = "/lib/nut/upsd",
        driver_path: str = "/lib/nut/dummy-ups",
        startup_timeout: float = 20.0,
    ) -> None:
        self.ups_name = ups_name
        self.host = "127.0.0.1"
        self.port = 0
        self._username = username
        self._password = password
        self._upsd_path = upsd_path
        self._driver_path = driver_path
        self._startup_timeout = startup_timeout
        self._base = Path(tempfile.mkdtemp(prefix="rekam-nut-"))
        self._conf = self._base / "conf"
        self._state = self._base / "state"
        self.dev_file = self._base / f"{ups_name}.dev"
        self._driver: subprocess.Popen[bytes] | None = None
        self._upsd: subprocess.Popen[bytes] | None = None
        self._last_mtime = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, variables: Mapping[str, str]) -> None:
        """Write the configs and the first state, start the driver, then upsd."""
        for tool in (self._upsd_path, self._driver_path):
            if not os.access(tool, os.X_OK):
                raise DeviceUnavailable(
                    f"{tool} is missing (apt install nut-server)", device=DEVICE
                )
        self._conf.mkdir()
        self._state.mkdir()
        self._base.chmod(0o755)
        self.write_state(variables)
        self.port = free_loopback_port()
        self._write_configs()
        self._driver = self._spawn([self._driver_path, "-a", self.ups_name, "-F"], "driver.log")
        self._wait_for(self._driver_socket().exists, "the UPS driver to start", self._driver)
        for attempt in range(3):
            try:
                self.start_upsd()
                return
            except DeviceUnavailable:
                # another program may have taken the free port first: pick a new one
                if attempt == 2 or self._upsd is None or self._upsd.poll() is None:
                    raise
                self._upsd = None
                self.port = free_loopback_port()
                self._write_configs()

    def start_upsd(self) -> None:
        """Start upsd (again) on the same port and wait until it serves the UPS."""
        if self._upsd is not None:
            return
        self._upsd = self._spawn([self._upsd_path, "-F"], "upsd.log")
        try:
            self._wait_for(self._serves_ups, "upsd to serve the UPS", self._upsd)
        except DeviceUnavailable:
            if self._upsd.poll() is None:
                self.stop_upsd()
            raise

    def stop_upsd(self) -> None:
        """Stop upsd only: clients see the server as unreachable; the driver keeps running."""
        process, self._upsd = self._upsd, None
        _stop_group(process)

    def stop(self) -> None:
        """Stop both daemons and remove the temporary directory (idempotent)."""
        self.stop_upsd()
        process, self._driver = self._driver, None
        _stop_group(process)
        shutil.rmtree(self._base, ignore_errors=True)

    @property
    def upsd_running(self) -> bool:
        return self._upsd is not None and self._upsd.poll() is None

    @property
    def upsd_log_path(self) -> Path:
        """upsd's output (it logs every instant command it passes to the driver)."""
        return self._base / "upsd.log"

    def logs(self) -> str:
        """Both daemons' output, for a failing test's report."""
        texts = []
        for name in ("driver.log", "upsd.log"):
            path = self._base / name
            if path.exists():
                texts.append(f"--- {name}\n{path.read_text(errors='replace')}")
        return "\n".join(texts)

    # -- state file ------------------------------------------------------------------------

    def write_state(self, variables: Mapping[str, str]) -> None:
        """Atomically replace the .dev file; its mtime moves to a later whole second,
        because dummy-ups compares mtimes in seconds and would miss a second change."""
        text = "".join(f"{name}: {value}\n" for name, value in variables.items())
        handle, temp_name = tempfile.mkstemp(dir=self._base, prefix=".dev-", text=True)
        try:
            with os.fdopen(handle, "w") as temp:
                temp.write(text)
            os.chmod(temp_name, 0o644)
            mtime = max(int(time.time()), self._last_mtime + 1)
            os.utime(temp_name, (mtime, mtime))
            os.replace(temp_name, self.dev_file)
            self._last_mtime = mtime
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise

    # -- plumbing ----------------------------------------------------------------------------

    def _write_configs(self) -> None:
        files = {
            "ups.conf": f"[{self.ups_name}]\n{self._driver_section()}",
            "upsd.conf": f"LISTEN {self.host} {self.port}\n",
            "upsd.users": self._users_text(),
        }
        nut = _nut_ids()
        for name, text in files.items():
            path = self._conf / name
            path.write_text(text)
            path.chmod(0o640)
            if nut is not None:
                os.chown(path, 0, nut[1])
        if nut is not None:
            os.chown(self._conf, 0, nut[1])
            self._conf.chmod(0o750)
            os.chown(self._state, nut[0], nut[1])
        self._state.chmod(0o700)

    def _driver_section(self) -> str:
        """The UPS's ``ups.conf`` lines (after its ``[name]``)."""
        return (
            "  driver = dummy-ups\n"
            f"  port = {self.dev_file}\n"
            "  mode = dummy-once\n"
            "  pollinterval = 1\n"
            '  desc = "Rekam emulated UPS"\n'
        )

    def _users_text(self) -> str:
        """``upsd.users``: the login may run every instant command and set variables,
        as upsmon's primary on the UPS's own machine may (NUT's documented setup)."""
        return (
            f"[{self._username}]\n  password = {self._password}\n"
            "  actions = SET\n  instcmds = all\n  upsmon primary\n"
        )

    def _spawn(self, argv: list[str], log_name: str) -> subprocess.Popen[bytes]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "NUT_CONFPATH": str(self._conf),
            "NUT_STATEPATH": str(self._state),
        }
        with open(self._base / log_name, "ab") as log:
            return subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _driver_socket(self) -> Path:
        return self._state / f"{Path(self._driver_path).name}-{self.ups_name}"

    def _serves_ups(self) -> bool:
        client = NutClient(self.host, self.port, timeout=2.0)

        async def status() -> str:
            async with client:
                return await client.get_var(self.ups_name, "ups.status")

        try:
            # upsd says "WAIT" until it has the driver's first full dump
            return run_blocking(status) not in ("", "WAIT")
        except DeviceError:
            return False

    def _wait_for(
        self, ready: Callable[[], bool], what: str, process: subprocess.Popen[bytes]
    ) -> None:
        deadline = time.monotonic() + self._startup_timeout
        while not ready():
            if process.poll() is not None:
                raise DeviceUnavailable(
                    f"waiting for {what}: it exited\n{self.logs()}", device=DEVICE
                )
            if time.monotonic() > deadline:
                raise DeviceUnavailable(
                    f"waiting for {what}: not ready in {self._startup_timeout:g} s\n{self.logs()}",
                    device=DEVICE,
                )
            time.sleep(0.05)


def _nut_ids() -> tuple[int, int] | None:
    """(uid, gid) of user nut when we run as root (the daemons drop to it), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(NUT_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _stop_group(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a daemon's whole process group, then kill it if it lingers."""
    if process is None:
        return
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; make sure nothing else of its group survives
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return
