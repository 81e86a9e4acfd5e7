"""The sensor module's own settings and system instructions, as the R30x/R503 datasheets give them.

:class:`ModuleSystem` keeps what a module stores in its flash (its address, its
handshake password, the 16 notepad pages of 32 bytes) and what it switches at run
time (the aura LED, the USB port), and answers the instructions that touch them:
SetPwd (12H), VfyPwd (13H), GetRandomCode (14H), SetAdder (15H), Control (17H,
port on/off), WriteNotepad (18H), ReadNotepad (19H), AuraLedConfig (35H) and the
two liveness checks, R503's HandShake (40H, answers 00) and R30x's GetEcho (53H,
answers 55). Every reply has the size the datasheet gives: a bare confirmation
code (12-byte packet), GetRandomCode code + 4 bytes (16), ReadNotepad code + 32
bytes (44).

The emulator answers at :attr:`ModuleSystem.address`: after SetAdder the module's
acknowledgement already comes from the new address (as the datasheet's packet
format says), and packets to the old address are ignored. After SetPwd the
session stays open, but VfyPwd needs the new password from then on, and after a
power cycle nothing but VfyPwd and the liveness checks is answered until it is given.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.fingerprint.protocol import Confirmation, Instruction

NOTEPAD_PAGES = 16
NOTEPAD_PAGE_SIZE = 32
_QUICK_SECONDS = 0.01
_FLASH_WRITE_SECONDS = 0.03


@dataclass(frozen=True)
class Reply:
    """The answer to one command: a confirmation code, its data, and what follows it."""

    code: int
    data: bytes = field(default=b"", repr=False)
    work_seconds: float = _QUICK_SECONDS
    upload: bytes | None = field(default=None, repr=False)  # data packets after the ack
    download_to: int | None = None  # buffer (0 = image) that data packets after the ack fill
    handshake: bool = False  # soft reset: one 0x55 byte after the ack


@dataclass(frozen=True)
class LedState:
    """The R503's aura LED as AuraLedConfig set it (control code, speed, colour, cycles)."""

    mode: int = 4  # off
    color: int = 0
    speed: int = 0
    cycles: int = 0


class ModuleSystem:
    """Address, password, notepad, port and LED of one module. Not locked: the
    sensor that owns it calls it with its own lock held."""

    def __init__(self, address: int, password: int) -> None:
        self.address = address
        self._password = password
        self.password_verified = password == 0
        self.port_enabled = True
        self.led = LedState()
        self._notepad = [bytes(NOTEPAD_PAGE_SIZE) for _ in range(NOTEPAD_PAGES)]
        self.handlers: dict[int, Callable[[bytes], Reply]] = {
            Instruction.SET_PASSWORD: self._set_password,
            Instruction.GET_RANDOM_CODE: self._random_code,
            Instruction.SET_ADDRESS: self._set_address,
            Instruction.PORT_CONTROL: self._port_control,
            Instruction.WRITE_NOTEPAD: self._write_notepad,
            Instruction.READ_NOTEPAD: self._read_notepad,
            Instruction.AURA_LED: self._aura_led,
        }

    @property
    def password_set(self) -> bool:
        """Whether a password other than the factory 0 is set (its value stays inside)."""
        return self._password != 0

    def power_cycle(self) -> None:
        """Flash survives; the verified password does not (unless none is set)."""
        self.password_verified = self._password == 0
        self.led = LedState()

    def answer_before_password(self, instruction: int, parameters: bytes) -> Reply | None:
        """The instructions a module answers whether or not the password was given."""
        if instruction == Instruction.VERIFY_PASSWORD:
            return self._verify_password(parameters)
        if instruction == Instruction.HANDSHAKE:
            return Reply(Confirmation.OK if not parameters else Confirmation.PACKET_RECEIVE_ERROR)
        if instruction == Instruction.GET_ECHO:
            return Reply(Confirmation.MODULE_OK)
        return None

    # ---- handlers -------------------------------------------------------------------

    def _verify_password(self, parameters: bytes) -> Reply:
        if len(parameters) != 4:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR)
        (given,) = struct.unpack(">I", parameters)
        if not secrets.compare_digest(given.to_bytes(4, "big"), self._password.to_bytes(4, "big")):
            return Reply(Confirmation.WRONG_PASSWORD)
        self.password_verified = True
        return Reply(Confirmation.OK)

    def _set_password(self, parameters: bytes) -> Reply:
        if len(parameters) != 4:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR)
        (self._password,) = struct.unpack(">I", parameters)
        return Reply(Confirmation.OK, work_seconds=_FLASH_WRITE_SECONDS)

    def _random_code(self, parameters: bytes) -> Reply:
        if parameters:  # an error reply keeps the datasheet's size (the data zeroed)
            return Reply(Confirmation.PACKET_RECEIVE_ERROR, bytes(4))
        return Reply(Confirmation.OK, secrets.token_bytes(4))

    def _set_address(self, parameters: bytes) -> Reply:
        if len(parameters) != 4:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR)
        (self.address,) = struct.unpack(">I", parameters)
        return Reply(Confirmation.OK, work_seconds=_FLASH_WRITE_SECONDS)

    def _port_control(self, parameters: bytes) -> Reply:
        if len(parameters) != 1:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR)
        if parameters[0] not in (0, 1):
            return Reply(Confirmation.PORT_OPERATION_FAIL)
        self.port_enabled = parameters[0] == 1  # the USB port; the UART keeps answering
        return Reply(Confirmation.OK)

    def _write_notepad(self, parameters: bytes) -> Reply:
        if len(parameters) != 1 + NOTEPAD_PAGE_SIZE or parameters[0] >= NOTEPAD_PAGES:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR)
        self._notepad[parameters[0]] = bytes(parameters[1:])
        return Reply(Confirmation.OK, work_seconds=_FLASH_WRITE_SECONDS)

    def _read_notepad(self, parameters: bytes) -> Reply:
        if len(parameters) != 1 or parameters[0] >= NOTEPAD_PAGES:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR, bytes(NOTEPAD_PAGE_SIZE))
        return Reply(Confirmation.OK, self._notepad[parameters[0]])

    def _aura_led(self, parameters: bytes) -> Reply:
        if len(parameters) != 4:
            return Reply(Confirmation.PACKET_RECEIVE_ERROR)
        mode, speed, color, cycles = parameters
        self.led = LedState(mode=mode, color=color, speed=speed, cycles=cycles)
        return Reply(Confirmation.OK)
