"""Words for values the flows and devices hand the screens as codes.

Each table maps a code to an English msgid of the ``kiosk`` domain; :func:`words`
translates one, falling back to the code itself (readable enough for a technician)
when a device or a newer flow sends a code this table does not know yet.
"""

from __future__ import annotations

from collections.abc import Mapping

from ektp.i18n import N_, translate

DOMAIN = "kiosk"

FINGER_NAMES: dict[str, str] = {
    "right_thumb": N_("Right thumb"),
    "right_index": N_("Right index finger"),
    "right_middle": N_("Right middle finger"),
    "right_ring": N_("Right ring finger"),
    "right_little": N_("Right little finger"),
    "left_thumb": N_("Left thumb"),
    "left_index": N_("Left index finger"),
    "left_middle": N_("Left middle finger"),
    "left_ring": N_("Left ring finger"),
    "left_little": N_("Left little finger"),
}

SENSOR_PROMPTS: dict[str, str] = {
    "place": N_("Place the finger on the sensor"),
    "place_finger": N_("Place the finger on the sensor"),
    "image": N_("Hold still…"),
    "lift": N_("Lift the finger"),
    "remove_finger": N_("Lift the finger"),
    "place_again": N_("Place the same finger again"),
    "model": N_("Making the fingerprint template…"),
    "processing": N_("Making the fingerprint template…"),
}

EXCEPTION_REASONS: dict[str, str] = {
    "missing": N_("Missing"),
    "injured": N_("Injured"),
    "bandaged": N_("Bandaged"),
    "unreadable": N_("Unreadable"),
}

PHOTO_CHECKS: dict[str, str] = {
    "face_count": N_("There must be exactly one face in the picture."),
    "face_size": N_("The face is too small or too large: move closer or further."),
    "centred": N_("The face is not in the middle of the frame."),
    "portrait_fit": N_("The portrait does not fit in the picture."),
    "pose_yaw": N_("The head is turned: face the camera straight."),
    "pose_pitch": N_("The chin is raised or lowered: keep the head level."),
    "eyes_level": N_("The head is tilted: keep the eyes level."),
    "eyes_open": N_("The eyes are closed or half closed."),
    "mouth_closed": N_("The mouth is open: keep a neutral face."),
    "background_colour": N_("The background is not plain or not the required colour."),
    "background_uniform": N_("The background is not plain or not the required colour."),
    "sharpness": N_("The picture is blurred: hold still."),
    "exposure": N_("The picture is too dark or too bright."),
}
"""Fallback words per check; a photo step that gives its own ``messages`` msgids wins."""

PHOTO_OVERRIDE_REASONS: dict[str, str] = {
    "head_covering": N_("Religious head covering"),
    "medical": N_("Medical condition or disability"),
    "cannot_keep_still": N_("Resident cannot keep still (elderly, child)"),
    "booth_light": N_("Booth light or background fault"),
}

CARD_STATUSES: dict[str, str] = {
    "printed": N_("The card is printed and can be collected."),
    "ready": N_("The card is printed and can be collected."),
    "collected": N_("The card was already collected."),
    "in_process": N_("The card is being processed."),
    "pending": N_("The card is being processed."),
    "not_printed": N_("The card is not printed yet."),
}

FLAG_NAMES: dict[str, str] = {
    "photo_override": N_("Photo accepted despite a failing check"),
    "finger_exception": N_("A finger is marked as an exception"),
    "duplicate_finger_suspected": N_("The same finger may have been captured twice"),
    "not_in_roster": N_("Not in the office roster"),
}

DEVICE_NAMES: dict[str, str] = {
    "fingerprint": N_("Fingerprint sensor"),
    "smartcard": N_("Card reader"),
    "camera": N_("Camera"),
    "gpio": N_("Lights and buttons"),
    "ups": N_("Power supply"),
    "edge": N_("Office server"),
}


def tr(message: str, language: str) -> str:
    """Translate an English msgid of the kiosk domain."""
    return translate(message, language, domain=DOMAIN)


def words(table: Mapping[str, str], code: str, language: str) -> str:
    """The translated words for ``code``, or the code itself when the table lacks it."""
    message = table.get(code)
    return tr(message, language) if message else code.replace("_", " ")


SPOKEN_PROMPTS: dict[str, str] = {
    "welcome": N_("Welcome to e-KTP recording"),
    "service": N_("What do you need today?"),
    "nik": N_("Enter your NIK (16 digits, on your KK)"),
    "kk": N_("Enter the number of your family card (KK)"),
    "confirm": N_("Is this your name?"),
    "documents": N_("Show these documents to the operator"),
    "ticket": N_("Please wait until your number is called, then go to the booth shown."),
    "already_recorded": N_("You are already recorded"),
    "see_operator": N_("Please see the operator"),
}
"""What the optional voice says when a resident screen opens (its title, in words)."""
