"""An R30x/R503 fingerprint sensor emulated on a pseudo-terminal.

The emulator owns a pty pair and serves the master side from its own thread, like a
sensor on a UART: it parses command packets, works for a realistic time, and answers
with acknowledgement and data packets. Any serial client (``adafruit_fingerprint``
through pyserial, or raw bytes) talks to :attr:`SensorEmulator.port`, a stable symlink
to the current pty slave, the way ``/dev/serial/by-id/...`` follows a USB adapter.

Test controls: :meth:`present_finger`, :meth:`lift_finger`, :meth:`inject_fault`,
:meth:`clear_faults`, :meth:`disconnect`, :meth:`reconnect`. :attr:`traffic` is a log
of instruction names and confirmation codes, never of template bytes.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import shutil
import tempfile
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, get_args

from hardware.fingerprint.config import EmulatedFingerprintConfig
from hardware.fingerprint.protocol import (
    Frame,
    FrameReader,
    PacketId,
    build_packet,
    build_reply,
    confirmation_name,
    instruction_name,
)
from hardware.fingerprint.simulated_sensor import LedState, Reply, SimulatedSensor

log = logging.getLogger(__name__)

Fault = Literal["no_answer", "bad_checksum", "image_messy", "disconnect"]
FAULTS: tuple[str, ...] = get_args(Fault)
_TRAFFIC_KEPT = 1000
_WRITE_GIVE_UP_SECONDS = 2.0


@dataclass
class _Download:
    """Data packets being received after a download command."""

    target: int
    chunks: list[bytes] = field(default_factory=list)


class SensorEmulator:
    """A fingerprint sensor on a pty. Start it, point a serial client at :attr:`port`."""

    def __init__(self, config: EmulatedFingerprintConfig | None = None) -> None:
        self.config = config or EmulatedFingerprintConfig()
        self.sensor = SimulatedSensor(self.config.sensor_settings())
        self._directory = Path(tempfile.mkdtemp(prefix="rekam-fingerprint-"))
        self._link = self._directory / "ttyFINGERPRINT"
        self._faults: set[str] = set()
        self._traffic: deque[str] = deque(maxlen=_TRAFFIC_KEPT)
        self._control = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master_fd = -1
        self._slave_fd = -1
        self._removed = False

    # ---- lifecycle ----------------------------------------------------------------

    @property
    def port(self) -> str:
        """The serial port path to open (a symlink that follows reconnects)."""
        return str(self._link)

    @property
    def connected(self) -> bool:
        return self._thread is not None

    def start(self) -> Self:
        """Plug the sensor in: make a pty, point :attr:`port` at it, serve it."""
        with self._control:
            if self._removed:
                raise RuntimeError("this emulator was stopped; make a new one")
            if self._thread is not None:
                return self
            self._master_fd, self._slave_fd = os.openpty()
            tty.setraw(self._slave_fd)
            os.set_blocking(self._master_fd, False)
            temporary = self._link.with_suffix(".new")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(os.ttyname(self._slave_fd))
            temporary.replace(self._link)
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._serve,
                args=(self._master_fd, self._stop),
                name="fingerprint-emulator",
                daemon=True,
            )
            self._thread.start()
        self._record("connected")
        return self

    def disconnect(self) -> None:
        """Unplug the sensor: stop answering, close the pty, remove the port path."""
        with self._control:
            thread = self._thread
            if thread is None:
                return
            self._stop.set()
            thread.join(timeout=5)
            self._thread = None
            for fd in (self._master_fd, self._slave_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._master_fd = self._slave_fd = -1
            self._link.unlink(missing_ok=True)
            self.sensor.power_cycle()
        self._record("disconnected")

    def reconnect(self) -> None:
        """Plug the sensor back in (a new pty behind the same :attr:`port`)."""
        self._faults.discard("disconnect")
        self.start()

    def stop(self) -> None:
        """Unplug for good and remove the temporary directory. Idempotent."""
        self.disconnect()
        with self._control:
            self._removed = True
            shutil.rmtree(self._directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- test controls ------------------------------------------------------------

    def present_finger(self, identity: str, quality: int = 90) -> None:
        """Put the finger named ``identity`` on the glass (same name, same finger)."""
        self.sensor.present_finger(identity, quality)
        self._record(f"finger placed (quality {quality})")

    def lift_finger(self) -> None:
        self.sensor.lift_finger()
        self._record("finger lifted")

    def resident_following_prompts(
        self, identity: str, quality: int = 90, second: str | None = None
    ) -> Callable[[str], None]:
        """Place ``identity`` now; return an ``on_step`` for ``enroll_finger`` that acts
        like a resident: lifts at "lift", places again at "place_again" (``second`` names
        another finger to place the second time, to test a mismatch).
        """
        self.present_finger(identity, quality)

        def on_step(step: str) -> None:
            if step == "lift":
                self.lift_finger()
            elif step == "place_again":
                self.present_finger(second or identity, quality)

        return on_step

    @property
    def finger_present(self) -> bool:
        return self.sensor.finger_present

    def inject_fault(self, fault: Fault) -> None:
        """Make the sensor misbehave until :meth:`clear_faults`.

        ``no_answer``: commands are read and never answered. ``bad_checksum``: every
        reply carries a wrong checksum. ``image_messy``: every image-to-template
        conversion answers "image too messy". ``disconnect``: the sensor disappears
        now (see :meth:`disconnect`); :meth:`reconnect` or :meth:`clear_faults` brings
        it back.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        self._record(f"fault injected: {fault}")
        self._faults.add(fault)
        if fault == "image_messy":
            self.sensor.image_messy = True
        elif fault == "disconnect":
            self.disconnect()

    def set_messy_image_rate(self, rate: float) -> None:
        """Wear the glass: this share of images answers "image too messy" (0 = healthy)."""
        if not 0 <= rate <= 1:
            raise ValueError("the messy image rate is between 0 and 1")
        self.sensor.messy_image_rate = rate
        self._record(f"messy image rate {rate:g}")

    def clear_faults(self) -> None:
        """Back to a healthy sensor, plugged in."""
        was_disconnected = "disconnect" in self._faults
        self._faults.clear()
        self.sensor.image_messy = False
        self._record("faults cleared")
        if was_disconnected:
            self.reconnect()

    @property
    def faults(self) -> frozenset[str]:
        return frozenset(self._faults)

    @property
    def led(self) -> LedState:
        return self.sensor.led

    @property
    def address(self) -> int:
        """The module address the sensor answers at now (SetAdder changes it)."""
        return self.sensor.address

    def stored_locations(self) -> list[int]:
        """Library pages that hold a template."""
        return self.sensor.stored_locations()

    @property
    def traffic(self) -> list[str]:
        """What passed on the wire, by instruction name and confirmation code only."""
        return list(self._traffic)

    def clear_traffic(self) -> None:
        self._traffic.clear()

    def _record(self, entry: str) -> None:
        self._traffic.append(entry)
        log.debug("fingerprint emulator: %s", entry)

    # ---- serving (emulator thread) ------------------------------------------------

    def _serve(self, master_fd: int, stop: threading.Event) -> None:
        reader = FrameReader(gap_seconds=self.config.frame_gap_seconds)
        download: _Download | None = None
        while not stop.is_set():
            try:
                readable, _, _ = select.select([master_fd], [], [], 0.05)
                data = os.read(master_fd, 4096) if readable else b""
            except BlockingIOError:
                continue
            except OSError as err:  # closed under us by disconnect()
                if not stop.is_set():
                    log.warning("fingerprint emulator: pty read failed: %s", err)
                return
            for frame in reader.feed(data, time.monotonic()):
                download = self._on_frame(master_fd, stop, frame, download)

    def _on_frame(
        self, fd: int, stop: threading.Event, frame: Frame, download: _Download | None
    ) -> _Download | None:
        if frame.address != self.sensor.address:
            self._record("packet for another address ignored")
            return download
        if not frame.valid:
            self._record("packet with bad checksum -> PACKET_RECEIVE_ERROR")
            self._send(fd, stop, build_reply(0x01, address=self.sensor.address))
            return None
        if frame.packet_id in (PacketId.DATA, PacketId.END_OF_DATA):
            return self._on_data(frame, download)
        if frame.packet_id != PacketId.COMMAND:
            self._record(f"packet id 0x{frame.packet_id:02X} ignored")
            return download
        if download is not None:
            self._record("download abandoned by a new command")
        return self._on_command(fd, stop, frame.payload)

    def _on_data(self, frame: Frame, download: _Download | None) -> _Download | None:
        if download is None:
            self._record("data packet outside a transfer ignored")
            return None
        download.chunks.append(frame.payload)
        if frame.packet_id == PacketId.DATA:
            return download
        self.sensor.receive_download(download.target, b"".join(download.chunks))
        self._record(f"download complete ({len(download.chunks)} packets)")
        return None

    def _on_command(self, fd: int, stop: threading.Event, payload: bytes) -> _Download | None:
        name = instruction_name(payload[0])
        if "no_answer" in self._faults:
            self._record(f"{name} -> (no answer: fault)")
            return None
        reply: Reply = self.sensor.handle(payload[0], payload[1:])
        if stop.wait(reply.work_seconds / self.config.speed):
            return None
        self._record(f"{name} -> {confirmation_name(reply.code)}")
        # after SetAdder the module already answers from its new address
        ack = build_reply(reply.code, reply.data, self.sensor.address)
        if "bad_checksum" in self._faults:
            ack = ack[:-1] + bytes([ack[-1] ^ 0x5A])
        self._send(fd, stop, ack)
        if reply.handshake:
            self._send(fd, stop, b"\x55")
        if reply.upload is not None:
            for packet in self._data_packets(reply.upload):
                self._send(fd, stop, packet)
        return None if reply.download_to is None else _Download(reply.download_to)

    def _data_packets(self, data: bytes) -> list[bytes]:
        size = self.sensor.packet_size
        chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        return [
            build_packet(
                PacketId.END_OF_DATA if i == len(chunks) - 1 else PacketId.DATA,
                chunk,
                self.sensor.address,
            )
            for i, chunk in enumerate(chunks)
        ]

    def _send(self, fd: int, stop: threading.Event, data: bytes) -> None:
        if self.config.wire_time:
            seconds_on_wire = len(data) * 10 / self.config.baudrate
            if stop.wait(seconds_on_wire / self.config.speed):
                return
        deadline = time.monotonic() + _WRITE_GIVE_UP_SECONDS
        view = memoryview(data)
        while view and not stop.is_set():
            try:
                written = os.write(fd, view)
                view = view[written:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._record("reply dropped: nobody reads the port")
                    return
                select.select([], [fd], [], 0.05)
            except OSError as err:
                if err.errno not in (errno.EIO, errno.EBADF):
                    log.warning("fingerprint emulator: pty write failed: %s", err)
                return
