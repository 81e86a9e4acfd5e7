"""What the catalog tests read: the msgids a package marks with ``N_`` and its .po catalogs."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def marked_msgids(package: Path) -> set[str]:
    """Every msgid marked ``N_(...)`` in the package's Python files (babel's extraction)."""
    found = extract_from_dir(str(package), method_map=[("**.py", "python")], keywords={"N_": None})
    return {
        message for _file, _line, message, _comments, _context in found if isinstance(message, str)
    }


def catalog(package: Path, domain: str, language: str) -> dict[str, str]:
    """The package's ``domain`` catalog in ``language``: msgid to text, fuzzy entries left out."""
    path = package / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {m.id: m.string for m in po if m.id and not m.fuzzy}  # type: ignore[misc]
