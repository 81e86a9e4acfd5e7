"""What ``rekam-provision lab`` tells the technician: msgids of the ``provisioning``
catalog (Indonesian unless ``--lang en``), filled in with :func:`provisioning.report.tr`."""

from __future__ import annotations

from ektp.i18n import N_

MSG_ALREADY_UP = N_("the lab is already up")
MSG_UNPACKING = N_("{name}: unpacking the root file system")
MSG_WAITING = N_("{name}: waiting for systemd")
MSG_DEBOOTSTRAP = N_("debootstrap {suite} {arch} from {mirror} (a few minutes, once)")
MSG_CACHING = N_("caching the root file system as {tarball}")
MSG_NO_LAB = N_("no lab is up in {directory}")
MSG_REMOVED = N_("removed {what}")
MSG_NOTHING_TO_REMOVE = N_("nothing to remove")
MSG_REACH = N_("or: rekam-provision lab shell edge --dir {directory}")
MSG_MACHINE = N_("machine")
MSG_ADDRESS = N_("address")
MSG_REHEARSAL_PASSED = N_("Rehearsal passed: {steps}")
MSG_REHEARSAL_FAILED = N_("Rehearsal FAILED at {step}: {error}")
MSG_NO_ARM64 = N_(
    "this computer cannot run arm64 ({reason}): the booth is {arch} like this computer"
)
