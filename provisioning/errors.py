"""Provisioning's error root: every error of ours in ``provisioning`` is a
:class:`ProvisioningError`.

``ProvisioningError`` is a :class:`~ektp.errors.RekamError` whose message is a sentence
for the technician: either a gettext msgid of the ``provisioning`` catalog with
``{name}`` placeholders filled from keyword parameters (shown in Indonesian with
``localized("id")``), or, without parameters, a plain English sentence (braces in it are
text, not placeholders) shown as it is.
Subclasses also inherit the builtin that fits, so a caller that catches ``ValueError``,
``KeyError`` or ``FileNotFoundError`` keeps working. ``rekam-provision`` catches this
root (and the ``RekamError`` of the ektp and certificate code it calls).
"""

from __future__ import annotations

from typing import Any

from ektp.errors import RekamError
from ektp.i18n import N_, translate

MSG_UNKNOWN_BOOTH = N_("{booth_id} is not in the inventory")
MSG_NO_OFFICE = N_(
    "No office in {root}: run `rekam-provision office init` first (or pass --office DIR)."
)
MSG_OTHER_OFFICE = N_(
    "{inventory} already describes an office with other settings; edit it, or use another "
    "--office directory."
)


class ProvisioningError(RekamError):
    """Root of provisioning's own errors: a sentence for the technician."""

    code = "provisioning"
    domain = "provisioning"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)

    def english(self) -> str:
        return self.message.format(**self.params) if self.params else self.message

    def localized(self, language: str = "id") -> str:
        text = translate(self.message, language, domain=self.domain)
        return text.format(**self.params) if self.params else text

    def __str__(self) -> str:  # the sentence, also for the KeyError subclass
        return self.english()


class OfficeError(ProvisioningError):
    """The office directory is missing or inconsistent."""

    code = "provisioning.office"


class HostKeyError(ProvisioningError, ValueError):
    """A host key is missing, malformed, or not the pinned one."""

    code = "provisioning.host_key"


class UnknownBooth(ProvisioningError, KeyError):
    """A booth id that is not in the office inventory."""

    code = "provisioning.unknown_booth"


class ReleaseSourceMissing(ProvisioningError, FileNotFoundError):
    """The booth packages to build a release from are not where they should be."""

    code = "provisioning.release_source"
