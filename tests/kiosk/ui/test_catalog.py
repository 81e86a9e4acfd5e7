"""Every string the booth shows has an Indonesian translation (no Kivy needed)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ektp.i18n import translate

KIOSK = Path(__file__).resolve().parents[3] / "kiosk"
KV_STRING = re.compile(r'app\.tr\(app\.lang, "((?:[^"\\]|\\.)*)"\)')
SAME_IN_BOTH = {"OK", "Status", "Operator"}


def shown_msgids() -> set[str]:
    found = set()
    for kv_file in (KIOSK / "ui" / "kv").glob("*.kv"):
        found.update(KV_STRING.findall(kv_file.read_text()))
    for py_file in KIOSK.rglob("*.py"):  # every kiosk module: what it raises is shown
        for node in ast.walk(ast.parse(py_file.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                found.add(node.args[0].value)
    return found


MSGIDS = sorted(shown_msgids())


def test_strings_are_found() -> None:
    assert "Enter your NIK (16 digits, on your KK)" in MSGIDS
    assert "Please finish the current step first." in MSGIDS  # a flow error
    assert "Card hand-over" in MSGIDS  # the hand-over screen
    assert "Tries left: {tries_left}" in MSGIDS


@pytest.mark.parametrize("lang", ["id", "en"])
def test_po_has_every_shown_string(lang: str) -> None:
    with (KIOSK / "locale" / lang / "LC_MESSAGES" / "kiosk.po").open("rb") as po_file:
        catalog = read_po(po_file)
    missing = [m for m in MSGIDS if m not in catalog or not catalog[m].string]
    assert missing == []


def test_indonesian_is_indonesian() -> None:
    untranslated = [
        m for m in MSGIDS if m not in SAME_IN_BOTH and translate(m, "id", domain="kiosk") == m
    ]
    assert untranslated == []


def test_placeholders_survive_translation() -> None:
    for msgid in MSGIDS:
        fields = set(re.findall(r"{(\w+)}", msgid))
        assert set(re.findall(r"{(\w+)}", translate(msgid, "id", domain="kiosk"))) == fields, msgid
