"""The NUT network protocol's text lines: quoting, splitting and parsing.

Pure functions with no I/O, so the parser can be fuzzed. Every malformed line raises
:class:`hardware.errors.DeviceProtocolError`; a server ``ERR <CODE>`` line raises
:class:`NutServerError` (a :class:`hardware.errors.PowerSourceError`).
"""

from __future__ import annotations

from hardware.errors import DeviceProtocolError, PowerSourceError

DEVICE = "ups"

#: Longest line we accept from upsd (its own limit is far below this).
MAX_LINE_BYTES = 4096


class NutServerError(PowerSourceError):
    """upsd answered ``ERR <code>`` (``UNKNOWN-UPS``, ``DATA-STALE``, ``ACCESS-DENIED``...)."""

    def __init__(self, message: str, *, code: str, device: str = DEVICE) -> None:
        super().__init__(message, device=device)
        self.code = code


def quote(word: str) -> str:
    """Quote one word the way upsd does: ``"`` around it, ``\\`` before ``"`` and ``\\``."""
    escaped = word.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def split_words(line: str) -> list[str]:
    """Split a protocol line into words; quoted words may hold spaces and escapes."""
    if "\n" in line or "\r" in line or "\0" in line:
        raise DeviceProtocolError("upsd sent a line with a control character", device=DEVICE)
    words: list[str] = []
    current: list[str] = []
    in_word = in_quotes = escaped = False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            if not in_quotes:
                raise DeviceProtocolError("upsd sent a backslash outside quotes", device=DEVICE)
            escaped = True
        elif char == '"':
            if in_quotes:
                in_quotes = False
            elif in_word:
                raise DeviceProtocolError("upsd sent a quote inside a word", device=DEVICE)
            else:
                in_quotes = in_word = True
        elif char == " " and not in_quotes:
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            current.append(char)
            in_word = True
    if in_quotes or escaped:
        raise DeviceProtocolError("upsd sent an unterminated quoted value", device=DEVICE)
    if in_word:
        words.append("".join(current))
    return words


def raise_if_error(line: str) -> None:
    """Raise :class:`NutServerError` when ``line`` is upsd's ``ERR <CODE> [detail]``."""
    if line == "ERR" or line.startswith("ERR "):
        parts = line.split()
        code = parts[1] if len(parts) > 1 else "UNKNOWN"
        raise NutServerError(f"upsd refused the request: {code}", code=code)


def parse_var_line(line: str) -> tuple[str, str, str]:
    """Parse ``VAR <ups> <var> "<value>"`` into ``(ups, var, value)``."""
    words = split_words(line)
    if len(words) != 4 or words[0] != "VAR" or not words[1] or not words[2]:
        raise DeviceProtocolError("upsd sent a malformed VAR line", device=DEVICE)
    return words[1], words[2], words[3]


def parse_ups_line(line: str) -> tuple[str, str]:
    """Parse ``UPS <name> "<description>"`` (a ``LIST UPS`` entry) into ``(name, description)``."""
    words = split_words(line)
    if len(words) != 3 or words[0] != "UPS" or not words[1]:
        raise DeviceProtocolError("upsd sent a malformed UPS line", device=DEVICE)
    return words[1], words[2]


def parse_cmd_line(line: str) -> tuple[str, str]:
    """Parse ``CMD <ups> <command>`` (a ``LIST CMD`` entry) into ``(ups, command)``."""
    words = split_words(line)
    if len(words) != 3 or words[0] != "CMD" or not words[1] or not words[2]:
        raise DeviceProtocolError("upsd sent a malformed CMD line", device=DEVICE)
    return words[1], words[2]


def check_ok(line: str) -> None:
    """Accept upsd's ``OK`` (or ``OK TRACKING <id>``) to a command; raise otherwise."""
    raise_if_error(line)
    if line != "OK" and not line.startswith("OK "):
        raise DeviceProtocolError("upsd did not answer OK to a command", device=DEVICE)


def decode_line(raw: bytes) -> str:
    """Turn one raw line (with its newline) into text, or raise DeviceProtocolError."""
    if not raw.endswith(b"\n"):
        raise DeviceProtocolError("upsd sent a line without its newline", device=DEVICE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DeviceProtocolError("upsd sent a line that is not UTF-8", device=DEVICE) from err
    return text.removesuffix("\n").removesuffix("\r")
