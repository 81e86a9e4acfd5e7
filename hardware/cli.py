"""``rekam-hw``: the technician's hardware tool.

rekam-hw selftest [--config FILE] [--emulated] [--json]
rekam-hw emulate {fingerprint,smartcard,ups,camera} [options]
rekam-hw --print-default-config
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from pydantic import ValidationError

from hardware.config import HardwareConfig
from hardware.emulate import DEVICES, run_emulated
from hardware.errors import DeviceError
from hardware.selftest import run_selftest


def load_config(path: Path) -> HardwareConfig:
    """Read the ``[hardware]`` table of a booth/edge TOML file (or a file of device tables)."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    return HardwareConfig.model_validate(data.get("hardware", data))


def default_config_toml() -> str:
    lines = ['# Rekam hardware configuration. backend = "real" on a booth, "emulated" to try.']
    config = HardwareConfig.emulated()
    for name, field in HardwareConfig.model_fields.items():
        lines.append(f"\n# {field.title}: {field.description}")
        lines.append(f"[hardware.{name}]")
        device = getattr(config, name)
        fields = type(device).model_fields
        for key, value in device.model_dump(mode="json").items():
            description = fields[key].description if key in fields else None
            if description:
                lines.append(f"# {description}")
            if value is None:
                lines.append(f"# {key} = (not set)")
                continue
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _table(results: list) -> str:
    width = max(len(r.device) for r in results) if results else 6
    rows = [f"{'device':<{width}}  result  detail"]
    rows += [f"{r.device:<{width}}  {'ok' if r.ok else 'FAIL':<6}  {r.detail}" for r in results]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rekam-hw", description="Rekam hardware tool")
    parser.add_argument(
        "--print-default-config", action="store_true", help="print a starting configuration"
    )
    sub = parser.add_subparsers(dest="command")
    selftest = sub.add_parser("selftest", help="check every configured device")
    selftest.add_argument("--config", type=Path, help="TOML file with a [hardware] table")
    selftest.add_argument("--emulated", action="store_true", help="check emulated devices")
    selftest.add_argument("--json", action="store_true", help="print JSON instead of a table")
    selftest.add_argument("--timeout", type=float, default=30.0, help="seconds per device")
    emulate = sub.add_parser(
        "emulate",
        help="run one emulated device until SIGTERM/SIGINT",
        description="Start one emulated device on its own, print one line 'ready: ...' "
        "saying where to reach it, and run until SIGTERM or Ctrl-C.",
    )
    devices = emulate.add_subparsers(dest="device", metavar="DEVICE", required=True)
    for name, entry in DEVICES.items():
        entry.add_arguments(devices.add_parser(name, help=entry.help))
    args = parser.parse_args(argv)

    if args.print_default_config:
        print(default_config_toml(), end="")
        return 0
    if args.command == "emulate":
        return run_emulated(DEVICES[args.device], args)
    if args.command != "selftest":
        parser.print_help()
        return 2
    if args.emulated == bool(args.config):
        parser.error("give either --config FILE or --emulated")
    try:
        config = HardwareConfig.emulated() if args.emulated else load_config(args.config)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as err:
        print(f"rekam-hw: cannot read the configuration: {err}", file=sys.stderr)
        return 2
    try:
        results = run_selftest(config, timeout=args.timeout)
    except DeviceError as err:  # the self-test reports device faults; this is a last guard
        print(f"rekam-hw: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print(_table(results))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
