"""``rekam-hw emulate DEVICE``: each device on its own, reached by a standard client.

Each test starts the command as a subprocess, reads its ``ready:`` line, reaches the
device with a client that is not ours (pyserial and adafruit_fingerprint on the pty,
OpenSC's opensc-tool and pkcs11-tool through pcscd, NUT's upsc, OpenCV and urllib on
the camera stream), then stops it with SIGTERM (SIGINT once) and checks that nothing it started
is left: no process, no pty, no card in the reader, no server on the port.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import adafruit_fingerprint
import cv2
import numpy as np
import pytest
import serial
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from emulate_fixtures import ROOT, descendants, emulated, kill_leftovers, stop, wait_until_gone

from ektp.pki import OfficeCA
from hardware.emulate.cards import RESIDENT_NIK, CardOrder, resident_card
from hardware.smartcard.pcscd import VpcdEndpoint

pytestmark = pytest.mark.timeout(300)
PKCS11_MODULE = Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """A standard client's run: its output, whatever its exit status."""
    return subprocess.run(
        list(argv), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def vfypwd_packet() -> bytes:
    body = bytes([0x01, 0x00, 0x07, 0x13, 0, 0, 0, 0])
    return b"\xef\x01\xff\xff\xff\xff" + body + (sum(body) & 0xFFFF).to_bytes(2, "big")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_fingerprint_is_a_pty_a_raw_serial_client_and_the_library_reach(
    how: signal.Signals,
) -> None:
    with emulated("fingerprint", "--speed", "20", "--finger", "budi:right_thumb") as (
        process,
        line,
    ):
        match = re.fullmatch(r"ready: fingerprint (\S+) \(.*\)", line)
        assert match, line
        port = match.group(1)
        with serial.Serial(port, 57600, timeout=5) as raw:
            raw.write(vfypwd_packet())
            assert raw.read(12) == bytes.fromhex("EF01 FFFFFFFF 07 0003 00 000A")
            finger = adafruit_fingerprint.Adafruit_Fingerprint(raw)
            assert finger.library_size == 200
            assert finger.get_image() == adafruit_fingerprint.OK  # the finger kept on the glass

        assert stop(process, how) == 0
    assert not Path(port).exists()
    assert not Path(port).parent.exists()


@pytest.fixture
def opensc_tool() -> str:
    tool = shutil.which("opensc-tool")
    if tool is None:
        pytest.skip("OpenSC (opensc-tool) is not installed")
    return tool


def test_smartcard_resident_card_is_read_by_opensc_through_pcscd(
    smartcard_pcscd: VpcdEndpoint, opensc_tool: str
) -> None:
    expected_atr = resident_card(CardOrder()).atr
    with emulated("smartcard", "--card", "resident") as (process, line):
        match = re.fullmatch(r"ready: smartcard resident card in PC/SC reader '(.+)' \(.*\)", line)
        assert match, line
        reader = match.group(1)
        assert reader == smartcard_pcscd.reader_name
        atr = run(opensc_tool, "-r", reader, "-a")
        assert atr.stdout.strip().replace(":", "").lower() == expected_atr.hex(), atr
        nik = run(
            opensc_tool, "-r", reader,
            "-s", "00 A4 04 00 09 F0 52 45 4B 41 4D 4B 54 50",  # SELECT the e-KTP application
            "-s", "00 A4 02 0C 02 01 01",  # SELECT EF 0101 (NIK)
            "-s", "00 B0 00 00 10",  # READ BINARY 16 bytes
        )  # fmt: skip
        assert RESIDENT_NIK in nik.stdout
        assert nik.stdout.count("SW1=0x90, SW2=0x00") == 3

        assert stop(process) == 0
    after = run(opensc_tool, "-r", reader, "-a")
    assert after.returncode != 0  # the card is out of the reader
    assert expected_atr.hex() not in after.stdout.replace(":", "").lower()


@pytest.fixture
def pkcs11_tool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """OpenSC's pkcs11-tool with opensc-pkcs11.so: how Linux software uses a PIV card."""
    if shutil.which("pkcs11-tool") is None or not PKCS11_MODULE.exists():
        pytest.skip("OpenSC (pkcs11-tool, opensc-pkcs11.so) is not installed")
    return lambda *args: run("pkcs11-tool", "--module", str(PKCS11_MODULE), *args)


def sign_with(
    pkcs11_tool: Callable[..., subprocess.CompletedProcess[str]], pin: str, folder: Path
) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """Sign a message with slot 9A (id 01) after ``pin``; (the run, the message)."""
    message, signature = folder / f"message-{pin}", folder / f"signature-{pin}"
    message.write_bytes(b"challenge " + pin.encode())
    done = pkcs11_tool(
        "--login", "--pin", pin, "--sign", "--mechanism", "ECDSA-SHA256", "--id", "01",
        "--input-file", str(message), "--output-file", str(signature),
    )  # fmt: skip
    return done, message.read_bytes()


def certificate_on_card(
    pkcs11_tool: Callable[..., subprocess.CompletedProcess[str]], folder: Path
) -> x509.Certificate:
    out = folder / "cert.der"
    done = pkcs11_tool("--read-object", "--type", "cert", "--id", "01", "--output-file", str(out))
    assert done.returncode == 0, done.stderr
    return x509.load_der_x509_certificate(out.read_bytes())


def assert_signed_by_card(certificate: x509.Certificate, message: bytes, raw: bytes) -> None:
    """pkcs11-tool writes r || s; the card's certified key must verify it."""
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    half = len(raw) // 2
    der = encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:]))
    key.verify(der, message, ec.ECDSA(hashes.SHA256()))


def test_smartcard_operator_card_signs_for_pkcs11_tool_with_its_pin_only(
    smartcard_pcscd: VpcdEndpoint,
    pkcs11_tool: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    with emulated("smartcard", "--card", "operator", "--pin", "123456") as (process, line):
        assert re.fullmatch(r"ready: smartcard operator card in PC/SC reader '.+' \(.*\)", line)
        listed = pkcs11_tool("--list-objects", "--type", "cert")
        assert "Certificate for PIV Authentication" in listed.stdout, listed
        assert "UID=OP-0001, CN=Siti Rahmawati" in listed.stdout
        certificate = certificate_on_card(pkcs11_tool, tmp_path)

        signed, message = sign_with(pkcs11_tool, "123456", tmp_path)
        assert signed.returncode == 0, signed.stderr
        assert_signed_by_card(certificate, message, (tmp_path / "signature-123456").read_bytes())
        refused, _ = sign_with(pkcs11_tool, "000000", tmp_path)
        assert refused.returncode != 0
        assert "CKR_PIN_INCORRECT" in refused.stdout + refused.stderr
        assert not (tmp_path / "signature-000000").exists()

        assert stop(process) == 0
        assert process.stderr is not None
        assert "--office-ca" in process.stderr.read()  # it says the CA was a throwaway one


def test_a_blank_card_is_enrolled_by_rekam_provision_and_then_signs(
    smartcard_pcscd: VpcdEndpoint,
    pkcs11_tool: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    office = OfficeCA.create(tmp_path / "office" / "ca", "Kantor Uji")
    with emulated("smartcard", "--card", "blank") as (process, line):
        match = re.fullmatch(r"ready: smartcard blank card in PC/SC reader '(.+)' \(.*\)", line)
        assert match, line
        assert "Certificate for" not in pkcs11_tool("--list-objects", "--type", "cert").stdout
        enrol = subprocess.run(
            [sys.executable, "-m", "provisioning.cli", "--lang", "en", "--office",
             str(tmp_path / "office"), "operator", "enrol", "--operator-id", "OP-0077",
             "--name", "Dewi Lestari", "--reader", match.group(1)],
            input="731904\n731904\n88112233\n88112233\n",
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert enrol.returncode == 0, enrol.stderr
        assert "731904" not in enrol.stdout + enrol.stderr

        certificate = certificate_on_card(pkcs11_tool, tmp_path)
        assert certificate.issuer == office.certificate.subject
        signed, message = sign_with(pkcs11_tool, "731904", tmp_path)
        assert signed.returncode == 0, signed.stderr
        assert_signed_by_card(certificate, message, (tmp_path / "signature-731904").read_bytes())
        assert sign_with(pkcs11_tool, "123456", tmp_path)[0].returncode != 0  # factory PIN gone

        assert stop(process) == 0


def test_a_device_that_cannot_start_exits_with_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.png"
    done = run(sys.executable, "-m", "hardware.cli", "emulate", "camera", "--image", str(missing))
    assert done.returncode == 1
    assert done.stdout == ""  # no "ready:" line
    assert done.stderr.strip().splitlines()[-1:] == [  # (OpenCV may warn before it)
        f"rekam-hw: cannot read image file {tmp_path}/none.png"
    ]


def test_ups_is_a_real_upsd_that_upsc_reads() -> None:
    upsc = shutil.which("upsc")
    if upsc is None:
        pytest.skip("nut-client (upsc) is not installed")
    with emulated("ups", "--status", "OB LB", "--charge", "18") as (process, line):
        match = re.fullmatch(r"ready: ups (\S+@127\.0\.0\.1:\d+) \(.*state file (\S+)\)", line)
        assert match, line
        target, state_file = match.groups()
        children = descendants(process.pid)
        try:
            assert len(children) >= 2  # upsd and the dummy-ups driver
            assert run(upsc, target, "ups.status").stdout.strip() == "OB LB"
            assert run(upsc, target, "battery.charge").stdout.strip() == "18"

            assert stop(process) == 0
            assert wait_until_gone(children) == set()
        finally:
            kill_leftovers(children)
    assert run(upsc, target, "ups.status").returncode != 0  # nothing serves it any more
    assert not Path(state_file).exists()


def test_camera_stream_is_read_by_opencv_and_a_still_by_http(tmp_path: Path) -> None:
    picture = np.zeros((120, 160, 3), dtype=np.uint8)
    picture[:, :, 2] = 255  # red, in BGR
    image = tmp_path / "red.png"
    cv2.imwrite(str(image), picture)
    with emulated("camera", "--image", str(image), "--fps", "10") as (process, line):
        match = re.fullmatch(r"ready: camera (http://\S+/stream\.mjpg) \(.*frame: (\S+)\)", line)
        assert match, line
        stream_url, still_url = match.groups()

        capture = cv2.VideoCapture(stream_url)
        try:
            ok, frame = capture.read()
        finally:
            capture.release()
        assert ok
        assert frame.shape == (120, 160, 3)
        assert frame[:, :, 2].mean() > 200  # the red picture
        assert frame[:, :, 1].mean() < 50

        with urllib.request.urlopen(still_url, timeout=30) as answer:
            assert answer.headers["Content-Type"] == "image/jpeg"
            still = cv2.imdecode(np.frombuffer(answer.read(), np.uint8), cv2.IMREAD_COLOR)
        assert still.shape == (120, 160, 3)

        assert stop(process) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(still_url, timeout=10)
