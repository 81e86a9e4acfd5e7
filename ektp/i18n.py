"""gettext plumbing: Indonesian first, English available.

Each top-level package keeps its catalog in ``<package>/locale/<lang>/LC_MESSAGES/
<package>.po`` (compiled to ``.mo`` by ``python -m ektp.i18n_build`` at set-up).
Source strings (msgids) are English; mark them with :func:`N_` where they are
defined and translate them with :func:`translate` where they are shown.
"""

from __future__ import annotations

import gettext
import importlib.util
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


def locale_dir(domain: str) -> Path:
    spec = importlib.util.find_spec(domain)
    if spec is None or spec.origin is None:
        raise LookupError(f"no package named {domain!r}")
    return Path(spec.origin).parent / "locale"


@lru_cache(maxsize=32)
def translations(domain: str, language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    return gettext.translation(
        domain, localedir=locale_dir(domain), languages=[language], fallback=True
    )


def translate(message: str, language: str = DEFAULT_LANGUAGE, *, domain: str = "ektp") -> str:
    return translations(domain, language).gettext(message)
