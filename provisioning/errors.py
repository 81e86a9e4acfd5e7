"""Provisioning's error root: every error of ours in ``provisioning`` is a
:class:`ProvisioningError`.

``ProvisioningError`` is a :class:`~ektp.errors.RekamError` whose message is a plain
English sentence for the technician (braces in it are text, not placeholders).
Subclasses also inherit the builtin that fits, so a caller that catches ``ValueError``,
``KeyError`` or ``FileNotFoundError`` keeps working. ``rekam-provision`` catches this
root (and the ``RekamError`` of the ektp and certificate code it calls).
"""

from __future__ import annotations

from ektp.errors import RekamError


class ProvisioningError(RekamError):
    """Root of provisioning's own errors: a sentence for the technician."""

    code = "provisioning"
    domain = "provisioning"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__("{detail}", code=code, detail=detail)

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
