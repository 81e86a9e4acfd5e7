"""``./setup.sh demo`` — a whole recording office on this machine, on emulated hardware.

    python -m demo                    scripted residents, then the office stays up for the
                                      dashboard until Ctrl-C
    python -m demo --residents 10     more residents
    python -m demo --once             stop after the report

Starts the office CA, mosquitto with per-booth TLS certificates, the edge service
with a synthetic Gunung Tabur roster, and a booth whose fingerprint sensor, card
reader and camera are emulated at the wire level. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from demo.office import DemoOffice
from edge_controller.calendar import WorkingCalendar
from edge_controller.coverage import CoverageConfig, coverage_report
from edge_controller.db import connect
from ektp.nik import format_masked
from hardware.config import HardwareConfig
from hardware.selftest import run_selftest
from kiosk.headless import HeadlessRunner
from kiosk.script import EnrollmentScript, ScriptResident


def say(text: str = "") -> None:
    print(text, flush=True)


def selftest() -> bool:
    say("== Hardware self-test (emulated devices) ==")
    results = run_selftest(HardwareConfig.emulated())
    for r in results:
        say(f"  {r.device:<12} {'ok' if r.ok else 'FAIL':<5} {r.detail}")
    return all(r.ok for r in results)


def enroll_residents(office: DemoOffice, count: int) -> list[float]:
    booth = office.booths[office.booth_ids[0]]
    chosen = office.residents[:: max(1, len(office.residents) // max(1, count))][:count]
    script = EnrollmentScript(
        residents=[
            ScriptResident(nik=r.nik, kk=r.kk, name=r.name, kelurahan=r.kelurahan) for r in chosen
        ]
    )
    runner = HeadlessRunner(booth, script)
    booth.follow_card_events(booth.run_locked)
    runner.log_in()
    say("\n== Residents (check-in at the touchscreen, then capture by the operator) ==")
    times = []
    for resident in script.residents:
        outcome = runner.enroll(resident)
        times.append(outcome.seconds)
        flags = ", ".join(outcome.flags) or "no review flags"
        say(
            f"  ticket {outcome.ticket}  NIK {format_masked(resident.nik)}"
            f"  {resident.kelurahan:<15}"
            f" {outcome.fingers_captured} fingers, {outcome.seconds:5.1f} s, {flags}"
        )
    return times


def wait_for_edge(office: DemoOffice, expected: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while (stored := office.stored_packets()) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
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
            conn, as_of=dt.date.today(), config=CoverageConfig(), calendar=WorkingCalendar()
        )
    finally:
        conn.close()
    say("  coverage per kelurahan (recorded / required):")
    for line in coverage.kelurahan:
        if line.recorded:
            say(f"    {line.kelurahan:<15} {line.recorded:>4} / {line.required:<5}")
    total = coverage.total
    say(f"    {'office':<15} {total.recorded:>4} / {total.required:<5} target 60%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=3, help="scripted residents (default 3)")
    parser.add_argument("--speed", type=float, default=2.0, help="emulated sensor speed factor")
    parser.add_argument("--keep", type=Path, help="keep the office's files in this directory")
    parser.add_argument("--headless", action="store_true", help="no window (the default)")
    parser.add_argument("--once", action="store_true", help="stop after the report")
    args = parser.parse_args(argv)

    if not selftest():
        say("the emulated hardware failed its self-test; see above")
        return 1
    root = args.keep or Path(tempfile.mkdtemp(prefix="rekam-demo-"))
    say(f"\n== Starting the office in {root} ==")
    office = DemoOffice(root, fingerprint_speed=args.speed, log=lambda m: say(f"  {m}"))
    try:
        office.start()
        user, password = office.demo_login
        say(f"\n  dashboard: {office.dashboard_url}  (login {user} / {password})")
        times = enroll_residents(office, args.residents)
        report(office, times)
        if not args.once:
            say(
                f"\nThe office keeps running: open {office.dashboard_url} (login {user} /"
                f" {password}). Ctrl-C stops everything."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        say("\nstopping…")
    finally:
        office.stop()
        say("everything the demo started has stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
