"""``rekam-provision lab``: real Debian machines with systemd as PID 1 on this computer.

One lab (an edge and one booth) serves the whole module: it is expensive. The root file
system tarball is cached in ``$REKAM_LAB_CACHE`` or ``~/.cache/rekam-lab`` of the
work tree, so a second run (and CI's second run) only unpacks it. The lab has its own
name, so a technician's lab on the same computer is not disturbed; the module ends with
``lab down`` and checks that nothing is left.
"""

from __future__ import annotations

import ipaddress
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.edge_install import EDGE_UNITS
from provisioning.lab.diagnose import diagnose
from provisioning.lab.emulation import (
    UNITS_WITH_CREDENTIALS_AT_BOOT,
    arm64_unavailable,
    booth_arch,
)
from provisioning.lab.machine import cgroup2_root
from provisioning.lab.rehearse import BOOTH_UNITS
from provisioning.lab.rootfs import default_cache_dir

REPO = Path(__file__).resolve().parents[2]
LAB_NAME = "rekam-labtest"
CLI = [sys.executable, "-m", "provisioning.cli", "--lang", "en"]

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(
        not sys.platform.startswith("linux")
        or os.geteuid() != 0
        or not shutil.which("debootstrap"),
        reason="the lab needs Linux, root and debootstrap (./setup.sh installs it)",
    ),
]


def lab_cli(lab_dir: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    command, *rest = args
    return subprocess.run(
        [*CLI, "lab", command, "--dir", str(lab_dir), "--name", LAB_NAME, *rest],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )


def cache_dir() -> Path:
    """The lab's own cache (``$REKAM_LAB_CACHE``, else ``~/.cache/rekam-lab``): shared by every
    checkout on this machine, so a second run (CI's clean clone too) starts warm."""
    return default_cache_dir()


def lab_ssh(lab_dir: Path, machine: str, command: str, user: str = "root") -> str:
    done = subprocess.run(
        ["ssh", "-F", str(lab_dir / "ssh_config"), "-l", user, machine, command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    lab_dir = tmp_path_factory.mktemp("lab")
    try:
        up = lab_cli(lab_dir, "up", "--booths", "1", "--cache", str(cache_dir()))
        assert up.returncode == 0, up.stdout + up.stderr
        yield lab_dir
    finally:
        lab_cli(lab_dir, "down")  # idempotent: also after the test that checks it


def machine_states(lab_dir: Path) -> dict[str, dict[str, object]]:
    status = lab_cli(lab_dir, "status", "--json")
    assert status.returncode == 0, status.stderr
    return {m["name"]: m for m in json.loads(status.stdout)["machines"]}


def test_each_machine_boots_debian_with_systemd_as_pid1(lab: Path) -> None:
    states = machine_states(lab)
    assert sorted(states) == ["booth1", "edge"]
    for name, machine in states.items():
        assert machine["state"] in ("running", "degraded"), (name, machine)
        inside = lab_cli(
            lab,
            "shell",
            name,
            "--",
            "/bin/sh",
            "-c",
            "cat /proc/1/comm; hostname; . /etc/os-release; echo $VERSION_CODENAME",
        )
        assert inside.stdout.split() == ["systemd", name, "bookworm"], inside.stderr


def test_sshd_answers_through_the_proxy_command_with_pinned_host_keys(lab: Path) -> None:
    assert lab_ssh(lab, "edge", "hostname") == "edge"
    # the account provisioning uses, with sudo, on the booth
    assert lab_ssh(lab, "booth1", "sudo -n id -u", user="pi") == "0"


def test_machines_reach_each_other_but_the_host_has_no_address_there(lab: Path) -> None:
    states = machine_states(lab)
    edge_address = str(states["edge"]["address"])
    banner = lab_ssh(
        lab,
        "booth1",
        "python3 -c \"import socket; s = socket.create_connection(('edge', 22), 5); "
        'print(s.recv(64).decode().strip())"',
    )
    assert banner.startswith("SSH-2.0-OpenSSH")
    assert lab_ssh(lab, "edge", "getent hosts booth1 | cut -d' ' -f1") == str(
        states["booth1"]["address"]
    )
    # the host has no address on the lab network and no route into it of its own
    host_addresses = json.loads(_ip("-j", "addr"))
    subnet = ipaddress.ip_network(f"{edge_address}/24", strict=False)
    assert not [
        a["local"]
        for link in host_addresses
        for a in link.get("addr_info", [])
        if a.get("family") == "inet" and ipaddress.ip_address(a["local"]) in subnet
    ]
    route = subprocess.run(
        ["ip", "-j", "route", "get", edge_address], capture_output=True, text=True, check=False
    )
    if route.returncode == 0:  # only a default route, out of this computer
        assert json.loads(route.stdout)[0].get("gateway"), route.stdout


def test_lab_down_leaves_no_namespace_mount_process_or_cgroup(lab: Path) -> None:
    pids = [int(str(m["pid"])) for m in machine_states(lab).values()]
    down = lab_cli(lab, "down")
    assert down.returncode == 0, down.stderr
    assert [ns for ns in os.listdir("/run/netns") if ns.startswith(LAB_NAME)] == []
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(lab) not in mounts
    assert LAB_NAME not in mounts
    assert not [pid for pid in pids if _running(pid)]
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _root_in(pid, lab)]
    assert not (cgroup2_root() / LAB_NAME).exists()
    assert not (lab / "machines").exists()
    again = lab_cli(lab, "down")
    assert again.returncode == 0
    assert "nothing to remove" in again.stdout


def _root_in(pid: str, lab_dir: Path) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/root").startswith(str(lab_dir))
    except OSError:
        return False


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=True).stdout


REHEARSAL_NAME = "rekam-labrehearse"


@pytest.fixture(scope="module")
def rehearsal_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("rehearsal")
    try:
        yield directory
    finally:
        subprocess.run(
            [*CLI, "lab", "down", "--dir", str(directory), "--name", REHEARSAL_NAME],
            capture_output=True,
            timeout=300,
            cwd=REPO,
            check=False,
        )


# an arm64 booth under qemu-user: about 8 minutes warm; a cold cache first builds the arm64
# booth image and the aarch64 wheels (about 25 minutes on 2 busy cores)
@pytest.mark.timeout(3600)
def test_rehearsal_installs_an_office_and_a_resident_reaches_the_edge_and_central(
    rehearsal_dir: Path,
) -> None:
    done = subprocess.run(
        [
            *CLI,
            "lab",
            "rehearse",
            "--dir",
            str(rehearsal_dir),
            "--name",
            REHEARSAL_NAME,
            "--cache",
            str(cache_dir()),
            "--json",
            "--keep",
        ],
        capture_output=True,
        text=True,
        timeout=3500,
        cwd=REPO,
        check=False,
    )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, failure_text(summary)
    assert summary["ok"] is True
    # the booth is arm64 like a Raspberry Pi where this computer runs arm64 (qemu-user)
    assert summary["booth_arch"] == (
        "aarch64" if arm64_unavailable() is None else platform.machine()
    )
    assert summary["recorded_at_edge"] == 1
    # not in the roster: held until a supervisor approved it on the dashboard ...
    assert summary["approved_by_supervisor"] == 1
    # ... then forwarded: the edge stored central's receipt; central (the reference receiver,
    # in the edge machine) keeps the booth's packet
    assert summary["forwarded_to_central"] == 1
    stored = "find /var/lib/rekam-central/data/packets/booth-01 -name '*.packet' | wc -l"
    assert lab_ssh(rehearsal_dir, "edge", stored) == "1"
    assert summary["edge_active"] == EDGE_UNITS  # the broker, Rekam, NUT, the time server
    assert summary["booth_active"] == ["rekam-kiosk.service", "chrony.service"]

    # the edge install is idempotent: a second run changes nothing and says so
    again = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            f"{REHEARSAL_NAME}-tech",
            *CLI,
            "--office",
            str(rehearsal_dir / "office"),
            "edge",
            "install",
            "--known-hosts",
            str(rehearsal_dir / "known_hosts"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing changed" in again.stdout

    # the lab booth's read-only root setting is made (Raspberry Pi OS's overlay setting)
    assert "boot=overlay" in lab_ssh(rehearsal_dir, "booth1", "cat /boot/firmware/cmdline.txt")
    # the daily cleanup of temporary directories runs (its timer starts it 15 minutes
    # after boot, on a slow emulated run while this test is still going)
    lab_ssh(rehearsal_dir, "booth1", "systemctl start systemd-tmpfiles-clean.service")
    # no unit failed on the booth, emulated or not: the units with credentials ran too
    assert lab_ssh(rehearsal_dir, "booth1", "systemctl --failed --plain --no-legend") == ""
    credentials = "systemctl is-active " + " ".join(UNITS_WITH_CREDENTIALS_AT_BOOT)
    active = ["active"] * len(UNITS_WITH_CREDENTIALS_AT_BOOT)
    assert lab_ssh(rehearsal_dir, "booth1", credentials).split() == active


def test_the_edge_and_the_kiosk_are_watched_by_systemd(rehearsal_dir: Path) -> None:
    """Both say READY=1 (a Type=notify unit is active only after it) and ping a watchdog."""
    show = "systemctl show -p Type -p WatchdogUSec -p ActiveState {}"
    for machine, unit in (("edge", "rekam-edge.service"), ("booth1", "rekam-kiosk.service")):
        shown = lab_ssh(rehearsal_dir, machine, show.format(unit)).splitlines()
        assert sorted(shown) == ["ActiveState=active", "Type=notify", "WatchdogUSec=30s"], unit


def test_a_technician_reads_the_booths_units_as_a_failed_rehearsal_would(
    rehearsal_dir: Path,
) -> None:
    """What a failed step's report carries: the failed units, each unit's state, and the
    end of its journal (here, of a booth that works: nothing failed, the kiosk running)."""
    ssh = ["ssh", "-F", str(rehearsal_dir / "ssh_config"), "-l", "root"]
    units_of = {"booth1": BOOTH_UNITS, "nowhere": BOOTH_UNITS}
    read = diagnose(units_of, lambda machine, command: [*ssh, machine, command])
    booth = read["booth1"].splitlines()
    assert booth[:2] == ["# systemctl --failed", "# rekam-kiosk.service"]  # none failed
    assert {"ActiveState=active", "SubState=running"} <= set(booth[2].split())
    assert any(" rekam-kiosk[" in line for line in booth)  # the kiosk's own journal lines
    assert "# chrony.service" in booth
    assert read["nowhere"].startswith("not read: ssh exited 255")


def test_the_edge_serves_the_office_ups_on_loopback_with_the_inventorys_driver(
    rehearsal_dir: Path,
) -> None:
    assert lab_ssh(rehearsal_dir, "edge", "upsc ups@127.0.0.1 ups.status 2>/dev/null") == "OL"
    assert "driver = dummy-ups" in lab_ssh(rehearsal_dir, "edge", "cat /etc/nut/ups.conf")
    listening = lab_ssh(rehearsal_dir, "edge", "ss -Hltn 'sport = :3493'")
    assert [line.split()[3] for line in listening.splitlines()] == ["127.0.0.1:3493"]
    # rekam-edge's own login may command the UPS (shutdown.return on a decided shutdown)
    edge = tomllib.loads(lab_ssh(rehearsal_dir, "edge", "cat /etc/rekam/edge.toml"))
    login = edge["power"]["ups"]
    listed = lab_ssh(
        rehearsal_dir,
        "edge",
        f"upscmd -l -u {login['username']} -p {login['password']} ups@127.0.0.1",
    )
    assert "Instant commands supported on UPS [ups]" in listed


def test_the_booth_takes_its_time_from_the_edge(rehearsal_dir: Path) -> None:
    edge_address = str(_machine(rehearsal_dir, "edge")["address"])
    deadline = time.monotonic() + 120
    sources = ""
    while time.monotonic() < deadline:
        sources = lab_ssh(rehearsal_dir, "booth1", "chronyc -n sources")
        if f"^* {edge_address}" in sources:
            break
        time.sleep(2)
    assert f"^* {edge_address}" in sources  # the edge, selected: its only source
    assert len([line for line in sources.splitlines() if line.startswith("^")]) == 1


@pytest.mark.timeout(900)
def test_a_rebooted_booth_keeps_its_records_and_its_kiosk_comes_back(
    rehearsal_dir: Path,
) -> None:
    """After the rehearsal (kept up): ``systemctl reboot`` inside the installed booth."""
    count = "sqlite3 /var/lib/rekam/outbox.sqlite 'SELECT count(*) FROM packets'"
    assert lab_ssh(rehearsal_dir, "booth1", count) == "1"
    # outbox, keys and roster live on the data file system (a loop file in the lab), which
    # the kiosk waits for
    assert _data_file_system(rehearsal_dir) == ["ext4", "/var/lib/rekam-data.img"]
    after_units = lab_ssh(rehearsal_dir, "booth1", "systemctl show -p After rekam-kiosk.service")
    assert "var-lib-rekam.mount" in after_units.split("=", 1)[1].split()
    before = _booth_status(rehearsal_dir)
    subprocess.run(
        ["ssh", "-F", str(rehearsal_dir / "ssh_config"), "booth1", "systemctl reboot"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    deadline = time.monotonic() + 600  # an arm64 booth under qemu-user starts slowly
    after = before
    while time.monotonic() < deadline:
        after = _booth_status(rehearsal_dir)
        if after["pid"] not in (None, before["pid"]) and after["state"] in ("running", "degraded"):
            break
        time.sleep(1)
    assert after["pid"] != before["pid"], "the booth did not reboot"
    assert after["state"] in ("running", "degraded"), after
    kiosk = "systemctl is-active rekam-kiosk.service || true"
    while time.monotonic() < deadline and lab_ssh(rehearsal_dir, "booth1", kiosk) != "active":
        time.sleep(1)
    assert lab_ssh(rehearsal_dir, "booth1", kiosk) == "active"
    assert _data_file_system(rehearsal_dir) == ["ext4", "/var/lib/rekam-data.img"]
    assert lab_ssh(rehearsal_dir, "booth1", count) == "1"
    keys = "test -s /var/lib/rekam/keys/booth-signing.pem && test -s /etc/rekam/booth.toml"
    lab_ssh(rehearsal_dir, "booth1", keys)


def failure_text(summary: dict[str, object]) -> str:
    """A failed rehearsal as a technician reads it: the step, its error, then what each
    machine's journal said (whole: pytest would shorten the summary's dict)."""
    text = f"step {summary.get('failed_step')!r} failed: {summary.get('error')}"
    diagnosis = summary.get("diagnosis")
    for machine, read in (diagnosis if isinstance(diagnosis, dict) else {}).items():
        text += f"\n== {machine}\n{read}"
    return text


def _data_file_system(lab_dir: Path) -> list[str]:
    """The file system type on the booth's /var/lib/rekam and the image file under it."""
    mounted = lab_ssh(lab_dir, "booth1", "findmnt -n -o SOURCE,FSTYPE --mountpoint /var/lib/rekam")
    source, fstype = mounted.split()
    return [fstype, lab_ssh(lab_dir, "booth1", f"losetup -n -O BACK-FILE {source}")]


def _booth_status(lab_dir: Path) -> dict[str, object]:
    return _machine(lab_dir, "booth1")


def _machine(lab_dir: Path, name: str) -> dict[str, object]:
    status = subprocess.run(
        [*CLI, "lab", "status", "--dir", str(lab_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=True,
    )
    return next(m for m in json.loads(status.stdout)["machines"] if m["name"] == name)


def test_a_failed_rehearsal_names_its_step(tmp_path: Path) -> None:
    """Another lab already owns the name: the very first step fails, and says so."""
    (tmp_path / "x").mkdir()
    owner = Path("/run") / REHEARSAL_NAME / "owner"
    owner.parent.mkdir(parents=True, exist_ok=True)
    taken = not owner.exists()
    if taken:
        owner.write_text("/somewhere/else\n")
    try:
        done = subprocess.run(
            [
                *CLI,
                "lab",
                "rehearse",
                "--dir",
                str(tmp_path / "x"),
                "--name",
                REHEARSAL_NAME,
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO,
            check=False,
        )
    finally:
        if taken:
            owner.unlink()
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 1
    assert summary["ok"] is False
    assert summary["failed_step"] == "lab up"


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (killed, waiting for init to reap it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


@pytest.mark.skipif(platform.machine() == "aarch64", reason="an arm64 host runs arm64 itself")
def test_without_qemu_user_the_booth_is_of_this_computer_and_a_line_says_why(
    tmp_path: Path,
) -> None:
    said: list[str] = []
    assert booth_arch("amd64", said.append, "en", binfmt_dir=tmp_path) == "amd64"
    assert len(said) == 1
    assert said[0].startswith("this computer cannot run arm64 (no binfmt_misc entry")
    assert said[0].endswith("the booth is amd64 like this computer")
    (tmp_path / "qemu-aarch64").write_text(
        "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n"
    )
    assert booth_arch("amd64", said.append, "en", binfmt_dir=tmp_path) == "arm64"
    assert len(said) == 1  # nothing to say
