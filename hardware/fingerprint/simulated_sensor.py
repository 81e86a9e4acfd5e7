"""What the emulated sensor does with each instruction, apart from any wire or thread.

:class:`SimulatedSensor` holds the sensor's state (finger on the glass, image buffer,
two character buffers, the template library) and turns one command into a
:class:`Reply`; the module's own settings and system instructions (address, password,
notepad, port, aura LED) are :class:`~hardware.fingerprint.module_system.ModuleSystem`'s.
The emulator (``emulator.py``) frames replies and sends them.
"""

from __future__ import annotations

import random
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from hardware.fingerprint.module_system import LedState, ModuleSystem, Reply
from hardware.fingerprint.protocol import PACKET_SIZE_CODES, Confirmation, Instruction
from hardware.fingerprint.synthetic import (
    TEMPLATE_SIZE,
    Impression,
    encode_template,
    match_score,
    merge_templates,
)

__all__ = ["LedState", "Reply", "SensorSettings", "SimulatedSensor"]

IMAGE_SIZE = 256 * 288 // 2  # R30x images: 256 x 288 pixels, 4 bits each
_SYSTEM_ID = 0x0009


@dataclass(frozen=True)
class SensorSettings:
    """How the simulated sensor behaves. Times are at ``speed`` 1 (real time)."""

    address: int = 0xFFFFFFFF
    password: int = 0
    library_size: int = 200
    packet_size: int = 128
    security_level: int = 3
    baudrate: int = 57600
    capture_seconds: float = 0.5
    no_finger_seconds: float = 0.05
    image_to_template_seconds: float = 0.3
    search_seconds: float = 0.05
    match_threshold: int = 50
    min_image_quality: int = 30
    seed: int = 0
    messy_image_rate: float = 0.0
    """Share of images a worn sensor answers "image too messy" (the resident retries)."""


class SimulatedSensor:
    """The sensor's brain. Thread-safe: test controls and the emulator thread share it."""

    def __init__(self, settings: SensorSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._noise = random.Random(settings.seed)
        self._finger: tuple[str, int] | None = None
        self._image: Impression | None = None
        self._buffers: dict[int, bytes | None] = {1: None, 2: None}
        self._library: dict[int, bytes] = {}
        self.system = ModuleSystem(settings.address, settings.password)
        self._security_level = settings.security_level
        self._packet_size = settings.packet_size
        self._baud_multiple = settings.baudrate // 9600
        self.image_messy = False
        self.messy_image_rate = settings.messy_image_rate
        self._wear = random.Random(settings.seed + 1)  # apart from the impressions' noise
        self._handlers: dict[int, Callable[[bytes], Reply]] = {
            Instruction.GET_IMAGE: self._get_image,
            Instruction.IMAGE_TO_TEMPLATE: self._image_to_template,
            Instruction.MATCH: self._match,
            Instruction.SEARCH: self._search,
            Instruction.FAST_SEARCH: self._search,
            Instruction.CREATE_MODEL: self._create_model,
            Instruction.STORE: self._store,
            Instruction.LOAD: self._load,
            Instruction.UPLOAD_TEMPLATE: self._upload_template,
            Instruction.DOWNLOAD_TEMPLATE: self._download_template,
            Instruction.UPLOAD_IMAGE: self._upload_image,
            Instruction.DOWNLOAD_IMAGE: lambda _: Reply(Confirmation.OK, download_to=0),
            Instruction.DELETE: self._delete,
            Instruction.EMPTY_LIBRARY: self._empty,
            Instruction.SET_SYSTEM_PARAMETER: self._set_parameter,
            Instruction.READ_SYSTEM_PARAMETERS: self._read_parameters,
            Instruction.TEMPLATE_COUNT: self._template_count,
            Instruction.READ_INDEX_TABLE: self._index_table,
            Instruction.LED_ON: lambda _: Reply(Confirmation.OK),
            Instruction.LED_OFF: lambda _: Reply(Confirmation.OK),
            Instruction.SOFT_RESET: self._soft_reset,
            **self.system.handlers,
        }

    # ---- test controls ----------------------------------------------------------

    def present_finger(self, identity: str, quality: int) -> None:
        if not 0 <= quality <= 100:
            raise ValueError("quality must be between 0 and 100")
        with self._lock:
            self._finger = (identity, quality)

    def lift_finger(self) -> None:
        with self._lock:
            self._finger = None

    @property
    def finger_present(self) -> bool:
        return self._finger is not None

    @property
    def address(self) -> int:
        """The module address it answers at now (SetAdder changes it)."""
        return self.system.address

    @property
    def led(self) -> LedState:
        return self.system.led

    @property
    def packet_size(self) -> int:
        return self._packet_size

    def stored_locations(self) -> list[int]:
        with self._lock:
            return sorted(self._library)

    def power_cycle(self) -> None:
        """What a reconnect does: buffers and password state are lost, the library kept."""
        with self._lock:
            self._image = None
            self._buffers = {1: None, 2: None}
            self.system.power_cycle()

    # ---- the command interface --------------------------------------------------

    def handle(self, instruction: int, parameters: bytes) -> Reply:
        with self._lock:
            early = self.system.answer_before_password(instruction, parameters)
            if early is not None:
                return early
            if not self.system.password_verified:
                return Reply(Confirmation.PASSWORD_NEEDED)
            handler = self._handlers.get(instruction)
            if handler is None:
                return Reply(Confirmation.PACKET_RECEIVE_ERROR)
            try:
                return handler(parameters)
            except (struct.error, IndexError, ValueError):
                return Reply(Confirmation.PACKET_RECEIVE_ERROR)

    def receive_download(self, target: int, data: bytes) -> None:
        """Data packets after a download command, joined: a template for buffer 1 or 2."""
        with self._lock:
            if target in self._buffers:
                self._buffers[target] = data

    # ---- handlers (called with the lock held) -----------------------------------

    def _get_image(self, _: bytes) -> Reply:
        if self._finger is None:
            self._image = None
            return Reply(Confirmation.NO_FINGER, work_seconds=self.settings.no_finger_seconds)
        identity, quality = self._finger
        self._image = Impression.of(identity, quality, self._noise)
        return Reply(Confirmation.OK, work_seconds=self.settings.capture_seconds)

    def _image_to_template(self, parameters: bytes) -> Reply:
        slot = self._slot(parameters[0])
        seconds = self.settings.image_to_template_seconds
        if self._image is None:
            return Reply(Confirmation.INVALID_IMAGE, work_seconds=seconds)
        worn = self.messy_image_rate > 0 and self._wear.random() < self.messy_image_rate
        if self.image_messy or worn or self._image.quality < self.settings.min_image_quality:
            return Reply(Confirmation.IMAGE_MESSY, work_seconds=seconds)
        self._buffers[slot] = encode_template(self._image.features, self._image.quality)
        return Reply(Confirmation.OK, work_seconds=seconds)

    def _buffer_score(self) -> int:
        first, second = self._buffers[1], self._buffers[2]
        return 0 if first is None or second is None else match_score(first, second)

    def _match(self, _: bytes) -> Reply:
        score = self._buffer_score()
        code = Confirmation.OK if score >= self.settings.match_threshold else Confirmation.NO_MATCH
        return Reply(code, struct.pack(">H", score))

    def _search(self, parameters: bytes) -> Reply:
        slot = self._slot(parameters[0])
        start, count = struct.unpack(">HH", parameters[1:5])
        probe = self._buffers[slot]
        best_page, best_score = 0, 0
        if probe is not None:
            for page, template in self._library.items():
                if not start <= page < start + count:
                    continue
                score = match_score(probe, template)
                if score > best_score:
                    best_page, best_score = page, score
        seconds = self.settings.search_seconds
        if best_score < self.settings.match_threshold:
            return Reply(Confirmation.NOT_FOUND, bytes(4), work_seconds=seconds)
        return Reply(Confirmation.OK, struct.pack(">HH", best_page, best_score), seconds)

    def _create_model(self, _: bytes) -> Reply:
        first, second = self._buffers[1], self._buffers[2]
        if first is None or second is None or self._buffer_score() < self.settings.match_threshold:
            return Reply(Confirmation.ENROLL_MISMATCH)
        model = merge_templates(first, second)
        self._buffers[1] = self._buffers[2] = model
        return Reply(Confirmation.OK)

    def _store(self, parameters: bytes) -> Reply:
        slot = self._slot(parameters[0])
        (page,) = struct.unpack(">H", parameters[1:3])
        if page >= self.settings.library_size:
            return Reply(Confirmation.BAD_LOCATION)
        self._library[page] = self._buffers[slot] or bytes(TEMPLATE_SIZE)
        return Reply(Confirmation.OK, work_seconds=0.05)

    def _load(self, parameters: bytes) -> Reply:
        slot = self._slot(parameters[0])
        (page,) = struct.unpack(">H", parameters[1:3])
        if page >= self.settings.library_size:
            return Reply(Confirmation.BAD_LOCATION)
        if page not in self._library:
            return Reply(Confirmation.READ_TEMPLATE_FAIL)
        self._buffers[slot] = self._library[page]
        return Reply(Confirmation.OK)

    def _upload_template(self, parameters: bytes) -> Reply:
        template = self._buffers[self._slot(parameters[0])]
        if template is None:
            return Reply(Confirmation.UPLOAD_FEATURE_FAIL)
        return Reply(Confirmation.OK, upload=template)

    def _download_template(self, parameters: bytes) -> Reply:
        return Reply(Confirmation.OK, download_to=self._slot(parameters[0]))

    def _upload_image(self, _: bytes) -> Reply:
        if self._image is None:
            return Reply(Confirmation.UPLOAD_IMAGE_FAIL)
        # a grey ramp shaded by the impression: looks like an image, reveals nothing
        shade = self._image.quality % 16
        pixels = bytes(((i + shade) % 16) << 4 | (i // 16 % 16) for i in range(IMAGE_SIZE))
        return Reply(Confirmation.OK, upload=pixels)

    def _delete(self, parameters: bytes) -> Reply:
        start, count = struct.unpack(">HH", parameters[:4])
        if count == 0 or start + count > self.settings.library_size:
            return Reply(Confirmation.DELETE_FAIL)
        for page in range(start, start + count):
            self._library.pop(page, None)
        return Reply(Confirmation.OK)

    def _empty(self, _: bytes) -> Reply:
        self._library.clear()
        return Reply(Confirmation.OK, work_seconds=0.1)

    def _set_parameter(self, parameters: bytes) -> Reply:
        number, value = parameters[0], parameters[1]
        if number == 4 and 1 <= value <= 12:
            self._baud_multiple = value
        elif number == 5 and 1 <= value <= 5:
            self._security_level = value
        elif number == 6 and value in PACKET_SIZE_CODES.values():
            self._packet_size = 32 << value
        else:
            return Reply(Confirmation.INVALID_REGISTER)
        return Reply(Confirmation.OK)

    def _read_parameters(self, _: bytes) -> Reply:
        status = 0b0100 if self.system.password_verified else 0
        if self._image is not None:
            status |= 0b1000
        data = struct.pack(
            ">HHHHIHH",
            status,
            _SYSTEM_ID,
            self.settings.library_size,
            self._security_level,
            self.system.address,
            PACKET_SIZE_CODES[self._packet_size],
            self._baud_multiple,
        )
        return Reply(Confirmation.OK, data)

    def _template_count(self, _: bytes) -> Reply:
        return Reply(Confirmation.OK, struct.pack(">H", len(self._library)))

    def _index_table(self, parameters: bytes) -> Reply:
        first_page = parameters[0] * 256
        bitmap = bytearray(32)
        for page in self._library:
            offset = page - first_page
            if 0 <= offset < 256:
                bitmap[offset // 8] |= 1 << (offset % 8)
        return Reply(Confirmation.OK, bytes(bitmap))

    def _soft_reset(self, _: bytes) -> Reply:
        self._image = None
        self._buffers = {1: None, 2: None}
        return Reply(Confirmation.OK, handshake=True)

    @staticmethod
    def _slot(value: int) -> int:
        if value not in (1, 2):
            raise IndexError(value)
        return value
