"""The reader side of a PIV card (NIST SP 800-73-4), over any ``transmit`` function.

What the booth and the technician's enrolment need, as real cards answer it:
SELECT, GET DATA (certificate objects), VERIFY / CHANGE REFERENCE DATA / RESET RETRY
COUNTER, GENERAL AUTHENTICATE (ECDSA in slot 9A, the 9B management key),
GENERATE ASYMMETRIC KEY PAIR and PUT DATA. Long commands go out chained (CLA 10),
long answers come back with GET RESPONSE (61xx). PINs are never put in a message.
"""

from __future__ import annotations

from cryptography import x509

from hardware.errors import CardError, PinBlocked, PinError
from hardware.smartcard import piv
from hardware.smartcard.apdu import CommandApdu, StatusWord, tries_left_from_status
from hardware.smartcard.apdu_client import DEVICE, ApduClient
from hardware.smartcard.tlv import MalformedTlv, tlv, tlv_dict

CHAIN_CHUNK = 255

_MEANING: dict[int, str] = {
    StatusWord.SECURITY_STATUS_NOT_SATISFIED: "the card needs the PIN or the management key first",
    StatusWord.FILE_NOT_FOUND: "the card does not hold that object or key",
    StatusWord.INS_NOT_SUPPORTED: "the card does not know that command",
    StatusWord.WRONG_DATA: "the card rejected the command's data",
    StatusWord.INCORRECT_P1_P2: "the card rejected the command's parameters",
    StatusWord.CONDITIONS_OF_USE_NOT_SATISFIED: "the card is not ready for that command",
}


class PivClient(ApduClient):
    """Talks to the PIV application on the card behind ``transmit``."""

    status_meanings = _MEANING

    # Transport ---------------------------------------------------------------------------
    def exchange(self, command: CommandApdu, action: str) -> tuple[bytes, int]:
        """Send ``command`` (chained when long) and collect the whole answer (61xx)."""
        data = command.data
        while len(data) > CHAIN_CHUNK:
            head, data = data[:CHAIN_CHUNK], data[CHAIN_CHUNK:]
            part = CommandApdu(
                command.cla | piv.CLA_CHAINING, command.ins, command.p1, command.p2, head
            )
            _, status = self._once(part.to_bytes(), action)
            if status != StatusWord.OK:
                return b"", status
        last = CommandApdu(command.cla, command.ins, command.p1, command.p2, data, command.le)
        answer, status = self._once(last.to_bytes(), action)
        collected = bytearray(answer)
        while status >> 8 == 0x61:
            more = CommandApdu(0x00, piv.INS_GET_RESPONSE, 0x00, 0x00, le=(status & 0xFF) or 256)
            answer, status = self._once(more.to_bytes(), action)
            collected += answer
        if status >> 8 == 0x6C:  # wrong Le: the card says how many bytes it has
            retry = CommandApdu(
                command.cla, command.ins, command.p1, command.p2, data, status & 0xFF or 256
            )
            return self._once(retry.to_bytes(), action)
        return bytes(collected), status

    # Application and objects ---------------------------------------------------------------
    def select(self) -> None:
        """SELECT the PIV application; CardError "not a PIV card" when it has none."""
        command = CommandApdu(0x00, piv.INS_SELECT, 0x04, 0x00, piv.PIV_AID, le=256)
        _, status = self.exchange(command, "selecting the PIV application")
        if status in (StatusWord.FILE_NOT_FOUND, StatusWord.INS_NOT_SUPPORTED):
            raise CardError(
                "This is not an operator card (it has no PIV application).", device=DEVICE
            )
        if status != StatusWord.OK:
            raise self._status_error(status, "selecting the PIV application")

    def get_object(self, tag: int, what: str) -> bytes | None:
        """The value of data object ``tag`` (inside its 53 container); None when absent."""
        tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
        command = CommandApdu(
            0x00, piv.INS_GET_DATA, 0x3F, 0xFF, tlv(piv.TAG_TAG_LIST, tag_bytes), le=256
        )
        data, status = self.exchange(command, f"reading the {what}")
        if status == StatusWord.FILE_NOT_FOUND:
            return None
        if status != StatusWord.OK:
            raise self._status_error(status, f"reading the {what}")
        try:
            return tlv_dict(data).get(piv.TAG_DATA)
        except MalformedTlv as err:
            raise CardError(f"The card's {what} is malformed.", device=DEVICE) from err

    def certificate(self, slot: int = piv.KEY_AUTHENTICATION) -> bytes | None:
        """The DER certificate in ``slot``'s certificate object; None when there is none."""
        body = self.get_object(piv.CERTIFICATE_OBJECT[slot], "certificate")
        if not body:
            return None
        try:
            fields = tlv_dict(body)
        except MalformedTlv as err:
            raise CardError("The card's certificate object is malformed.", device=DEVICE) from err
        if fields.get(piv.TAG_CERT_INFO, b"\x00") != b"\x00":
            raise CardError("The card's certificate is compressed; not supported.", device=DEVICE)
        return fields.get(piv.TAG_CERTIFICATE) or None

    # PIN and PUK ---------------------------------------------------------------------------
    def _pin_outcome(self, status: int, action: str) -> None:
        if status == StatusWord.OK:
            return
        tries_left = tries_left_from_status(status)
        if status == StatusWord.AUTHENTICATION_METHOD_BLOCKED or tries_left == 0:
            raise PinBlocked("The card's PIN is blocked after too many wrong tries.", device=DEVICE)
        if tries_left is not None:
            raise PinError(
                f"Wrong PIN; {tries_left} tries left before the card blocks.",
                tries_left=tries_left,
                device=DEVICE,
            )
        raise self._status_error(status, action)

    def verify_pin(self, pin: str) -> None:
        """VERIFY the PIN (80): PinError(tries_left) when wrong, PinBlocked when blocked."""
        block = piv.encode_pin(pin)
        _, status = self.exchange(
            CommandApdu(0x00, piv.INS_VERIFY, 0x00, piv.KEY_PIN, block), "checking the PIN"
        )
        self._pin_outcome(status, "checking the PIN")

    def pin_tries_left(self) -> int:
        """Tries left (empty VERIFY); 0 when blocked, -1 when already verified."""
        command = CommandApdu(0x00, piv.INS_VERIFY, 0x00, piv.KEY_PIN)
        _, status = self.exchange(command, "asking the PIN status")
        if status == StatusWord.OK:
            return -1
        if status == StatusWord.AUTHENTICATION_METHOD_BLOCKED:
            return 0
        tries_left = tries_left_from_status(status)
        if tries_left is None:
            raise self._status_error(status, "asking the PIN status")
        return tries_left

    def logout(self) -> None:
        """VERIFY with P1 FF: the verified PIN no longer counts."""
        command = CommandApdu(0x00, piv.INS_VERIFY, 0xFF, piv.KEY_PIN)
        self._expect_ok(command, "logging out of the card")

    def change_pin(self, old: str, new: str) -> None:
        data = piv.encode_pin(old) + piv.encode_pin(new)
        command = CommandApdu(0x00, piv.INS_CHANGE_REFERENCE_DATA, 0x00, piv.KEY_PIN, data)
        _, status = self.exchange(command, "changing the PIN")
        self._pin_outcome(status, "changing the PIN")

    def change_puk(self, old: str, new: str) -> None:
        data = piv.encode_pin(old, puk=True) + piv.encode_pin(new, puk=True)
        command = CommandApdu(0x00, piv.INS_CHANGE_REFERENCE_DATA, 0x00, piv.KEY_PUK, data)
        _, status = self.exchange(command, "changing the PUK")
        try:
            self._pin_outcome(status, "changing the PUK")
        except PinError as err:
            raise CardError(
                f"Wrong PUK; {err.tries_left} tries left before it blocks.", device=DEVICE
            ) from None
        except PinBlocked:
            raise CardError("The card's PUK is blocked.", device=DEVICE) from None

    # Keys ----------------------------------------------------------------------------------
    def sign(self, digest: bytes, *, slot: int = piv.KEY_AUTHENTICATION) -> bytes:
        """ECDSA P-256 over a SHA-256 ``digest`` with the key in ``slot`` (DER signature)."""
        template = tlv(piv.TAG_DYNAMIC_AUTH, tlv(piv.TAG_RESPONSE) + tlv(piv.TAG_CHALLENGE, digest))
        command = CommandApdu(
            0x00, piv.INS_GENERAL_AUTHENTICATE, piv.ALG_ECC_P256, slot, template, le=256
        )
        answer = self._expect_ok(command, "signing the challenge")
        try:
            signature = tlv_dict(tlv_dict(answer)[piv.TAG_DYNAMIC_AUTH])[piv.TAG_RESPONSE]
        except (KeyError, MalformedTlv) as err:
            raise CardError("The card's signature is malformed.", device=DEVICE) from err
        return signature

    def authenticate_management(self, key: bytes, algorithm: int = piv.ALG_3DES) -> None:
        """Mutual authentication with the 9B card management key (needed to administer)."""
        if not piv.management_key_ok(algorithm, key):
            raise ValueError("the management key does not fit its algorithm")
        action = "authenticating with the management key"
        start = tlv(piv.TAG_DYNAMIC_AUTH, tlv(piv.TAG_WITNESS))
        first = self._expect_ok(
            CommandApdu(
                0x00, piv.INS_GENERAL_AUTHENTICATE, algorithm, piv.KEY_MANAGEMENT, start, le=256
            ),
            action,
        )
        try:
            sealed = tlv_dict(tlv_dict(first)[piv.TAG_DYNAMIC_AUTH])[piv.TAG_WITNESS]
        except (KeyError, MalformedTlv) as err:
            raise CardError("The card's witness is malformed.", device=DEVICE) from err
        witness = piv.management_decrypt(algorithm, key, sealed)
        challenge = piv.random_block(algorithm)
        body = tlv(piv.TAG_WITNESS, witness) + tlv(piv.TAG_CHALLENGE, challenge)
        command = CommandApdu(
            0x00, piv.INS_GENERAL_AUTHENTICATE, algorithm, piv.KEY_MANAGEMENT,
            tlv(piv.TAG_DYNAMIC_AUTH, body), le=256,
        )  # fmt: skip
        data, status = self.exchange(command, action)
        if status != StatusWord.OK:
            raise CardError(
                "The card refused the management key (not the card's key?).", device=DEVICE
            )
        try:
            answer = tlv_dict(tlv_dict(data)[piv.TAG_DYNAMIC_AUTH])[piv.TAG_RESPONSE]
        except (KeyError, MalformedTlv) as err:
            raise CardError("The card's answer is malformed.", device=DEVICE) from err
        if answer != piv.management_encrypt(algorithm, key, challenge):
            raise CardError("The card did not prove it holds the management key.", device=DEVICE)

    def generate_key(self, slot: int = piv.KEY_AUTHENTICATION) -> bytes:
        """GENERATE an ECC P-256 key pair in ``slot``; the public point (04 X Y)."""
        control = tlv(0xAC, tlv(0x80, bytes((piv.ALG_ECC_P256,))))
        command = CommandApdu(0x00, piv.INS_GENERATE_ASYMMETRIC, 0x00, slot, control, le=256)
        answer = self._expect_ok(command, "generating the key on the card")
        try:
            point = tlv_dict(tlv_dict(answer)[piv.TAG_PUBLIC_KEY])[piv.TAG_EC_POINT]
        except (KeyError, MalformedTlv) as err:
            raise CardError("The card's new public key is malformed.", device=DEVICE) from err
        if len(point) != 65 or point[0] != 0x04:
            raise CardError("The card's new public key is not a P-256 point.", device=DEVICE)
        return point

    def put_certificate(self, certificate_der: bytes, slot: int = piv.KEY_AUTHENTICATION) -> None:
        """PUT DATA: write ``certificate_der`` to ``slot``'s certificate object."""
        x509.load_der_x509_certificate(certificate_der)  # ValueError before anything is sent
        tag = piv.CERTIFICATE_OBJECT[slot]
        body = (
            tlv(piv.TAG_CERTIFICATE, certificate_der) + tlv(piv.TAG_CERT_INFO, b"\x00") + tlv(0xFE)
        )
        data = tlv(piv.TAG_TAG_LIST, tag.to_bytes(3, "big")) + tlv(piv.TAG_DATA, body)
        self._expect_ok(
            CommandApdu(0x00, piv.INS_PUT_DATA, 0x3F, 0xFF, data), "writing the certificate"
        )
