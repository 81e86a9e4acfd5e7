"""Every message ``rekam-provision`` shows has an Indonesian translation (and an English entry)."""

from __future__ import annotations

from pathlib import Path

import pytest

import provisioning
from ektp.i18n import translate
from tests.catalogs import PLACEHOLDER, catalog, marked_msgids

PACKAGE = Path(provisioning.__file__).resolve().parent
SAME_IN_BOTH = {"host"}


def test_the_messages_are_found() -> None:
    msgids = marked_msgids(PACKAGE)
    assert "{booth_id} is not in the inventory" in msgids  # an error
    assert "last seen" in msgids  # a table heading
    assert "Nothing changed: that card was already revoked." in msgids  # operator cards


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_msgid_is_in_the_catalog(language: str) -> None:
    entries = catalog(PACKAGE, "provisioning", language)
    assert sorted(m for m in marked_msgids(PACKAGE) if not entries.get(m, "").strip()) == []


def test_indonesian_is_indonesian_and_keeps_the_placeholders() -> None:
    for msgid in marked_msgids(PACKAGE):
        shown = translate(msgid, "id", domain="provisioning")
        assert msgid in SAME_IN_BOTH or shown != msgid, msgid
        assert set(PLACEHOLDER.findall(shown)) == set(PLACEHOLDER.findall(msgid)), msgid
