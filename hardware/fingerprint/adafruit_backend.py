"""The real sensor backend: ``adafruit_fingerprint`` over a pyserial port.

The port is opened on first use and again after the sensor went away, so a booth
keeps working when a technician re-plugs the sensor. Every call is bounded by the
reply timeout. Library return codes, short reads, bad packets and serial failures
all become :mod:`hardware.errors` classes with a plain sentence.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from adafruit_fingerprint import Adafruit_Fingerprint

from hardware.base import SelfTestResult
from hardware.errors import (
    CaptureError,
    DeviceError,
    DeviceProtocolError,
    DeviceTimeout,
    DeviceUnavailable,
)
from hardware.fingerprint.config import RealFingerprintConfig
from hardware.fingerprint.link import CheckedSerialLink
from hardware.fingerprint.protocol import Confirmation, confirmation_name
from hardware.fingerprint.sensor import FingerprintSensor, LedColor, LedMode

T = TypeVar("T")

_LED_COLORS: dict[str, int] = {"red": 1, "blue": 2, "purple": 3}
_LED_MODES: dict[str, int] = {"breathe": 1, "flash": 2, "on": 3, "off": 4}

_CODE_ERRORS: dict[int, tuple[type[DeviceError], str]] = {
    Confirmation.PACKET_RECEIVE_ERROR: (
        DeviceProtocolError,
        "The fingerprint sensor could not read the command it was sent.",
    ),
    Confirmation.IMAGE_FAIL: (
        CaptureError,
        "The sensor could not take an image; clean the glass and try again.",
    ),
    Confirmation.IMAGE_MESSY: (
        CaptureError,
        "The fingerprint image is too messy; wipe the finger and the glass, then try again.",
    ),
    Confirmation.FEATURE_FAIL: (
        CaptureError,
        "The fingerprint image shows too few features; press the finger flat and try again.",
    ),
    Confirmation.INVALID_IMAGE: (
        CaptureError,
        "There is no usable fingerprint image; place the finger again.",
    ),
    Confirmation.ENROLL_MISMATCH: (
        CaptureError,
        "The two impressions do not match: place the same finger again.",
    ),
    Confirmation.WRONG_PASSWORD: (
        DeviceUnavailable,
        "The fingerprint sensor refused the configured password.",
    ),
    Confirmation.PASSWORD_NEEDED: (
        DeviceUnavailable,
        "The fingerprint sensor wants its password first; check the configured password.",
    ),
    Confirmation.BAD_LOCATION: (
        DeviceProtocolError,
        "The fingerprint sensor has no library location with that number.",
    ),
    Confirmation.READ_TEMPLATE_FAIL: (
        DeviceProtocolError,
        "The fingerprint sensor's library holds no template at that location.",
    ),
    Confirmation.UPLOAD_FEATURE_FAIL: (
        DeviceProtocolError,
        "The fingerprint sensor has no template in its buffer to send.",
    ),
    Confirmation.FLASH_ERROR: (DeviceProtocolError, "The fingerprint sensor's memory failed."),
}


class _Driver(Adafruit_Fingerprint):
    """The Adafruit driver without the constructor's probing, which raises bare RuntimeErrors.

    The backend probes the sensor itself (password, then parameters) with typed errors.
    """

    def __init__(self, link: CheckedSerialLink, password: int, address: int) -> None:
        # Deliberately not calling the base constructor: it talks to the sensor.
        self._uart = link
        self.password = tuple(password.to_bytes(4, "big"))
        self.address = list(address.to_bytes(4, "big"))
        self.templates: list[int] = []


class AdafruitFingerprintSensor(FingerprintSensor):
    """An R30x/R503 sensor on a serial port, through ``adafruit_fingerprint``."""

    def __init__(self, config: RealFingerprintConfig) -> None:
        super().__init__(match_threshold=config.match_threshold, poll_interval=config.poll_interval)
        self.config = config
        self._link: CheckedSerialLink | None = None
        self._driver: _Driver | None = None
        self._resync = False

    # ---- primitives ---------------------------------------------------------------

    def _take_image(self) -> bool:
        code = self._run("taking an image", lambda d: d.get_image())
        if code == Confirmation.NO_FINGER:
            return False
        _expect_ok(code, "taking an image")
        return True

    def _image_to_buffer(self, slot: int) -> None:
        code = self._run("reading the fingerprint image", lambda d: d.image_2_tz(slot))
        _expect_ok(code, "reading the fingerprint image")

    def _match_buffers(self) -> int:
        def match(driver: _Driver) -> int:
            code = driver.compare_templates()
            if code == Confirmation.NO_MATCH:
                return 0
            _expect_ok(code, "comparing two fingerprints")
            confidence = driver.confidence
            return int(confidence[0] if isinstance(confidence, tuple) else confidence)

        return self._run("comparing two fingerprints", match)

    def _create_model(self) -> None:
        code = self._run("combining the two impressions", lambda d: d.create_model())
        _expect_ok(code, "combining the two impressions")

    def _read_buffer(self, slot: int) -> bytes:
        def upload(driver: _Driver) -> bytes:
            try:
                data = driver.get_fpdata("char", slot)
            except UnboundLocalError:  # the library's way of saying the sensor refused
                _expect_ok(self._last_ack_code(), "sending a template")
                raise
            _expect_ok(self._last_ack_code(), "sending a template")
            return bytes(data)

        return self._run("sending a template", upload)

    def _write_buffer(self, slot: int, template: bytes) -> None:
        packet_size = self._packet_size()
        if len(template) % packet_size:
            raise ValueError(
                f"a template must be a whole number of {packet_size}-byte packets "
                f"(got {len(template)} bytes)"
            )

        def download(driver: _Driver) -> None:
            driver.send_fpdata(list(template), "char", slot)
            _expect_ok(self._last_ack_code(), "receiving a template")

        self._run("receiving a template", download)

    def _search_buffer(self, slot: int) -> tuple[int, int] | None:
        if slot != 1:
            raise ValueError("adafruit_fingerprint searches char buffer 1 only")

        def search(driver: _Driver) -> tuple[int, int] | None:
            code = driver.finger_search()
            if code == Confirmation.NOT_FOUND:
                return None
            _expect_ok(code, "searching the library")
            return int(driver.finger_id), int(driver.confidence)

        return self._run("searching the library", search)

    def _store_buffer(self, slot: int, location: int) -> None:
        self._check_location(location)
        code = self._run("storing a template", lambda d: d.store_model(location, slot))
        _expect_ok(code, "storing a template")

    def _load_buffer(self, slot: int, location: int) -> None:
        self._check_location(location)
        code = self._run("loading a template", lambda d: d.load_model(location, slot))
        _expect_ok(code, "loading a template")

    # ---- library and parameters ---------------------------------------------------

    def template_count(self) -> int:
        def count(driver: _Driver) -> int:
            _expect_ok(driver.count_templates(), "counting templates")
            return int(driver.template_count)

        return self._run("counting templates", count)

    def stored_locations(self) -> list[int]:
        """Library locations that hold a template (the sensor's index table)."""

        def index(driver: _Driver) -> list[int]:
            _expect_ok(driver.read_templates(), "reading the index table")
            return sorted(driver.templates)

        return self._run("reading the index table", index)

    def parameters(self) -> dict[str, int | str]:
        def read(driver: _Driver) -> dict[str, int | str]:
            driver.read_sysparam()
            return {
                "status_register": int(driver.status_register),
                "system_id": int(driver.system_id),
                "library_size": int(driver.library_size),
                "security_level": int(driver.security_level),
                "device_address": bytes(driver.device_address).hex().upper(),
                "data_packet_size": 32 << int(driver.data_packet_size),
                "baudrate": int(driver.baudrate) * 9600,
            }

        return self._run("reading the system parameters", read)

    def delete(self, location: int) -> None:
        self._check_location(location)
        code = self._run("deleting a template", lambda d: d.delete_model(location))
        _expect_ok(code, "deleting a template")

    def clear_library(self) -> None:
        code = self._run("emptying the library", lambda d: d.empty_library())
        _expect_ok(code, "emptying the library")

    def set_led(self, color: LedColor, mode: LedMode) -> bool:
        """Set the R503's ring light; False when the sensor has none (R30x)."""
        code = self._run(
            "setting the light",
            lambda d: d.set_led(color=_LED_COLORS[color], mode=_LED_MODES[mode]),
        )
        return code == Confirmation.OK

    def self_test(self) -> SelfTestResult:
        try:
            code = self._run("checking the password", lambda d: d.verify_password())
            _expect_ok(code, "checking the password")
            parameters = self.parameters()
            count = self.template_count()
        except DeviceError as err:
            return SelfTestResult(self.name, False, str(err))
        return SelfTestResult(
            self.name,
            True,
            f"sensor answers on {self.config.port}: {count} of {parameters['library_size']} "
            f"templates stored, security level {parameters['security_level']}, "
            f"{parameters['baudrate']} baud",
        )

    # ---- connection ---------------------------------------------------------------

    def _run(self, what: str, operation: Callable[[_Driver], T]) -> T:
        """Run one exchange with the sensor, connecting first if needed."""
        with self._lock:
            if self.closed:
                raise DeviceUnavailable("The fingerprint sensor has been closed.", device=self.name)
            with self._translated(what):
                link, driver = self._connection()
                if self._resync:
                    link.drain()
                    self._resync = False
                else:
                    link.discard_input()
                return operation(driver)

    def _connection(self) -> tuple[CheckedSerialLink, _Driver]:
        if self._link is not None and self._driver is not None:
            return self._link, self._driver
        config = self.config
        link = CheckedSerialLink.open(config.port, config.baudrate, config.timeout, config.address)
        driver = _Driver(link, config.password, config.address)
        try:
            link.discard_input()
            _expect_ok(driver.verify_password(), "checking the password")
            driver.read_sysparam()
        except BaseException:
            link.close()
            raise
        self._link, self._driver = link, driver
        return link, driver

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except DeviceUnavailable:
            self._drop_connection()
            raise
        except (DeviceTimeout, DeviceProtocolError):
            self._resync = True
            raise
        except DeviceError:
            raise
        except (RuntimeError, struct.error, IndexError, TypeError, ValueError, NameError) as err:
            self._resync = True
            raise DeviceProtocolError(
                f"The fingerprint sensor sent a reply that makes no sense while {what}.",
                device=self.name,
            ) from err

    def _drop_connection(self) -> None:
        if self._link is not None:
            self._link.close()
        self._link = self._driver = None
        self._resync = False

    def _last_ack_code(self) -> int | None:
        return None if self._link is None else self._link.last_ack_code

    def _packet_size(self) -> int:
        return self._run("reading the packet size", lambda d: 32 << int(d.data_packet_size))

    def _check_location(self, location: int) -> None:
        size = self._run("reading the library size", lambda d: int(d.library_size))
        if not 0 <= location < size:
            raise ValueError(f"location must be between 0 and {size - 1}")

    def _close(self) -> None:
        with self._lock:
            self._drop_connection()


def _expect_ok(code: int | None, what: str) -> None:
    """Raise the typed error for a confirmation code other than OK."""
    if code == Confirmation.OK:
        return
    if code is None:
        raise DeviceProtocolError(
            f"The fingerprint sensor did not acknowledge while {what}.", device="fingerprint"
        )
    error, message = _CODE_ERRORS.get(
        code,
        (
            DeviceProtocolError,
            f"The fingerprint sensor reported error 0x{code:02X} "
            f"({confirmation_name(code)}) while {what}.",
        ),
    )
    raise error(message, device="fingerprint")
