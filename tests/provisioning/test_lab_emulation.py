"""An emulated lab machine (qemu-user) clears ``LoadCredential=`` of every Debian unit that
sets it, not only those that run at boot: the daily temporary-file cleanup runs from its
timer 15 minutes later and failed there (243/CREDENTIALS) while a slow run went on."""

from __future__ import annotations

from pathlib import Path

from provisioning.lab.emulation import VENDOR_UNIT_DIR, qemu_user_dropins

_WITH = "[Service]\nExecStart=systemd-tmpfiles --clean\nLoadCredential=tmpfiles.extra\n"
_WITHOUT = "[Service]\nExecStart=/usr/sbin/sshd -D\n"


def _debian_root(root: Path) -> Path:
    vendor = root / VENDOR_UNIT_DIR
    vendor.mkdir(parents=True)
    (vendor / "systemd-tmpfiles-clean.service").write_text(_WITH)
    (vendor / "systemd-sysctl.service").write_text(_WITH)
    (vendor / "procps.service").symlink_to("systemd-sysctl.service")  # an alias
    (vendor / "ssh.service").write_text(_WITHOUT)
    # a unit of the office's own, in /etc: never touched
    own = root / "etc" / "systemd" / "system"
    own.mkdir(parents=True)
    (own / "rekam-kiosk.service").write_text("[Service]\nLoadCredential=x\n")
    return root / "etc" / "systemd" / "system"


def test_every_debian_unit_with_credentials_gets_them_cleared_under_emulation(
    tmp_path: Path,
) -> None:
    system = _debian_root(tmp_path)
    qemu_user_dropins(tmp_path)
    cleared = sorted(
        path.parent.name
        for path in system.glob("*.d/lab-qemu-user.conf")
        if "LoadCredential=\n" in path.read_text()
    )
    assert cleared == ["systemd-sysctl.service.d", "systemd-tmpfiles-clean.service.d"]
    # the alias and a unit without credentials are left as Debian ships them
    assert not (system / "procps.service.d").exists()
    assert not (system / "ssh.service.d").exists()
    # the office's own unit keeps its settings
    assert (system / "rekam-kiosk.service").read_text() == "[Service]\nLoadCredential=x\n"
