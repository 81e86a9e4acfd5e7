"""What every screen shares: the app (as a :class:`~kiosk.ui.ports.ScreenHost`), an error
line that follows the language, refresh."""

from __future__ import annotations

from typing import Any, cast

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from ektp.errors import RekamError
from kiosk.flow.session import Enrollment
from kiosk.ui.ports import ScreenHost


def after_pad_key(typed: str, key: str, max_length: int) -> str:
    """What a number pad shows after ``key``: ``delete``, ``clear``, or a digit (ignored
    once ``max_length`` digits are in)."""
    if key == "delete":
        return typed[:-1]
    if key == "clear":
        return ""
    return typed + key if len(typed) < max_length else typed


class KioskScreen(Screen):
    """A thin screen: ``fill()`` reads the flow into properties the ``.kv`` layout shows.

    Subclasses override ``fill``; actions call the flow, then ``self.app.sync()``.
    """

    error_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._error: BaseException | None = None
        self.pending_fits: set[Any] = set()
        """Fit-to-box labels of this screen that wait for it to show (widgets.fit)."""

    @property
    def app(self) -> ScreenHost:
        return cast("ScreenHost", App.get_running_app())

    def t(self, message: str) -> str:
        return self.app.tr(self.app.lang, message)

    def on_pre_enter(self, *_args: Any) -> None:
        self._error = None
        self.refresh()
        while self.pending_fits:
            self.pending_fits.pop()()  # a trigger: fits before the screen's first frame

    def refresh(self) -> None:
        self.error_text = self.app.describe(self._error) if self._error is not None else ""
        self.fill()

    def fill(self) -> None:
        """Read the flow's state into this screen's properties."""

    def enrollment(self) -> Enrollment | None:
        """The recording the operator is capturing, if any."""
        capture = self.app.capture
        return capture.enrollment if capture else None

    def show_error(self, err: BaseException | None) -> None:
        self._error = err
        self.refresh()

    def attempt(self, action: Any, *args: Any) -> bool:
        """Call a quick flow step; on a RekamError show it here. Then follow the flow."""
        try:
            action(*args)
        except RekamError as err:
            self.show_error(err)
            return False
        self._error = None
        self.app.sync()
        return True
