"""Run the forwarder alone: ``python -m edge_controller.upstream --config F --database D``.

``F`` is a TOML file with an ``[upstream]`` table (an edge config file works: other
tables are ignored). Useful when the edge service runs without it, and in tests that
kill the forwarder process. SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from edge_controller.config.upstream import UpstreamConfig
from edge_controller.upstream.forwarder import start_forwarder


async def _serve(config: UpstreamConfig, database: Path, timezone: ZoneInfo) -> None:
    forwarder = await start_forwarder(config, database, timezone=timezone)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await forwarder.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge_controller.upstream")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--timezone", default="Asia/Makassar")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with args.config.open("rb") as handle:
        config = UpstreamConfig.model_validate(tomllib.load(handle)["upstream"])
    asyncio.run(_serve(config, args.database, ZoneInfo(args.timezone)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
