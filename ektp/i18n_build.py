"""Compile every package's gettext catalogs (``.po`` → ``.mo``) with Babel."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGES = ("ektp", "kiosk", "edge_controller", "hardware", "provisioning")


def compile_catalogs(root: Path) -> list[Path]:
    written = []
    for package in PACKAGES:
        for po_path in sorted((root / package / "locale").glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parts[-3])
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            written.append(mo_path)
    return written


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    written = compile_catalogs(root)
    print(f"i18n: compiled {len(written)} catalog(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
