"""``./setup.sh demo`` — a whole recording office on this machine, on emulated hardware.

    python -m demo                    the booth's touchscreen app in a window (with a
                                      display), else scripted residents; the office stays
                                      up for the dashboard until Ctrl-C
    python -m demo --headless --residents 10 --every 20
                                      10 scripted residents, then one every 20 s
    python -m demo --once             stop after the report (headless)
    python -m demo control ACTION     act on the running demo: cut-mains, generator-on,
                                      break-sensor, cut-internet, ... (see demo/control.py)

Starts the office CA, mosquitto with per-booth TLS certificates, the edge service with
a synthetic Gunung Tabur roster, an emulated UPS behind a real upsd and a generator
contact, the reference central receiver behind a link the control can cut, and a
booth whose fingerprint sensor, card reader and camera are emulated at the wire
level. Ctrl-C (or closing the window) stops everything it started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from demo import control
from demo.control import ControlServer, DemoControl, control_hint
from demo.kiosk_window import (
    WINDOW_HINT,
    display_available,
    prepare_kivy,
    run_window,
    window_booth_builder,
)
from demo.office import DemoOffice
from demo.scripted import ScriptedBooth
from edge_controller.ingest.db import connect
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.coverage import coverage_report
from hardware.config import HardwareConfig
from hardware.selftest import run_selftest

if TYPE_CHECKING:
    from kiosk.ui.booth_app import BoothUi


def say(text: str = "") -> None:
    print(text, flush=True)


def selftest() -> bool:
    say("== Hardware self-test (emulated devices) ==")
    results = run_selftest(HardwareConfig.emulated())
    for r in results:
        say(f"  {r.device:<12} {'ok' if r.ok else 'FAIL':<5} {r.detail}")
    return all(r.ok for r in results)


def enroll_residents(scripted: ScriptedBooth, count: int) -> list[float]:
    say("\n== Residents (check-in at the touchscreen, then capture by the operator) ==")
    times = []
    for _ in range(count):
        outcome = scripted.enroll_one()
        if outcome is None:
            break
        times.append(outcome.seconds)
    return times


def wait_for_edge(office: DemoOffice, expected: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while (stored := office.stored_packets()) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    booths = [booth.outbox.sendables for booth in office.booths.values()]
    while any(s.sendables_waiting() for s in booths) and time.monotonic() < deadline:
        time.sleep(0.2)  # the visits' stage events too: "Waktu layanan" shows them
    return stored


def report(office: DemoOffice, times: list[float]) -> None:
    booth = office.booths[office.booth_ids[0]]
    stored = wait_for_edge(office, len(times))
    say("\n== The office after the session ==")
    say(
        f"  sealed records at the edge: {stored} of {len(times)}; booth outbox waiting: "
        f"{booth.outbox.depth()}"
    )
    if times:
        average = sum(times) / len(times)
        say(f"  booth time per resident: {average:.1f} s (devices and Rekam; people not included)")
    conn = connect(office.edge_config.database.path)
    try:
        coverage = coverage_report(
            conn,
            # The office's day (recordings are dated in office time, not the machine's).
            as_of=dt.datetime.now(office.edge_config.timezone).date(),
            config=office.edge_config.coverage,
            calendar=WorkingCalendar(
                office.edge_config.calendar.weekly_days_off, office.edge_config.calendar.holidays
            ),
        )
    finally:
        conn.close()
    say("  coverage per kelurahan (recorded / required):")
    for line in coverage.kelurahan:
        if line.recorded:
            say(f"    {line.kelurahan:<15} {line.recorded:>4} / {line.required:<5}")
    total = coverage.total
    target = office.edge_config.coverage.target_share
    say(f"    {'office':<15} {total.recorded:>4} / {total.required:<5} target {target:.0%}")


def residents_to_try(office: DemoOffice, count: int = 5) -> None:
    say("  residents in the roster you can check in (NIK / KK, synthetic):")
    for r in office.residents[:: max(1, len(office.residents) // count)][:count]:
        say(f"    {r.nik} / {r.kk}  {r.name} ({r.kelurahan})")


def stop_on_sigterm() -> None:
    """``kill`` (SIGTERM) stops the demo as cleanly as Ctrl-C does."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=3, help="scripted residents (default 3)")
    parser.add_argument(
        "--every",
        type=float,
        default=0.0,
        help="headless: afterwards, one more scripted resident every so many seconds (0: none)",
    )
    parser.add_argument("--speed", type=float, default=2.0, help="emulated sensor speed factor")
    parser.add_argument("--keep", type=Path, help="keep the office's files in this directory")
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no window: scripted residents (without a display too)",
    )
    parser.add_argument("--once", action="store_true", help="headless: stop after the report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["control"]:
        return control.main(arguments[1:])
    args = parse_arguments(arguments)
    stop_on_sigterm()
    window = not args.headless and not args.once
    if window and not display_available(os.environ):
        say("no display here (DISPLAY is not set): scripted residents instead of a window")
        window = False

    if not selftest():
        say("the emulated hardware failed its self-test; see above")
        return 1
    root = args.keep or Path(tempfile.mkdtemp(prefix="rekam-demo-"))
    say(f"\n== Starting the office in {root} ==")
    uis: list[BoothUi] = []
    if window:
        prepare_kivy(root)
    office = DemoOffice(
        root,
        fingerprint_speed=args.speed,
        log=lambda m: say(f"  {m}"),
        booth_builder=window_booth_builder(uis) if window else None,
    )
    server: ControlServer | None = None
    scripted: ScriptedBooth | None = None
    try:
        office.start()
        server = ControlServer(DemoControl(office), root)
        server.start()
        user, password = office.demo_login
        say(f"\n  dashboard: {office.dashboard_url}  (login {user} / {password})")
        say(control_hint(root))
        if window:
            say(WINDOW_HINT)
            residents_to_try(office)
            run_window(uis[0])
            return 0
        scripted = ScriptedBooth(office, say)
        times = enroll_residents(scripted, args.residents)
        report(office, times)
        if not args.once:
            if args.every > 0:
                say(f"\nOne more scripted resident every {args.every:g} s.")
                scripted.keep_recording(args.every)
            say(
                f"\nThe office keeps running: open {office.dashboard_url} (login {user} /"
                f" {password}). Ctrl-C stops everything."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        say("\nstopping…")
    finally:
        if scripted is not None:
            scripted.stop()
        if server is not None:
            server.stop()
        office.stop()
        say("everything the demo started has stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
