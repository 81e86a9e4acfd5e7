"""Run the real kiosk app under X, drive it like a person, write a JSON report.

    python tests/kiosk/ui/ui_driver.py <journey|screens> --out DIR --report FILE --size 800x480
    python tests/kiosk/ui/ui_driver.py <booth|frames> --booth-config booth.toml --out DIR ...

Started by the tests through ``ui_fixtures.run_driver`` (one subprocess per scenario:
Kivy's Window is global to a process). Touches are MotionEvents posted to Kivy's event
loop, the way an input provider posts a finger on the touchscreen. ``journey`` and
``screens`` run the app over the in-memory fakes of ``demo.kiosk_fakes``; ``booth`` and
``frames`` run it over a real booth (``kiosk.ui.booth_app.build_booth_ui``) on emulated
devices, which the scenario drives through their test controls like the people would.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import tempfile
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

SCENARIO_TIMEOUT_S = 120.0
BOOTH_SCENARIOS = ("booth", "frames", "training", "photo_guide")
_touch_ids = itertools.count(1000)


class Driver:
    """What a scenario uses: the app, its in-memory parts, touches, waits, screenshots."""

    def __init__(self, app: Any, parts: Any, out_dir: Path) -> None:
        from kivy.base import EventLoop  # noqa: PLC0415 - only after the Window is configured
        from kivy.core.window import Window  # noqa: PLC0415

        self.app = app
        self.parts = parts
        self.out_dir = out_dir
        self.window = Window
        self.event_loop = EventLoop

    # -- waiting ---------------------------------------------------------------------
    async def frames(self, count: int = 2) -> None:
        for _ in range(count):
            await asyncio.sleep(1 / 30)

    async def until(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def at(self, name: str, timeout: float = 30) -> Any:
        """Wait until screen ``name`` shows and no device work is running; return it."""
        app = self.app
        await self.until(
            lambda: app.screens.current == name and not app.busy,
            f"screen {name!r} (now {app.screens.current!r})",
            timeout,
        )
        await self.frames(2)
        return app.screens.current_screen

    async def idle(self) -> None:
        await self.until(lambda: not self.app.busy, "device work to finish")
        await self.frames(2)

    # -- touching ----------------------------------------------------------------------
    def _touch(self, x: float, y: float) -> Any:
        from kivy.input.motionevent import MotionEvent  # noqa: PLC0415

        window = self.window

        class FingerTouch(MotionEvent):
            def depack(self, args: dict[str, float]) -> None:
                self.sx, self.sy = args["x"], args["y"]
                super().depack(args)

        touch = FingerTouch(
            "finger",
            next(_touch_ids),
            {"x": x / window.width, "y": y / window.height},
            is_touch=True,
            type_id="touch",
        )
        touch.profile = ["pos"]
        return touch

    async def tap(self, widget: Any) -> None:
        x, y = widget.to_window(*widget.center)
        touch = self._touch(x, y)
        self.event_loop.post_dispatch_input("begin", touch)
        await self.frames(1)
        self.event_loop.post_dispatch_input("end", touch)
        await self.frames(2)

    async def drag(self, widget: Any, points: Iterable[tuple[float, float]]) -> None:
        """Drag a finger through ``points`` given as fractions (0–1) of the widget's box."""
        path = [widget.to_window(widget.x + fx * widget.width, widget.y + fy * widget.height)
                for fx, fy in points]  # fmt: skip
        touch = self._touch(*path[0])
        self.event_loop.post_dispatch_input("begin", touch)
        for x, y in path[1:]:
            touch.move({"x": x / self.window.width, "y": y / self.window.height})
            self.event_loop.post_dispatch_input("update", touch)
            await asyncio.sleep(0.01)
        self.event_loop.post_dispatch_input("end", touch)
        await self.frames(2)

    async def type_digits(self, screen: Any, digits: str) -> None:
        for digit in digits:
            await self.tap(screen.ids.pad.keys[digit])

    # -- looking -------------------------------------------------------------------------
    def screenshot(self, relative: str) -> str:
        target = self.out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            written = self.window.screenshot(name=os.path.join(tmp, "shot.png"))
            os.replace(written, target)
        return str(target)

    def text_problems(self) -> list[dict[str, Any]]:
        """Every visible label whose text does not fit its own box or leaves the window.

        A label counts when it has text, a box larger than one pixel and every ancestor
        is opaque. Its rendered texture (``texture_size``, the text's pixels) must fit
        inside its ``size`` (1 px slack for rounding), and its box must lie inside the
        window (1 px slack).
        """
        from kivy.uix.label import Label  # noqa: PLC0415

        problems: list[dict[str, Any]] = []
        width, height = self.window.size

        def visible(widget: Any) -> bool:
            while widget is not None and widget is not self.window:
                if widget.opacity <= 0:
                    return False
                widget = widget.parent
            return True

        def walk(widget: Any) -> Iterable[Any]:
            yield widget
            for child in widget.children:
                yield from walk(child)

        for root in self.window.children:
            for widget in walk(root):
                if not isinstance(widget, Label) or not widget.text.strip():
                    continue
                if widget.width <= 1 or widget.height <= 1 or not visible(widget):
                    continue
                widget.texture_update()
                tex_w, tex_h = widget.texture_size
                x0, y0 = widget.to_window(widget.x, widget.y)
                x1, y1 = widget.to_window(widget.right, widget.top)
                overflow = tex_w > widget.width + 1 or tex_h > widget.height + 1
                outside = x0 < -1 or y0 < -1 or x1 > width + 1 or y1 > height + 1
                if overflow or outside:
                    problems.append(
                        {
                            "text": widget.text[:80],
                            "texture": [round(tex_w), round(tex_h)],
                            "box": [round(widget.width), round(widget.height)],
                            "window_rect": [round(x0), round(y0), round(x1), round(y1)],
                            "font_size": round(float(widget.font_size), 1),
                        }
                    )
        return problems


def configure_window(width: int, height: int) -> None:
    """Fix the Window at ``width`` x ``height`` in the top-left corner; call before it opens."""
    from kivy.config import Config  # noqa: PLC0415 - must precede the Window

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "position", "custom")
    Config.set("graphics", "left", "0")
    Config.set("graphics", "top", "0")
    Config.set("kivy", "exit_on_escape", "0")


def run_app_with_scenario(
    app: Any,
    parts: Any,
    out_dir: Path,
    scenario: Callable[[Driver], Awaitable[None]],
    report: dict[str, Any],
) -> None:
    """Run ``app`` on asyncio while ``scenario`` drives it; set ``report["ok"]`` (and the error).

    The scenario starts once the app has a root widget and has drawn a few frames; the app
    stops when the scenario ends, however it ends.
    """

    async def drive() -> None:
        try:
            await asyncio.sleep(0.2)
            while app.root is None:
                await asyncio.sleep(0.05)
            driver = Driver(app, parts, out_dir)
            await driver.frames(3)
            await scenario(driver)
            report["ok"] = True
        except BaseException:
            report["ok"] = False
            report["error"] = traceback.format_exc()
        finally:
            app.stop()

    async def both() -> None:
        task = asyncio.ensure_future(drive())
        await app.async_run(async_lib="asyncio")
        await task

    asyncio.run(both())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=("journey", "screens", *BOOTH_SCENARIOS))
    parser.add_argument("--booth-config", type=Path, help="booth scenarios: the booth's TOML")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--size", default="800x480")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    configure_window(width, height)

    import scenario_booth  # noqa: PLC0415 - beside this script
    import scenario_frames  # noqa: PLC0415
    import scenario_journey  # noqa: PLC0415
    import scenario_photo_guide  # noqa: PLC0415
    import scenario_screens  # noqa: PLC0415
    import scenario_training  # noqa: PLC0415

    from demo.kiosk_fakes import build_demo_parts  # noqa: PLC0415
    from kiosk.ui.app import KioskApp  # noqa: PLC0415

    scenarios = {
        "journey": scenario_journey.run,
        "screens": scenario_screens.run,
        "booth": scenario_booth.run,
        "frames": scenario_frames.run,
        "training": scenario_training.run,
        "photo_guide": scenario_photo_guide.run,
    }
    closing: list[Any] = []
    if args.scenario in BOOTH_SCENARIOS:
        builders = {
            "booth": scenario_booth.build,
            "frames": scenario_booth.build,  # the booth scenario's booth
            "training": scenario_training.build,
            "photo_guide": scenario_photo_guide.build,
        }
        parts: Any = builders[args.scenario](args.booth_config)
        parts.start()
        closing.append(parts.close)
        app = parts.app
    else:
        parts = build_demo_parts(device_delay=0.05)
        app = KioskApp(**parts.kwargs)
    report: dict[str, Any] = {"size": [width, height]}

    async def scenario(driver: Driver) -> None:
        report["window"] = list(driver.window.size)
        await asyncio.wait_for(scenarios[args.scenario](driver, report), SCENARIO_TIMEOUT_S)

    try:
        run_app_with_scenario(app, parts, args.out, scenario, report)
    finally:
        for close in closing:
            close()
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
