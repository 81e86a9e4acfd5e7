"""Every message ``rekam-provision`` shows has an Indonesian translation (and an English entry)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import provisioning
from ektp.i18n import translate

PACKAGE = Path(provisioning.__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SAME_IN_BOTH = {"host"}


def marked_msgids() -> set[str]:
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords={"N_": None})
    return {message for _f, _l, message, _c, _x in found if isinstance(message, str)}


def catalog(language: str) -> dict[str, str]:
    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "provisioning.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {m.id: m.string for m in po if m.id and not m.fuzzy}  # type: ignore[misc]


def test_the_messages_are_found() -> None:
    msgids = marked_msgids()
    assert "{booth_id} is not in the inventory" in msgids  # an error
    assert "last seen" in msgids  # a table heading
    assert "Nothing changed: that card was already revoked." in msgids  # operator cards


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_msgid_is_in_the_catalog(language: str) -> None:
    entries = catalog(language)
    assert sorted(m for m in marked_msgids() if not entries.get(m, "").strip()) == []


def test_indonesian_is_indonesian_and_keeps_the_placeholders() -> None:
    for msgid in marked_msgids():
        shown = translate(msgid, "id", domain="provisioning")
        assert msgid in SAME_IN_BOTH or shown != msgid, msgid
        assert set(PLACEHOLDER.findall(shown)) == set(PLACEHOLDER.findall(msgid)), msgid
