"""An emulated PIV card (NIST SP 800-73-4), as a card program behind vpcd.

Faithful enough that OpenSC (``opensc-tool``, ``pkcs11-tool`` with
``opensc-pkcs11.so``) and ``yubico-piv-tool`` drive it as a PIV card: SELECT with
the application property template, GET DATA of the discovery object, CHUID, CCC and
certificate objects, VERIFY with the 63Cx retry counter (6983 once blocked), CHANGE
REFERENCE DATA, RESET RETRY COUNTER with the PUK, GENERAL AUTHENTICATE (ECDSA in
the asymmetric slots after the PIN; the 9B management key's challenge-response),
GENERATE ASYMMETRIC KEY PAIR (ECC P-256/P-384) and PUT DATA, with command chaining
(CLA 10) and GET RESPONSE (61xx) as real cards do.

A fresh :class:`PivCard` is blank as a card from the shop: PIN 123456, PUK
12345678, the default management key, no keys, no certificates. Private keys, PIN,
PUK and management key stay inside the object; ``repr`` shows none of them.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.asymmetric import ec

from hardware.smartcard import piv
from hardware.smartcard.apdu import CommandApdu, StatusWord, response
from hardware.smartcard.apdu import wrong_pin_status as _tries_status
from hardware.smartcard.cards import CardProgram, make_atr
from hardware.smartcard.piv_keys import PivKeyStore
from hardware.smartcard.tlv import MalformedTlv, tlv, tlv_dict

SW_MORE_DATA = 0x6100
SW_REFERENCE_NOT_FOUND = 0x6A88
SW_CHAIN_BROKEN = 0x6883
_FASC_N = bytes.fromhex("D4E739DA739CED39CE739D836858210842108421C84210C3EB")  # "no FASC-N"


def _discovery_object() -> bytes:
    # PIN usage policy 40 00: the PIV application PIN only.
    return tlv(piv.OBJECT_DISCOVERY, tlv(0x4F, piv.PIV_AID) + tlv(0x5F2F, b"\x40\x00"))


def _chuid(guid: bytes) -> bytes:
    body = tlv(0x30, _FASC_N) + tlv(0x34, guid) + tlv(0x35, b"20991231") + tlv(0x3E) + tlv(0xFE)
    return tlv(piv.TAG_DATA, body)


def _ccc(card_id: bytes) -> bytes:
    body = (
        tlv(0xF0, bytes.fromhex("A000000116") + card_id)
        + tlv(0xF1, b"\x21") + tlv(0xF2, b"\x21") + tlv(0xF3) + tlv(0xF4, b"\x00")
        + tlv(0xF5, b"\x10") + tlv(0xF6) + tlv(0xF7) + tlv(0xFA) + tlv(0xFB) + tlv(0xFC)
        + tlv(0xFD) + tlv(0xFE)
    )  # fmt: skip
    return tlv(piv.TAG_DATA, body)


def certificate_object(certificate_der: bytes) -> bytes:
    """The PIV certificate data object (53 {70 cert, 71 00, FE}) for a DER certificate."""
    body = tlv(piv.TAG_CERTIFICATE, certificate_der) + tlv(piv.TAG_CERT_INFO, b"\x00") + tlv(0xFE)
    return tlv(piv.TAG_DATA, body)


class _Secret:
    """A PIN or PUK held as a salted digest, with its retry counter."""

    def __init__(self, value: bytes, tries: int) -> None:
        self._salt = os.urandom(16)
        self._digest = self._hash(value)
        self.max_tries = tries
        self.tries_left = tries

    def __repr__(self) -> str:
        return f"_Secret(tries_left={self.tries_left})"

    def _hash(self, value: bytes) -> bytes:
        return hashlib.sha256(self._salt + value).digest()

    def set(self, value: bytes) -> None:
        self._digest = self._hash(value)
        self.tries_left = self.max_tries

    def check(self, value: bytes) -> bool:
        """Compare, counting a wrong try; a blocked secret never matches."""
        if self.tries_left == 0:
            return False
        if hmac.compare_digest(self._hash(value), self._digest):
            self.tries_left = self.max_tries
            return True
        self.tries_left -= 1
        return False


class PivCard(CardProgram):
    """A PIV card applet. Test controls: :attr:`pin_tries_left`, :meth:`certificate_in`."""

    aid = piv.PIV_AID
    atr = make_atr(b"REKAM-PIV")

    def __init__(
        self,
        *,
        pin: str = piv.DEFAULT_PIN,
        puk: str = piv.DEFAULT_PUK,
        management_key: bytes = piv.DEFAULT_MANAGEMENT_KEY,
        management_algorithm: int = piv.DEFAULT_MANAGEMENT_ALGORITHM,
    ) -> None:
        self.files = {}
        self._pin = _Secret(piv.encode_pin(pin), piv.PIN_TRIES)
        self._puk = _Secret(piv.encode_pin(puk, puk=True), piv.PUK_TRIES)
        self._keys = PivKeyStore(management_algorithm, management_key)
        self._objects: dict[int, bytes] = {
            piv.OBJECT_CHUID: _chuid(os.urandom(16)),
            piv.OBJECT_CCC: _ccc(os.urandom(14)),
        }
        self._pending = b""
        self._chain: tuple[int, int, int, bytes] | None = None
        self._pin_ok = False
        super().__init__()

    def __repr__(self) -> str:
        return f"PivCard(pin_tries_left={self.pin_tries_left}, keys={self._keys.slots()})"

    # Test controls and personalisation helpers ----------------------------------------
    @property
    def pin_tries_left(self) -> int:
        return self._pin.tries_left

    @property
    def puk_tries_left(self) -> int:
        return self._puk.tries_left

    def certificate_in(self, slot: int = piv.KEY_AUTHENTICATION) -> bytes | None:
        """The DER certificate in ``slot``'s object, None when the object is empty."""
        stored = self._objects.get(piv.CERTIFICATE_OBJECT[slot])
        if stored is None:
            return None
        body = tlv_dict(tlv_dict(stored)[piv.TAG_DATA])
        return body.get(piv.TAG_CERTIFICATE)

    def slot_public_key(
        self, slot: int = piv.KEY_AUTHENTICATION
    ) -> ec.EllipticCurvePublicKey | None:
        return self._keys.public_key(slot)

    # Volatile state --------------------------------------------------------------------
    def _clear_volatile_state(self) -> None:
        super()._clear_volatile_state()
        self._pin_ok = False
        self._pending = b""
        self._chain = None
        if hasattr(self, "_keys"):
            self._keys.forget_session()

    # Dispatch --------------------------------------------------------------------------
    def _dispatch(self, command: CommandApdu) -> bytes:
        """As :meth:`_process`, with malformed TLV data answered as wrong data."""
        try:
            return self._process(command)
        except MalformedTlv:
            return response(status=StatusWord.WRONG_DATA)

    def _process(self, command: CommandApdu) -> bytes:
        if command.cla & ~piv.CLA_CHAINING:
            return response(status=StatusWord.CLA_NOT_SUPPORTED)
        if command.ins == piv.INS_GET_RESPONSE:
            return self._get_response(command)
        self._pending = b""
        if command.cla & piv.CLA_CHAINING:
            head = (command.ins, command.p1, command.p2)
            if self._chain is not None and self._chain[:3] != head:
                self._chain = None
                return response(status=SW_CHAIN_BROKEN)
            previous = self._chain[3] if self._chain else b""
            self._chain = (*head, previous + command.data)
            return response()
        if self._chain is not None:
            chained, self._chain = self._chain, None
            if chained[:3] != (command.ins, command.p1, command.p2):
                return response(status=SW_CHAIN_BROKEN)
            command = CommandApdu(0x00, command.ins, command.p1, command.p2,
                                  chained[3] + command.data, command.le)  # fmt: skip
        if command.ins == piv.INS_SELECT:
            return self._select_piv(command)
        if not self._app_selected:
            return response(status=StatusWord.INS_NOT_SUPPORTED)
        return self._instruction(command)

    def _instruction(self, command: CommandApdu) -> bytes:
        ins = command.ins
        if ins == piv.INS_GET_DATA:
            return self._get_data(command)
        if ins == piv.INS_VERIFY:
            return self._verify(command)
        if ins == piv.INS_CHANGE_REFERENCE_DATA:
            return self._change_reference(command)
        if ins == piv.INS_RESET_RETRY_COUNTER:
            return self._reset_retry_counter(command)
        if ins in (piv.INS_GENERAL_AUTHENTICATE, piv.INS_GENERATE_ASYMMETRIC):
            if ins == piv.INS_GENERAL_AUTHENTICATE:
                status, data = self._keys.general_authenticate(command, self._pin_ok)
            else:
                status, data = self._keys.generate(command)
            if status != StatusWord.OK:
                return response(status=status)
            return self._reply(data, command.le)
        if ins == piv.INS_PUT_DATA:
            return self._put_data(command)
        return response(status=StatusWord.INS_NOT_SUPPORTED)

    # Responses: long answers in pieces, as a short Le asks ------------------------------
    def _reply(self, data: bytes, le: int | None) -> bytes:
        limit = 256 if le is None else le
        if len(data) <= limit:
            return response(data)
        self._pending = data[limit:]
        remaining = len(self._pending)
        return response(data[:limit], SW_MORE_DATA | (remaining if remaining < 0x100 else 0))

    def _get_response(self, command: CommandApdu) -> bytes:
        if command.p1 or command.p2 or not self._pending:
            self._pending = b""
            return response(status=StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED)
        data, self._pending = self._pending, b""
        return self._reply(data, command.le)

    # SELECT ----------------------------------------------------------------------------
    def _select_piv(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x04:
            return response(status=StatusWord.FILE_NOT_FOUND)
        if len(command.data) < 5 or not piv.PIV_AID.startswith(command.data):
            # ISO 7816-4: a failed SELECT leaves the current selection as it was.
            return response(status=StatusWord.FILE_NOT_FOUND)
        self._app_selected = True
        pix = piv.PIV_AID[5:]
        algorithms = b"".join(tlv(0x80, bytes((a,))) for a in (piv.ALG_3DES, piv.ALG_AES128,
                              piv.ALG_ECC_P256, piv.ALG_ECC_P384)) + tlv(0x06, b"\x00")  # fmt: skip
        template = (
            tlv(0x4F, pix)
            + tlv(0x79, tlv(0x4F, piv.PIV_AID[:5]))
            + tlv(0x50, b"Rekam emulated PIV")
            + tlv(0xAC, algorithms)
        )
        return self._reply(tlv(0x61, template), command.le)

    # Data objects ----------------------------------------------------------------------
    def _requested_tag(self, data: bytes) -> int | None:
        tags = tlv_dict(data)
        requested = tags.get(piv.TAG_TAG_LIST)
        if requested is None or not 1 <= len(requested) <= 3:
            return None
        return int.from_bytes(requested, "big")

    def _get_data(self, command: CommandApdu) -> bytes:
        if (command.p1, command.p2) != (0x3F, 0xFF):
            return response(status=StatusWord.INCORRECT_P1_P2)
        tag = self._requested_tag(command.data)
        if tag is None:
            return response(status=StatusWord.WRONG_DATA)
        if tag == piv.OBJECT_DISCOVERY:
            return self._reply(_discovery_object(), command.le)
        stored = self._objects.get(tag)
        if stored is None:
            return response(status=StatusWord.FILE_NOT_FOUND)
        return self._reply(stored, command.le)

    def _put_data(self, command: CommandApdu) -> bytes:
        if (command.p1, command.p2) != (0x3F, 0xFF):
            return response(status=StatusWord.INCORRECT_P1_P2)
        if not self._keys.admin:
            return response(status=StatusWord.SECURITY_STATUS_NOT_SATISFIED)
        tag = self._requested_tag(command.data)
        items = tlv_dict(command.data)
        if tag is None or tag == piv.OBJECT_DISCOVERY or piv.TAG_DATA not in items:
            return response(status=StatusWord.WRONG_DATA)
        value = items[piv.TAG_DATA]
        if value:
            self._objects[tag] = tlv(piv.TAG_DATA, value)
        else:
            self._objects.pop(tag, None)  # an empty object deletes it
        return response()

    # PIN and PUK -----------------------------------------------------------------------
    def _verify(self, command: CommandApdu) -> bytes:
        if command.p2 != piv.KEY_PIN:
            return response(status=SW_REFERENCE_NOT_FOUND)
        if command.p1 == 0xFF and not command.data:  # reset the security status
            self._pin_ok = False
            return response()
        if command.p1 != 0x00:
            return response(status=StatusWord.INCORRECT_P1_P2)
        if not command.data:
            if self._pin_ok:
                return response()
            return self._tries_answer(self._pin)
        if len(command.data) != piv.PIN_BLOCK_SIZE:
            return response(status=StatusWord.WRONG_DATA)
        if self._pin.tries_left == 0:
            return response(status=StatusWord.AUTHENTICATION_METHOD_BLOCKED)
        self._pin_ok = self._pin.check(command.data)
        if self._pin_ok:
            return response()
        return response(status=_tries_status(self._pin.tries_left))  # 63C0 on the blocking try

    @staticmethod
    def _tries_answer(secret: _Secret) -> bytes:
        if secret.tries_left == 0:
            return response(status=StatusWord.AUTHENTICATION_METHOD_BLOCKED)
        return response(status=_tries_status(secret.tries_left))

    @staticmethod
    def _valid_new_pin(block: bytes) -> bool:
        digits = block.rstrip(bytes((piv.PIN_PADDING,)))
        return 6 <= len(digits) <= 8 and digits.isascii() and digits.isdigit()

    def _change_reference(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x00 or command.p2 not in (piv.KEY_PIN, piv.KEY_PUK):
            return response(status=SW_REFERENCE_NOT_FOUND)
        secret = self._pin if command.p2 == piv.KEY_PIN else self._puk
        if len(command.data) != 2 * piv.PIN_BLOCK_SIZE:
            return response(status=StatusWord.WRONG_DATA)
        old, new = command.data[:8], command.data[8:]
        if command.p2 == piv.KEY_PIN and not self._valid_new_pin(new):
            return response(status=StatusWord.WRONG_DATA)
        if secret.tries_left == 0:
            return response(status=StatusWord.AUTHENTICATION_METHOD_BLOCKED)
        if not secret.check(old):
            if secret is self._pin:
                self._pin_ok = False
            return response(status=_tries_status(secret.tries_left))
        secret.set(new)
        return response()

    def _reset_retry_counter(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x00 or command.p2 != piv.KEY_PIN:
            return response(status=SW_REFERENCE_NOT_FOUND)
        if len(command.data) != 2 * piv.PIN_BLOCK_SIZE:
            return response(status=StatusWord.WRONG_DATA)
        puk, new_pin = command.data[:8], command.data[8:]
        if not self._valid_new_pin(new_pin):
            return response(status=StatusWord.WRONG_DATA)
        if self._puk.tries_left == 0:
            return response(status=StatusWord.AUTHENTICATION_METHOD_BLOCKED)
        if not self._puk.check(puk):
            return response(status=_tries_status(self._puk.tries_left))
        self._pin.set(new_pin)
        return response()
