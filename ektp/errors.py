"""The error root of Rekam's domain.

Every error a user may see carries a message id (English, marked for gettext) and
its parameters, so the screen shows it in the user's language while logs keep the
technical cause. Subclasses also inherit the matching builtin where one fits.
"""

from __future__ import annotations

from typing import Any

from ektp.i18n import translate


class RekamError(Exception):
    """Root of Rekam's own errors.

    ``message`` is an English gettext msgid with ``{name}`` placeholders filled from
    ``params``; ``code`` is a stable machine-readable identifier.
    """

    code: str = "error"
    domain: str = "ektp"
    """The gettext domain (package) whose catalog translates ``message``."""

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        self.message = message
        self.params = params
        if code is not None:
            self.code = code
        super().__init__(self.english())

    def english(self) -> str:
        return self.message.format(**self.params)

    def localized(self, language: str = "id") -> str:
        """The message in ``language`` (Indonesian unless told otherwise)."""
        return translate(self.message, language, domain=self.domain).format(**self.params)


class ValidationError(RekamError, ValueError):
    """Input that breaks a domain rule (NIK, KK, a schema)."""

    code = "invalid"
