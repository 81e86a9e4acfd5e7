"""Headless residents at the demo's booth: a first group, then (optionally) one every few
seconds while the office stays up, so a visitor watching the dashboard sees records
arrive — and sees what a power cut, a broken sensor or a cut link does to them.

The operator logs in once with the emulated card. Before calling the next resident the
operator checks the fingerprint sensor (its self-test over the wire), as one would at a
real booth: while it is broken, or while office power allows no new capture, nobody is
called; recording resumes by itself once the cause is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from demo.office import DemoOffice
from ektp.nik import format_masked
from kiosk.booth import Booth
from kiosk.flow.capture import CaptureStep
from kiosk.headless import HeadlessRunner, ResidentOutcome, signature_png
from kiosk.script import EnrollmentScript, ScriptResident


class ScriptedBooth:
    """Scripted residents through one booth of ``office``; ``say`` prints a line."""

    def __init__(self, office: DemoOffice, say: Callable[[str], None]) -> None:
        self.booth: Booth = office.booths[office.booth_ids[0]]
        self._say = say
        self._residents = self._queue(office)
        first = next(self._residents)
        self._runner = HeadlessRunner(self.booth, EnrollmentScript(residents=[first]))
        self._pending: ScriptResident | None = first
        self._current: ScriptResident | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.booth.follow_card_events(self.booth.run_locked)
        self._runner.log_in()

    @staticmethod
    def _queue(office: DemoOffice) -> Iterator[ScriptResident]:
        """Residents spread over the villages (every n-th of the roster, then the rest)."""
        residents = office.residents
        step = max(1, len(residents) // 10)
        order = list(range(0, len(residents), step))
        order += [index for index in range(len(residents)) if index % step]
        for index in order:
            r = residents[index]
            yield ScriptResident(nik=r.nik, kk=r.kk, name=r.name, kelurahan=r.kelurahan)

    def next_resident(self) -> ScriptResident | None:
        if self._pending is not None:
            resident, self._pending = self._pending, None
            return resident
        return next(self._residents, None)

    def enroll_one(self) -> ResidentOutcome | None:
        """Record the next resident; None when the roster is used up."""
        resident = self.next_resident()
        if resident is None:
            return None
        self._current = resident
        outcome = self._runner.enroll(resident)
        self._current = None
        flags = ", ".join(outcome.flags) or "no review flags"
        self._say(
            f"  ticket {outcome.ticket}  NIK {format_masked(resident.nik)}"
            f"  {resident.kelurahan:<15}"
            f" {outcome.fingers_captured} fingers, {outcome.seconds:5.1f} s, {flags}"
        )
        return outcome

    def blocked_because(self) -> str | None:
        """Why the operator would not call anyone now (None: go ahead)."""
        result = self.booth.sensor.self_test()
        if not result.ok:
            return "the fingerprint sensor does not answer"
        policy = self.booth.power
        if policy is not None and not policy.captures_allowed():
            return "office power allows no new capture"
        return None

    # -- one resident every few seconds ------------------------------------------------------

    def keep_recording(self, every_seconds: float) -> None:
        self._thread = threading.Thread(
            target=self._trickle, args=(every_seconds,), name="demo-residents", daemon=True
        )
        self._thread.start()

    def _trickle(self, every_seconds: float) -> None:
        waiting_for: str | None = None
        while not self._stop.wait(every_seconds):
            reason = self.blocked_because()
            if reason != waiting_for:
                if reason is not None:
                    self._say(f"  (booth waits: {reason})")
                elif waiting_for is not None:
                    self._say("  (booth records again)")
                waiting_for = reason
            if reason is not None:
                continue
            try:
                if self._current is not None:
                    self._finish_interrupted(self._current)
                elif self.enroll_one() is None:
                    self._say("  (every resident of the demo roster is recorded)")
                    return
            except Exception as err:  # the demo goes on; the visitor sees why
                self._say(f"  a recording was interrupted ({type(err).__name__}: {err})")
                if self.booth.capture.step is not CaptureStep.FINGERPRINTS:
                    self._say("  the scripted residents stop here")
                    return

    def _finish_interrupted(self, resident: ScriptResident) -> None:
        """The operator finishes the session a broken sensor interrupted: the fingers
        still missing, the signature, the seal."""
        flow = self.booth.capture
        self._runner.capture_fingers(resident)
        flow.submit_signature(signature_png(resident.nik))
        flow.seal()
        self._current = None
        self._say(f"  NIK {format_masked(resident.nik)}: recording finished after the repair")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
