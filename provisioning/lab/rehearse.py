"""``rekam-provision lab rehearse``: a whole office installed on lab machines, as a
technician would install it, and one resident recorded on it.

Steps (each named in the output; the first that fails ends the rehearsal):

1. ``lab up``: an edge and one booth; the booth is arm64 like a Raspberry Pi when this
   computer can run arm64 programs (qemu-user through binfmt_misc; ``lab/emulation.py``),
   else of this computer's architecture, saying why in one line;
2. ``technician``: a namespace on the lab network standing for the technician's laptop
   on the office LAN: the ordinary ``rekam-provision`` runs there (host files, lab
   network), so the host itself never gets an address on the lab network;
3. ``wheelhouse``: the project's wheels and its dependencies' built on this computer
   (``pip wheel``, from the registries pip uses here) and copied into each machine with
   an ``/etc/pip.conf`` that installs only from them: the machines have no route out;
   an arm64 booth gets the aarch64 wheels of the same versions (``lab/arm64_wheels.py``);
4. ``office init`` (its upstream: the lab's central), 5. ``edge install``;
6. ``central``: the reference receiver started in the edge machine (``lab/central.py``);
7. ``booth add`` — the ordinary commands — and the booth registered at central;
8. ``record``: one scripted resident on the booth (``rekam-kiosk --headless --script``);
9. ``arrived``: the record is in the edge's database;
10. ``review``: the resident is not in the office roster, so the edge holds the record:
    a supervisor (a dashboard account made for the rehearsal) approves it over HTTPS;
11. ``forwarded``: the edge forwarded it to central and stored central's receipt;
12. ``status``: the units active on the edge and the booth;
then ``lab down`` unless ``--keep``. With ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from provisioning.edge_install import EDGE_UNITS
from provisioning.lab.central import CENTRAL_URL, COUNT_FORWARDED, LabCentral
from provisioning.lab.diagnose import diagnose
from provisioning.lab.emulation import booth_arch
from provisioning.lab.lab import Lab
from provisioning.lab.network import DEFAULT_PREFIX, TECHNICIAN, LabNetwork
from provisioning.lab.rootfs import LabError, host_arch
from provisioning.lab.wheelhouse import EMULATION_EXTRA, build_wheelhouse, install_wheelhouse
from provisioning.tomlwrite import dumps

BOOTH_ID = "booth-01"
BOOTH_UNITS = ["rekam-kiosk.service", "chrony.service"]
UNITS_OF = {"edge": EDGE_UNITS, "booth1": BOOTH_UNITS}  # the units a failed step reads
ARRIVAL_TIMEOUT_SECONDS = 300  # an arm64 booth under qemu-user starts its kiosk slowly
FORWARD_TIMEOUT_SECONDS = 180
EDGE_DATABASE = "/var/lib/rekam/edge.sqlite3"
COUNT_PACKETS = "SELECT count(*) FROM ingested_packets"
REHEARSAL_RUN_DIR = "/run/rekam-rehearsal"
BOOTH_VENV = "/var/lib/rekam/venv"
RESIDENT_SCRIPT = """\
[operator]
operator_id = "OP-0001"
name = "Operator Latihan"

[[residents]]
nik = "6403065402900001"
kk = "6403061203150002"
name = "Ani Lestari"
"""


class StepFailed(LabError):
    """One rehearsal step failed; ``step`` names it."""

    code = "provisioning.lab_rehearsal"

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"step {step!r} failed: {detail}")
        self.step = step


class Rehearsal:
    def __init__(
        self,
        directory: Path,
        *,
        cache_dir: Path | None,
        say: Callable[[str], None],
        name: str = DEFAULT_PREFIX,
        lang: str = "id",
    ) -> None:
        self.directory = directory.resolve()
        self.lab = Lab(
            self.directory,
            cache_dir=cache_dir,
            network=LabNetwork(prefix=name),
            progress=say,
            lang=lang,
            booth_arch=booth_arch(host_arch(), say, lang),  # arm64, as on a Pi
        )
        self.say = say
        self.office = self.directory / "office"
        self.summary: dict[str, Any] = {"ok": False, "steps": {}}
        self.packets_before = 0
        self.central = LabCentral(self.directory)

    # -- running steps --------------------------------------------------------

    def step(self, name: str, action: Callable[[], object]) -> None:
        self.say(f"== {name}")
        started = time.monotonic()
        try:
            action()
        except StepFailed:
            raise
        except Exception as err:
            raise StepFailed(name, f"{type(err).__name__}: {err}") from err
        self.summary["steps"][name] = round(time.monotonic() - started, 1)

    def run_all(self) -> None:
        self.step("lab up", self.lab_up)
        self.step("technician", self.technician)
        self.step("wheelhouse", self.wheelhouse)
        self.step("office init", self.office_init)
        self.step("edge install", self.edge_install)
        self.step("central", self.start_central)
        self.step("booth add", self.booth_add)
        self.step("record", self.record)
        self.step("arrived", self.arrived)
        self.step("review", self.review)
        self.step("forwarded", self.forwarded)
        self.step("status", self.status)
        self.summary["ok"] = True

    # -- helpers --------------------------------------------------------------

    def provision(self, *args: str, step: str) -> str:
        """``rekam-provision --office O ARGS`` from the technician's namespace."""
        command = [
            "ip",
            "netns",
            "exec",
            self.lab.network.netns(TECHNICIAN),
            sys.executable,
            "-m",
            "provisioning.cli",
            "--lang",
            "en",
            "--office",
            str(self.office),
            *args,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
        log = self.directory / f"{step.replace(' ', '-')}.log"
        log.write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-12:])
            raise StepFailed(step, f"rekam-provision exited {done.returncode} (log {log}):\n{tail}")
        return done.stdout

    def ssh(self, machine: str, command: str, *, step: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            self.lab.ssh_command(machine, command), input=stdin, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise StepFailed(
                step,
                f"on {machine}: {command!r} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-800:]}",
            )
        return done.stdout

    # -- the steps ------------------------------------------------------------

    def lab_up(self) -> None:
        self.lab.up(1)
        self.summary["booth_arch"] = self.ssh("booth1", "uname -m", step="lab up").strip()

    def technician(self) -> None:
        self.lab.network.attach(TECHNICIAN)

    def wheelhouse(self) -> None:
        try:
            wheels = build_wheelhouse(self.directory)
        except LabError as err:
            raise StepFailed("wheelhouse", str(err)) from err
        install_wheelhouse(self.lab, wheels, self.say)

    def office_init(self) -> None:
        self.central.prepare()
        central = self.directory / "central-x25519.pem"
        if not central.exists():
            central.write_bytes(
                X25519PrivateKey.generate()
                .public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        self.provision(
            "office",
            "init",
            "--name",
            "Kantor Latihan",
            "--edge-host",
            self.lab.network.address("edge"),
            "--ssh-key",
            str(self.lab.key),
            "--central-public-key",
            str(central),
            "--emulated-hardware",
            "--central-url",
            CENTRAL_URL,
            "--central-ca",
            str(self.central.ca_cert),
            "--central-receipt-key",
            str(self.central.receipt_public_key),
            "--data-loop-file",
            step="office init",
        )

    def edge_install(self) -> None:
        self.provision(
            "edge", "install", "--known-hosts", str(self.lab.known_hosts), step="edge install"
        )

    def booth_add(self) -> None:
        self.provision(
            "booth",
            "add",
            "--host",
            self.lab.network.address("booth1"),
            "--id",
            BOOTH_ID,
            "--known-hosts",
            str(self.lab.known_hosts),
            step="booth add",
        )
        key = (self.office / "booth-keys" / f"{BOOTH_ID}.pem").read_text()
        self.ssh(
            "edge",
            "/opt/rekam/venv/bin/rekam-edge booth register --config /etc/rekam/edge.toml "
            f"--id {BOOTH_ID} --public-key - --rotate",
            step="booth add",
            stdin=key,
        )
        self.ssh("edge", self.central.register_booth_command(BOOTH_ID), step="booth add", stdin=key)

    def start_central(self) -> None:
        self.central.install(self.lab.machine("edge").root, self.office / "ca" / "ca.crt")
        self.ssh("edge", self.central.start_command(), step="central")

    def packets_at_edge(self, step: str) -> int:
        out = self.ssh("edge", f"sqlite3 {EDGE_DATABASE} '{COUNT_PACKETS}'", step=step)
        return int(out.strip() or 0)

    def record(self) -> None:
        """One resident through the booth's own flows (headless script, emulated devices).

        The emulated reader issues the script's operator card with the office CA, as the
        office does before handing a card over: a copy of the CA goes to a tmpfs on the
        booth for this step only. The kiosk is stopped meanwhile (one user of the reader
        and the outbox) and started again: its uplink sends the record to the edge."""
        run_dir = REHEARSAL_RUN_DIR
        self.packets_before = self.packets_at_edge("record")
        config = tomllib.loads(self.ssh("booth1", "cat /etc/rekam/booth.toml", step="record"))
        config["hardware"]["smartcard"]["operator_card_issuer_dir"] = f"{run_dir}/ca"
        ca_tar = subprocess.run(
            ["tar", "-C", str(self.office / "ca"), "-cf", "-", "."], capture_output=True, check=True
        ).stdout
        prepare = (
            f"rm -rf {run_dir} && mkdir -p {run_dir}/ca && tar -C {run_dir}/ca -xf - && "
            f"chown -R rekam {run_dir} && chmod -R go-rwx {run_dir}"
        )
        done = subprocess.run(
            self.lab.ssh_command("booth1", prepare), input=ca_tar, capture_output=True, timeout=60,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise StepFailed("record", f"copying the office CA: {done.stderr.decode()[-400:]}")
        self.ssh("booth1", f"cat > {run_dir}/booth.toml", step="record", stdin=dumps(config))
        self.ssh("booth1", f"cat > {run_dir}/resident.toml", step="record", stdin=RESIDENT_SCRIPT)
        self.ssh(
            "booth1", f"{BOOTH_VENV}/bin/pip install --quiet '{EMULATION_EXTRA}'", step="record"
        )
        out = self.ssh(
            "booth1",
            f"chown -R rekam {run_dir}; systemctl stop rekam-kiosk.service; "
            f"runuser -u rekam -- /opt/rekam/bin/rekam-kiosk --config {run_dir}/booth.toml "
            f"--headless --script {run_dir}/resident.toml; rc=$?; rm -rf {run_dir}; "
            "systemctl start rekam-kiosk.service; exit $rc",
            step="record",
        )
        self.summary["recorded_on_booth"] = len(json.loads(out[out.index("{") :])["residents"])

    def arrived(self) -> None:
        count = self._wait_for_count(
            lambda: self.packets_at_edge("arrived") - self.packets_before, ARRIVAL_TIMEOUT_SECONDS
        )
        self.summary["recorded_at_edge"] = count
        if count < 1:
            raise StepFailed("arrived", f"no record within {ARRIVAL_TIMEOUT_SECONDS} s at the edge")

    def review(self) -> None:
        """A supervisor approves the held record on the dashboard (provisioning.lab.supervisor)."""
        user, password = f"pengawas-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
        self.ssh(
            "edge",
            "/opt/rekam/venv/bin/rekam-edge user add --config /etc/rekam/edge.toml "
            f"--name {user} --role supervisor --password-stdin",
            step="review",
            stdin=password + "\n",
        )
        done = subprocess.run(
            ["ip", "netns", "exec", self.lab.network.netns(TECHNICIAN), sys.executable, "-m",
             "provisioning.lab.supervisor", "--url", f"https://{self.lab.network.address('edge')}/",
             "--ca", str(self.office / "ca" / "ca.crt"), "--user", user],
            input=password + "\n", capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise StepFailed("review", (done.stderr or done.stdout).strip()[-800:])
        self.summary["approved_by_supervisor"] = json.loads(done.stdout)["approved"]

    def forwarded(self) -> None:
        """Wait until the edge stored central's receipt for the record (forwarded)."""

        def forwarded() -> int:
            out = self.ssh("edge", f'sqlite3 {EDGE_DATABASE} "{COUNT_FORWARDED}"', step="forwarded")
            return int(out.strip() or 0)

        count = self._wait_for_count(forwarded, FORWARD_TIMEOUT_SECONDS)
        self.summary["forwarded_to_central"] = count
        if count < 1:
            raise StepFailed("forwarded", f"no receipt from central in {FORWARD_TIMEOUT_SECONDS} s")

    @staticmethod
    def _wait_for_count(count_now: Callable[[], int], timeout: float) -> int:
        """Poll ``count_now`` every 2 s until it is at least 1 or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        count = count_now()
        while count < 1 and time.monotonic() < deadline:
            time.sleep(2)
            count = count_now()
        return count

    def status(self) -> None:
        self.provision("booth", "status", step="status")
        for machine, units, key in (
            ("edge", EDGE_UNITS, "edge_active"),
            ("booth1", BOOTH_UNITS, "booth_active"),
        ):
            done = subprocess.run(
                self.lab.ssh_command(machine, "systemctl is-active " + " ".join(units)),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            states = done.stdout.split()
            self.summary[key] = [u for u, s in zip(units, states, strict=False) if s == "active"]
            if self.summary[key] != units:
                raise StepFailed("status", f"{machine}: {dict(zip(units, states, strict=False))}")


def run_rehearsal(
    directory: Path,
    *,
    keep: bool,
    cache_dir: Path | None = None,
    name: str = DEFAULT_PREFIX,
    lang: str = "id",
) -> dict[str, Any]:
    """Run the rehearsal; returns its summary (``ok`` only when every step passed)."""
    rehearsal = Rehearsal(directory, cache_dir=cache_dir, say=print, name=name, lang=lang)
    try:
        rehearsal.run_all()
    except StepFailed as err:
        rehearsal.summary.update(failed_step=err.step, error=str(err))
        if err.step != "lab up":  # machines to read, before they go down
            rehearsal.summary["diagnosis"] = diagnose(UNITS_OF, rehearsal.lab.ssh_command)
    finally:
        if not keep:
            try:
                rehearsal.lab.down()
            except LabError as err:  # e.g. the name belongs to another lab: not ours to stop
                rehearsal.summary["ok"] = False
                rehearsal.summary.setdefault("failed_step", "lab down")
                rehearsal.summary.setdefault("error", str(err))
    return rehearsal.summary
