"""The demo's booth window: the real touchscreen app over the demo office's booth.

:func:`window_booth_builder` makes :class:`~demo.office.DemoOffice` build its booth
under the app (``kiosk.ui.booth_app.build_booth_ui``) instead of bare; :func:`run_window`
then inserts the demo operator's card into the emulated reader, lets
:class:`~demo.stand_in.StandInResident` play the resident's face and fingers, and runs
the app until its window is closed (or Ctrl-C).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from demo.stand_in import StandInResident
from hardware.smartcard import EmulatedSmartCardReader, OperatorCard
from kiosk.booth import Booth
from kiosk.config.booth import BoothConfig
from kiosk.flow.ports import Roster

if TYPE_CHECKING:
    from kiosk.ui.booth_app import BoothUi

WINDOW_SIZE = (1024, 600)
DEMO_OPERATOR = ("OP-0001", "Operator Demo")
DEMO_OPERATOR_PIN = "246810"


def display_available(environ: dict[str, str] | os._Environ[str]) -> bool:
    """Whether a window can open here (an X or Wayland display)."""
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def prepare_kivy(root: Path) -> None:
    """Kivy's settings and caches in the demo's directory, nothing in ``~``; call first."""
    kivy_home = root / "kivy"
    shader_cache = root / "mesa-shader-cache"
    kivy_home.mkdir(parents=True, exist_ok=True)
    shader_cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(kivy_home))
    os.environ.setdefault("MESA_SHADER_CACHE_DIR", str(shader_cache))
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy leaves Python's logging alone
    from kiosk.ui.kiosk_mode import configure_kivy  # noqa: PLC0415 - Kivy only with a window

    configure_kivy(kiosk=False, size=WINDOW_SIZE)


def window_booth_builder(built: list[BoothUi]) -> Callable[[BoothConfig, Roster | None], Booth]:
    """A booth builder for ``DemoOffice``; each booth UI it makes is appended to ``built``."""

    def build(config: BoothConfig, roster: Roster | None) -> Booth:
        from kiosk.ui.booth_app import build_booth_ui  # noqa: PLC0415 - imports Kivy

        ui = build_booth_ui(config, roster=roster, demo_controls=True)
        built.append(ui)
        return ui.booth

    return build


def insert_operator_card_when_shown(ui: BoothUi, timeout: float = 60.0) -> threading.Thread:
    """Put the demo operator's card in the emulated reader once the first screen shows."""

    def insert() -> None:
        deadline = time.monotonic() + timeout
        while ui.app.root is None and time.monotonic() < deadline:
            time.sleep(0.1)
        reader = ui.booth.reader
        if ui.app.root is not None and isinstance(reader, EmulatedSmartCardReader):
            reader.insert_card(OperatorCard(*DEMO_OPERATOR, DEMO_OPERATOR_PIN))

    thread = threading.Thread(target=insert, name="demo-operator-card", daemon=True)
    thread.start()
    return thread


def run_window(ui: BoothUi) -> None:
    """Run the app until the window closes; the operator card goes in once it shows."""
    stand_in = StandInResident(ui.booth)
    ui.start()
    stand_in.start()
    try:
        insert_operator_card_when_shown(ui)
        asyncio.run(ui.app.async_run(async_lib="asyncio"))
    finally:
        stand_in.stop()
        ui.close()


WINDOW_HINT = f"""\
The booth window is open.
  operator: the demo operator card is in the reader; type PIN {DEMO_OPERATOR_PIN} on the pad.
  resident: "Resident check-in" (or the welcome screen) and type the NIK and KK of one of
            the residents listed below; then back on the operator side, "Insert a demo card",
            PIN, and call the ticket. The resident's face and fingers are played for you.
  Closing the window stops the whole demo."""
