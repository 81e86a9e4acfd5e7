"""Run the real booth app under X for ``scenario_status_corner``; write a JSON report.

    python tests/kiosk/ui/status_corner_driver.py --booth-config booth.toml \\
        --record poweroff.txt --out DIR --report FILE

Started by ``test_status_corner.py`` in a subprocess (Kivy's Window is global to a
process), like ``ui_driver.py`` whose :class:`Driver` (touches, waits, screenshots, the
clipping check) it reuses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import traceback
from pathlib import Path
from typing import Any

SCENARIO_TIMEOUT_S = 150.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--booth-config", type=Path, required=True)
    parser.add_argument("--record", type=Path, required=True, help="the shutdown recorder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    width, height = 800, 480

    from kivy.config import Config  # noqa: PLC0415 - must precede the Window

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "position", "custom")
    Config.set("graphics", "left", "0")
    Config.set("graphics", "top", "0")
    Config.set("kivy", "exit_on_escape", "0")

    import scenario_status_corner  # noqa: PLC0415 - beside this script
    from ui_driver import Driver  # noqa: PLC0415

    ui = scenario_status_corner.build(args.booth_config)
    ui.start()
    app = ui.app
    report: dict[str, Any] = {"size": [width, height]}

    async def drive() -> None:
        try:
            await asyncio.sleep(0.2)
            while app.root is None:
                await asyncio.sleep(0.05)
            driver = Driver(app, ui, args.out)
            await driver.frames(3)
            await asyncio.wait_for(
                scenario_status_corner.run(driver, report, args.record), SCENARIO_TIMEOUT_S
            )
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

    try:
        asyncio.run(both())
    finally:
        ui.close()
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
