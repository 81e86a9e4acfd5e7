"""Every user-facing message of ektp has an Indonesian translation."""

from __future__ import annotations

from pathlib import Path

import ektp
from tests.catalogs import PLACEHOLDER, catalog, marked_msgids

PACKAGE = Path(ektp.__file__).resolve().parent


def test_every_msgid_has_an_indonesian_translation() -> None:
    msgids = marked_msgids(PACKAGE)
    assert len(msgids) > 50  # the extraction found the messages
    indonesian = catalog(PACKAGE, "ektp", "id")
    missing = sorted(m for m in msgids if not indonesian.get(m, "").strip())
    assert missing == []


def test_translations_keep_the_placeholders() -> None:
    indonesian = catalog(PACKAGE, "ektp", "id")
    for msgid in marked_msgids(PACKAGE):
        assert set(PLACEHOLDER.findall(indonesian[msgid])) == set(PLACEHOLDER.findall(msgid)), msgid


def test_english_catalog_has_every_msgid() -> None:
    assert marked_msgids(PACKAGE) <= set(catalog(PACKAGE, "ektp", "en"))
