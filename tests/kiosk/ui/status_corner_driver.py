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

    from ui_driver import Driver, configure_window, run_app_with_scenario  # noqa: PLC0415

    configure_window(width, height)  # before anything opens the Window
    import scenario_status_corner  # noqa: PLC0415 - beside this script

    ui = scenario_status_corner.build(args.booth_config)
    ui.start()
    app = ui.app
    report: dict[str, Any] = {"size": [width, height]}

    async def scenario(driver: Driver) -> None:
        await asyncio.wait_for(
            scenario_status_corner.run(driver, report, args.record), SCENARIO_TIMEOUT_S
        )

    try:
        run_app_with_scenario(app, ui, args.out, scenario, report)
    finally:
        ui.close()
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
