"""Practice sessions in the UI: switching the app to a practice flow and back, and the
"Hasil latihan" screen.

:class:`TrainingMode` is the only place that swaps ``app.capture``: at a practice login
the booth's recording flow is locked and a practice flow (:mod:`kiosk.training.session`) takes
the operator screens; "Finish practice" (on the LATIHAN banner, on every screen) ends
it, shows the result and gives the screens back to the recording flow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import ListProperty, StringProperty

from ektp.i18n import N_
from kiosk.flow.capture import CaptureFlow, CaptureStep
from kiosk.training.score import step_averages, summarize
from kiosk.training.session import TrainingDesk, TrainingSession
from kiosk.ui.ports import ScreenHost
from kiosk.ui.screens.base import KioskScreen

RESULT_SCREEN = "training_result"
MSG_STARTING = N_("Starting the practice session…")
MSG_NO_RESULT = N_("No practice resident was finished.")
MSG_SCORE = N_("Score {score} of 100: {grade}")
MSG_RESIDENTS = N_("Practice residents finished: {count}")
MSG_AVERAGE = N_("Average time per resident: {seconds} s")
MSG_RETRIES = N_("Retries: {count}")
MSG_PHOTO_QUALITY = N_("Photo quality: {quality}")
MSG_FINGER_QUALITY = N_("Fingerprint quality: {quality}")
MSG_STEP_LINE = N_("{step}: {seconds} s, retries {retries}")
STEP_NAMES = {
    "documents": N_("Documents"),
    "photo": N_("Photo"),
    "fingers": N_("Fingerprints"),
    "signature": N_("Signature"),
    "review": N_("Review"),
}


class TrainingMode:
    """Moves the operator screens between the recording flow and a practice flow."""

    def __init__(
        self,
        desk: TrainingDesk,
        recording: CaptureFlow,
        card_present: Callable[[], bool] = lambda: False,
    ) -> None:
        self.desk = desk
        self.recording = recording
        self._card_present = card_present

    def log_in(self, app: ScreenHost, pin: str, on_error: Callable[[BaseException], None]) -> None:
        """The operator chose "Latihan" at the PIN pad: VERIFY off the UI thread, then enter."""
        app.run_blocking(
            app.tr(app.lang, MSG_STARTING),
            lambda: self.desk.start(pin),
            lambda session: self.enter(app, session),
            on_error,
        )

    def enter(self, app: ScreenHost, session: TrainingSession) -> None:
        if self.recording.step is not CaptureStep.LOCKED:
            self.recording.lock("training")
        app.capture = session.flow
        app.training_active = True
        app.side = "operator"
        app.sync()

    def finish(self, app: ScreenHost) -> None:
        """End the practice (from any screen), show its result, give the screens back."""
        if self.desk.session is None:
            return
        self.desk.finish()
        app.capture = self.recording
        app.training_active = False
        app.side = "operator"
        app.screens.current = RESULT_SCREEN

    def close_result(self, app: ScreenHost) -> None:
        """Back to the recording side: the PIN pad if the card is still in, else locked."""
        try:
            present = self._card_present()
        except Exception:  # a reader that fails here only means "log in again"
            present = False
        if present:
            self.recording.card_inserted()
        app.sync()


class TrainingResultScreen(KioskScreen):
    """ "Hasil latihan": the trainee's score, and time and retries per step."""

    score_text = StringProperty("")
    lines = ListProperty([])

    def fill(self) -> None:
        training = self.app.training
        result = training.desk.last_result if training is not None else None
        if result is None:
            self.score_text, self.lines = self.t(MSG_NO_RESULT), []
            return
        summary = summarize(result)
        if summary.residents_completed == 0:
            self.score_text = self.t(MSG_NO_RESULT)
        else:
            self.score_text = self.t(MSG_SCORE).format(
                score=summary.score, grade=self.t(summary.grade)
            )
        lines = [self.t(MSG_RESIDENTS).format(count=summary.residents_completed)]
        if summary.average_seconds is not None:
            lines.append(self.t(MSG_AVERAGE).format(seconds=f"{summary.average_seconds:.0f}"))
        lines.append(self.t(MSG_RETRIES).format(count=summary.retries))
        if summary.photo_quality is not None:
            lines.append(self.t(MSG_PHOTO_QUALITY).format(quality=f"{summary.photo_quality:.0f}"))
        if summary.finger_quality is not None:
            lines.append(self.t(MSG_FINGER_QUALITY).format(quality=f"{summary.finger_quality:.0f}"))
        for kind, seconds, retries in step_averages(result):
            lines.append(
                self.t(MSG_STEP_LINE).format(
                    step=self.t(STEP_NAMES[kind]), seconds=f"{seconds:.0f}", retries=retries
                )
            )
        self.lines = lines

    def close(self) -> None:
        training = self.app.training
        if training is not None:
            training.close_result(self.app)
        else:
            self.app.sync()


def finish_practice(app: Any) -> None:
    """The banner's "Finish practice" button (kv)."""
    if app.training is not None and not app.busy:
        app.training.finish(app)
