"""``rekam-kiosk``: the booth program.

rekam-kiosk --config booth.toml                      the touchscreen app
rekam-kiosk --config booth.toml --headless --script session.toml
rekam-kiosk --print-default-config
rekam-kiosk --config booth.toml mobile start --villages Tasuk,Birang | end | status
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tomllib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from ektp.errors import RekamError
from hardware.errors import DeviceError
from kiosk.config.booth import BoothConfig, load_booth_config
from kiosk.errors import KioskError
from kiosk.mobile.cli import add_mobile_commands, run_mobile_command

if TYPE_CHECKING:
    from kiosk.script import EnrollmentScript

log = logging.getLogger("rekam.kiosk")
T = TypeVar("T")

DEFAULT_CONFIG = """\
# Rekam booth configuration.
booth_id = "booth-01"
data_dir = "/var/lib/rekam"
central_public_key_path = "/etc/rekam/central-x25519.pem"

[office]
district_code = "640306"   # Gunung Tabur, Kabupaten Berau
fingers = "ten"            # or "index_only"
max_finger_tries = 3
min_finger_quality = 40

[office.photo]
rule = "by_birth_year"     # red for odd birth years, blue for even; or "white"

[timeouts]
resident_idle_seconds = 90
operator_idle_lock_seconds = 300

# [edge]
# host = "10.0.0.2"
# port = 8883
# ca_cert_path = "/etc/rekam/office-ca.crt"
# cert_path = "/etc/rekam/booth.crt"
# key_path = "/etc/rekam/booth.key"

# Operator cards must carry a certificate from the office CA (default: the [edge] CA).
# [operator_cards]
# issuer_cert_path = "/etc/rekam/office-ca.crt"
# crl_path = "/etc/rekam/office-ca.crl"   # revoked operator cards are refused

# Devices: see `rekam-hw --print-default-config` for every field.
[hardware.fingerprint]
backend = "emulated"
[hardware.smartcard]
backend = "emulated"
[hardware.camera]
backend = "emulated"
"""


def run_headless(config: BoothConfig, script: EnrollmentScript) -> int:
    # Imported here: the touchscreen app's cold start does not need the headless runner.
    from kiosk.booth import build_booth  # noqa: PLC0415
    from kiosk.headless import HeadlessRunner  # noqa: PLC0415

    booth = build_booth(config)
    try:
        outcome = HeadlessRunner(booth, script).run()
        print(
            json.dumps(
                {
                    "residents": [asdict(r) for r in outcome.residents],
                    "seconds": round(outcome.seconds, 3),
                    "outbox_depth": booth.outbox.depth(),
                },
                indent=2,
            )
        )
    finally:
        booth.close()
    return 0


def _read_toml(load: Callable[[Path], T], path: Path, what: str) -> T | None:
    """``load(path)``; None, after saying why on stderr, when the file cannot be read."""
    try:
        return load(path)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as err:
        print(f"rekam-kiosk: cannot read the {what}: {err}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rekam-kiosk", description="Rekam recording booth")
    parser.add_argument("--config", type=Path, help="the booth's TOML configuration")
    parser.add_argument("--headless", action="store_true", help="run without a screen")
    parser.add_argument("--script", type=Path, help="with --headless: the session to play")
    parser.add_argument("--kiosk", action="store_true", help="full screen, no cursor (the Pi)")
    parser.add_argument("--print-default-config", action="store_true")
    add_mobile_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    if args.print_default_config:
        print(DEFAULT_CONFIG, end="")
        return 0
    if args.config is None:
        parser.error("--config FILE is required")
    config = _read_toml(load_booth_config, args.config, "configuration")
    if config is None:
        return 2
    if args.command == "mobile":
        return run_mobile_command(config, args)
    if args.headless:
        if args.script is None:
            parser.error("--headless needs --script FILE")
        from kiosk.script import load_script  # noqa: PLC0415 - only for --headless

        script = _read_toml(load_script, args.script, "script")
        if script is None:
            return 1
        try:
            return run_headless(config, script)
        except (KioskError, RekamError, DeviceError, OSError) as err:
            # the kiosk's root, the domain's root, the devices' root; OSError: the data area
            print(f"rekam-kiosk: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
    from kiosk.ui.booth_app import run_app  # noqa: PLC0415 - Kivy only with a screen

    return run_app(config, kiosk=args.kiosk, voice=config.office.voice)


if __name__ == "__main__":
    sys.exit(main())
