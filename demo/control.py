"""``python -m demo control ACTION``: cut the power, break the sensor, cut the internet.

The running demo listens on a Unix socket in its own directory (``control.sock``,
mode 0600: only this user, only this machine). Each request is one JSON line
``{"action": ..., "booth": ..., "fault": ...}``; the answer is one JSON line
``{"ok": bool, "said": text, "status": {...}}``. Every action acts on the real
emulated part: the UPS state file behind the real upsd, the generator contact's
GPIO pin, the fingerprint emulator's fault injection, the shaping proxy between the
edge and central. Then Rekam reacts on its own (office/power, booth banners, the
dashboard's booth and upstream panels).

    python -m demo control status
    python -m demo control cut-mains          # then: restore-mains
    python -m demo control generator-on       # then: generator-off
    python -m demo control break-sensor [--fault disconnect|no_answer|bad_checksum|image_messy]
    python -m demo control fix-sensor
    python -m demo control cut-internet       # then: restore-internet
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import socket
import socketserver
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.office import DemoOffice
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor
from hardware.fingerprint.emulator import FAULTS

SOCKET_NAME = "control.sock"
ACTIONS = (
    "status",
    "cut-mains",
    "restore-mains",
    "generator-on",
    "generator-off",
    "break-sensor",
    "fix-sensor",
    "cut-internet",
    "restore-internet",
)
MAX_REQUEST_BYTES = 4096
CLIENT_TIMEOUT_S = 30.0


class ControlError(RuntimeError):
    """A control request that cannot be done (said to the visitor as is)."""


# -- what each action does (in the demo's process) ----------------------------------------


class DemoControl:
    """Carries out one action on ``office`` and says what changed."""

    def __init__(self, office: DemoOffice) -> None:
        self.office = office
        self._actions: dict[str, Callable[[dict[str, Any]], str]] = {
            "status": lambda _request: "",
            "cut-mains": lambda _r: self._mains(on=False),
            "restore-mains": lambda _r: self._mains(on=True),
            "generator-on": lambda _r: self._generator(running=True),
            "generator-off": lambda _r: self._generator(running=False),
            "break-sensor": self._break_sensor,
            "fix-sensor": self._fix_sensor,
            "cut-internet": lambda _r: self._internet(up=False),
            "restore-internet": lambda _r: self._internet(up=True),
        }

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        action = request.get("action")
        if action not in self._actions:
            return {"ok": False, "said": f"unknown action {action!r}; one of {', '.join(ACTIONS)}"}
        try:
            said = self._actions[str(action)](request)
        except (ControlError, ValueError) as err:
            return {"ok": False, "said": str(err), "status": self.status()}
        return {"ok": True, "said": said, "status": self.status()}

    # -- power ---------------------------------------------------------------------------

    def _supply(self) -> Any:
        supply = self.office.power_supply
        if supply is None:
            raise ControlError("this demo office runs without the emulated UPS")
        return supply

    def _mains(self, *, on: bool) -> str:
        state = self._supply().set_mains(on)
        watch = (
            "the edge publishes the new state on office/power after a few polls; the booths"
            " show it in their banner, the dashboard in its power panel"
        )
        return f"{state.describe()}. {watch}."

    def _generator(self, *, running: bool) -> str:
        state = self._supply().set_generator(running)
        return f"{state.describe()}."

    # -- the fingerprint sensor ------------------------------------------------------------

    def _sensor(self, request: dict[str, Any]) -> tuple[str, EmulatedFingerprintSensor]:
        booths = self.office.booths
        booth_id = str(request.get("booth") or next(iter(booths), ""))
        booth = booths.get(booth_id)
        if booth is None:
            raise ControlError(f"no booth {booth_id!r}; the booths are {', '.join(booths)}")
        if not isinstance(booth.sensor, EmulatedFingerprintSensor):
            raise ControlError(f"{booth_id}'s sensor is not emulated")
        return booth_id, booth.sensor

    def _break_sensor(self, request: dict[str, Any]) -> str:
        booth_id, sensor = self._sensor(request)
        fault = str(request.get("fault") or "disconnect")
        if fault not in FAULTS:
            raise ControlError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        sensor.emulator.inject_fault(fault)  # type: ignore[arg-type]  # checked above
        return (
            f"{booth_id}: fingerprint sensor broken ({fault}). The booth's next health report"
            " shows it failing; the dashboard raises a device alert."
        )

    def _fix_sensor(self, request: dict[str, Any]) -> str:
        booth_id, sensor = self._sensor(request)
        sensor.emulator.clear_faults()
        return f"{booth_id}: fingerprint sensor repaired; the alert clears with the next report."

    # -- the internet ------------------------------------------------------------------------

    def _internet(self, *, up: bool) -> str:
        central = self.office.central
        if central is None:
            raise ControlError("this demo office runs without central")
        if up:
            central.restore_link()
            return "internet back: the edge forwards its backlog to central (after its back-off)."
        central.cut_link()
        return (
            "internet cut between the edge and central: new records stay at the edge"
            " (backlog grows, last success stops); nothing is lost."
        )

    # -- status ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        office = self.office
        edge = office.edge
        result: dict[str, Any] = {"records_at_edge": office.stored_packets()}
        supply = office.power_supply
        if supply is not None:
            result["supply"] = supply.state.describe()
        watcher = edge.power if edge is not None else None
        message = watcher.last_message if watcher is not None else None
        result["office_power"] = message.state if message is not None else None
        forwarder = edge.forwarder if edge is not None else None
        upstream = forwarder.last_status if forwarder is not None else None
        if office.central is not None:
            result["internet"] = "up" if office.central.link_up else "cut"
            result["records_at_central"] = office.central.stored_packets()
        if upstream is not None:
            last = upstream.last_success_at
            result["upstream"] = {
                "state": str(upstream.state),
                "backlog": upstream.backlog_count,
                "last_success_at": last.isoformat() if last is not None else None,
                "forwarded_since_start": upstream.forwarded_since_start,
            }
        booths = {}
        for booth_id, booth in office.booths.items():
            sensor = booth.sensor
            faults = (
                sorted(sensor.emulator.faults)
                if isinstance(sensor, EmulatedFingerprintSensor)
                else []
            )
            booths[booth_id] = {
                "sensor": "broken (" + ", ".join(faults) + ")" if faults else "ok",
                "edge_link": booth.uplink is not None and booth.uplink.connected,
                "outbox_waiting": booth.outbox.depth(),
            }
        result["booths"] = booths
        return result


# -- the socket (in the demo's process) ------------------------------------------------------


class ControlServer:
    """Serves :class:`DemoControl` on ``<directory>/control.sock`` from a daemon thread."""

    def __init__(self, control: DemoControl, directory: Path) -> None:
        self.path = directory / SOCKET_NAME
        self.path.unlink(missing_ok=True)
        handle = control.handle

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(MAX_REQUEST_BYTES)
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise TypeError("a request is a JSON object")
                    answer = handle(request)
                except (ValueError, TypeError) as err:
                    answer = {"ok": False, "said": f"bad request: {err}"}
                except Exception as err:  # the visitor sees it; the demo keeps running
                    answer = {"ok": False, "said": f"failed: {type(err).__name__}: {err}"}
                self.wfile.write(json.dumps(answer).encode() + b"\n")

        previous = os.umask(0o177)
        try:
            self._server = socketserver.ThreadingUnixStreamServer(str(self.path), Handler)
        finally:
            os.umask(previous)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-control", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(10)
        self._server.server_close()
        self.path.unlink(missing_ok=True)


# -- the client (python -m demo control ...) --------------------------------------------------


def find_socket(directory: Path | None) -> Path:
    """The socket of the demo in ``directory``, else of the newest demo of this user."""
    if directory is not None:
        return directory / SOCKET_NAME
    candidates = [
        path
        for path in Path(tempfile.gettempdir()).glob(f"rekam-demo-*/{SOCKET_NAME}")
        if path.stat().st_uid == os.getuid()
    ]
    if not candidates:
        raise ControlError("no running demo found; start one with `python -m demo`")
    return max(candidates, key=lambda path: path.stat().st_mtime)


def send(path: Path, request: dict[str, Any], timeout: float = CLIENT_TIMEOUT_S) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        try:
            connection.connect(str(path))
        except OSError as err:
            raise ControlError(f"the demo does not answer on {path}: {err}") from err
        connection.sendall(json.dumps(request).encode() + b"\n")
        with connection.makefile("rb") as answer:
            line = answer.readline()
    if not line:
        raise ControlError("the demo closed the connection without answering")
    reply = json.loads(line)
    if not isinstance(reply, dict):
        raise ControlError("the demo's answer is not a JSON object")
    return reply


def format_status(status: dict[str, Any]) -> list[str]:
    lines = []
    if "supply" in status:
        lines.append(f"  power:    {status['supply']}")
    lines.append(f"  office/power published by the edge: {status.get('office_power')}")
    if "internet" in status:
        lines.append(f"  internet: {status['internet']}")
    upstream = status.get("upstream")
    if upstream:
        lines.append(
            f"  upstream: {upstream['state']}, backlog {upstream['backlog']},"
            f" last success {upstream['last_success_at'] or 'never'}"
        )
    lines.append(
        f"  records:  {status.get('records_at_edge')} at the edge,"
        f" {status.get('records_at_central', '-')} at central"
    )
    for booth_id, booth in status.get("booths", {}).items():
        link = "connected" if booth["edge_link"] else "NOT connected"
        lines.append(
            f"  {booth_id}: sensor {booth['sensor']}, edge {link},"
            f" outbox waiting {booth['outbox_waiting']}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"{interpreter_command()} -m demo control",
        description="Act on the running demo office.",
    )
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("--dir", type=Path, help="the demo's directory (default: the newest)")
    parser.add_argument("--booth", help="which booth (break-sensor, fix-sensor)")
    parser.add_argument("--fault", choices=FAULTS, default="disconnect", help="how it breaks")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    args = parser.parse_args(argv)
    request = {"action": args.action, "booth": args.booth, "fault": args.fault}
    try:
        reply = send(find_socket(args.dir), request)
    except (ControlError, OSError, ValueError) as err:
        print(f"demo control: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(reply, indent=2))
    else:
        if reply.get("said"):
            print(reply["said"])
        with contextlib.suppress(TypeError, KeyError):
            print("\n".join(format_status(reply.get("status") or {})))
    return 0 if reply.get("ok") else 1


def interpreter_command(executable: str | None = None, cwd: Path | None = None) -> str:
    """The Python running now, as a visitor types it in this shell: relative when it is
    under the current directory (``.venv/bin/python``), else its full path. The path is
    not resolved: a venv's ``python`` is a symlink, and the venv is the point."""
    path = Path(os.path.abspath(executable or sys.executable))
    here = Path(os.path.abspath(cwd or Path.cwd()))
    if path.is_relative_to(here):
        relative = path.relative_to(here)
        text = str(relative) if len(relative.parts) > 1 else f"./{relative}"
    else:
        text = str(path)
    return shlex.quote(text)


def control_hint(directory: Path, *, executable: str | None = None, cwd: Path | None = None) -> str:
    """What the demo prints at start: the control commands for this demo, with the
    interpreter that runs it (a bare ``python`` may be another one, or none)."""
    command = f"{interpreter_command(executable, cwd)} -m demo control"
    where = f" --dir {shlex.quote(str(directory))}"
    return (
        "\n  demo control (in another terminal):\n"
        f"    {command} status{where}\n"
        f"    {command} cut-mains{where}     (restore-mains,"
        " generator-on, generator-off)\n"
        f"    {command} break-sensor{where}  (fix-sensor)\n"
        f"    {command} cut-internet{where}  (restore-internet)"
    )
