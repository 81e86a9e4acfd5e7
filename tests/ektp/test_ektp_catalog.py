"""Every user-facing message of ektp has an Indonesian translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import ektp

PACKAGE = Path(ektp.__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def marked_msgids() -> set[str]:
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords={"N_": None})
    return {
        message for _file, _line, message, _comments, _context in found if isinstance(message, str)
    }


def catalog(language: str) -> dict[str, str]:
    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "ektp.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {m.id: m.string for m in po if m.id and not m.fuzzy}  # type: ignore[misc]


def test_every_msgid_has_an_indonesian_translation() -> None:
    msgids = marked_msgids()
    assert len(msgids) > 50  # the extraction found the messages
    indonesian = catalog("id")
    missing = sorted(m for m in msgids if not indonesian.get(m, "").strip())
    assert missing == []


def test_translations_keep_the_placeholders() -> None:
    indonesian = catalog("id")
    for msgid in marked_msgids():
        assert set(PLACEHOLDER.findall(indonesian[msgid])) == set(PLACEHOLDER.findall(msgid)), msgid


def test_english_catalog_has_every_msgid() -> None:
    assert marked_msgids() <= set(catalog("en"))
