"""Start each emulated device on its own and say where a standard client reaches it.

=============  ==========================================  ===================================
device         what runs                                   how to reach it
=============  ==========================================  ===================================
fingerprint    the R30x/R503 emulator on a pseudo-terminal  the pty path (pyserial, socat,
                                                           adafruit_fingerprint)
smartcard      a card program in pcscd's vpcd reader        the PC/SC reader name (opensc-tool,
               (a running pcscd is reused, else started)    pcsc_scan, pyscard, pkcs11-tool)
ups            a real upsd + NUT's dummy-ups, loopback      ``upsc NAME@127.0.0.1:PORT``; edit
                                                           the state file to change the UPS
camera         the emulated camera as MJPEG over HTTP       ``http://127.0.0.1:PORT/stream.mjpg``
                                                           (OpenCV, ffplay, VLC, a browser)
=============  ==========================================  ===================================
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hardware.camera.emulated import EmulatedCamera
from hardware.camera.images import load_image_files
from hardware.emulate.camera_stream import MjpegCameraServer
from hardware.emulate.cards import (
    CARD_FACTORIES,
    OPERATOR_NAME,
    RESIDENT_NAME,
    CardOrder,
    make_card,
)
from hardware.fingerprint.config import EmulatedFingerprintConfig
from hardware.fingerprint.emulator import SensorEmulator
from hardware.smartcard.config import EmulatedSmartCardConfig
from hardware.smartcard.emulated import EmulatedSmartCardReader
from hardware.ups.emulated import EmulatedUps


@dataclass(frozen=True)
class EmulatedService:
    """A started device: where to reach it (the text after ``ready:``) and how to stop it."""

    ready: str
    stop: Callable[[], None]


@dataclass(frozen=True)
class DeviceEntry:
    """One ``emulate`` device: its options and how to start it from them."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    start: Callable[[argparse.Namespace], EmulatedService]


def _word(text: str) -> int:
    value = int(text, 0)
    if not 0 <= value <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError("a 32-bit value (0 to 0xFFFFFFFF)")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError("a share between 0 and 1") from err
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share between 0 and 1")
    return value


# ---- fingerprint ----------------------------------------------------------------------


def _fingerprint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=float, default=1.0, help="1 = real time (default)")
    parser.add_argument("--address", type=_word, default=0xFFFFFFFF, help="module address")
    parser.add_argument("--password", type=_word, default=0, help="module password (0: none)")
    parser.add_argument(
        "--finger", metavar="NAME", help="keep this finger on the glass, e.g. 'budi:right_thumb'"
    )
    parser.add_argument(
        "--messy-image-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="share of images a worn sensor answers 'too messy' (0-1): residents retry",
    )


def start_fingerprint(args: argparse.Namespace) -> EmulatedService:
    config = EmulatedFingerprintConfig(
        speed=args.speed,
        address=args.address,
        password=args.password,
        messy_image_rate=args.messy_image_rate,
    )
    emulator = SensorEmulator(config).start()
    if args.finger:
        emulator.present_finger(args.finger)
    return EmulatedService(
        f"fingerprint {emulator.port} (R30x/R503 packets at {config.baudrate} baud, "
        f"address {config.address:08X})",
        emulator.stop,
    )


# ---- smartcard ------------------------------------------------------------------------


def _smartcard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--card", choices=sorted(CARD_FACTORIES), default="resident", help="the card to hold"
    )
    parser.add_argument("--pin", help="the operator card's PIN, 6-8 digits (--card operator)")
    parser.add_argument(
        "--puk", default=CardOrder.puk, help="the operator card's PUK, 8 characters"
    )
    parser.add_argument(
        "--office-ca",
        type=Path,
        help="office CA directory (ca.key, ca.crt) that certifies the operator card; "
        "default: a throwaway CA no booth trusts",
    )
    parser.add_argument(
        "--operator-id", default=CardOrder.operator_id, help="the operator card's operator id"
    )
    parser.add_argument("--nik", default=CardOrder.nik, help="the resident card's NIK")
    parser.add_argument(
        "--name",
        help=f"the card holder's name (default {RESIDENT_NAME!r}, operator {OPERATOR_NAME!r})",
    )


def start_smartcard(args: argparse.Namespace) -> EmulatedService:
    order = CardOrder(
        pin=args.pin,
        puk=args.puk,
        office_ca=args.office_ca,
        operator_id=args.operator_id,
        nik=args.nik,
        name=args.name,
    )
    card = make_card(args.card, order)
    reader = EmulatedSmartCardReader(EmulatedSmartCardConfig())
    try:
        reader.insert_card(card)  # returns once pcscd sees the card
    except BaseException:
        reader.close()
        raise
    started = "started" if reader.started_pcscd else "running"
    return EmulatedService(
        f"smartcard {args.card} card in PC/SC reader '{reader.endpoint.reader_name}' "
        f"(pcscd {started})",
        reader.close,
    )


# ---- ups ------------------------------------------------------------------------------


def _ups_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="dummy", help="the UPS name in upsd")
    parser.add_argument("--status", default="OL", help="ups.status at start, e.g. 'OB LB'")
    parser.add_argument("--charge", type=float, default=100.0, help="battery.charge (%%)")
    parser.add_argument("--runtime", type=int, default=1800, help="battery.runtime (seconds)")


def start_ups(args: argparse.Namespace) -> EmulatedService:
    ups = EmulatedUps(
        args.name,
        initial_status=args.status,
        initial_charge=args.charge,
        initial_runtime=args.runtime,
    )
    server = ups.server
    return EmulatedService(
        f"ups {server.ups_name}@{server.host}:{server.port} (host {server.host}, port "
        f"{server.port}, UPS {server.ups_name}; state file {server.dev_file})",
        ups.close,
    )


# ---- camera ---------------------------------------------------------------------------


def _camera_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="loopback port (0: a free one)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--image", type=Path, action="append", help="an image to show (repeat for several)"
    )
    source.add_argument("--video", type=Path, help="a video file to play")
    parser.add_argument("--fps", type=float, help="frames per second (default 15)")


def start_camera(args: argparse.Namespace) -> EmulatedService:
    frames = load_image_files(args.image) if args.image else None
    camera = EmulatedCamera(frames, video_path=args.video, fps=args.fps)
    server = MjpegCameraServer(camera, args.port)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return EmulatedService(
        f"camera {server.stream_url} (MJPEG over HTTP; one frame: {server.still_url})",
        server.stop,
    )


DEVICES: dict[str, DeviceEntry] = {
    "fingerprint": DeviceEntry(
        "an R30x/R503 fingerprint sensor on a pty", _fingerprint_arguments, start_fingerprint
    ),
    "smartcard": DeviceEntry(
        "a card in pcscd's virtual (vpcd) reader", _smartcard_arguments, start_smartcard
    ),
    "ups": DeviceEntry("a UPS served by a real upsd (NUT)", _ups_arguments, start_ups),
    "camera": DeviceEntry(
        "the camera as an MJPEG stream over HTTP", _camera_arguments, start_camera
    ),
}
