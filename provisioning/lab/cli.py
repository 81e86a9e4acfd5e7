"""``rekam-provision lab ...``: throwaway Debian machines on this computer.

rekam-provision lab up --dir D [--booths N] [--cache DIR] [--arch ARCH] [--booth-arch ARCH]
                       [--ssh-pubkey F]
rekam-provision lab status --dir D [--json]
rekam-provision lab shell NAME --dir D [-- COMMAND ...]
rekam-provision lab down --dir D
rekam-provision lab rehearse --dir D [--json] [--keep]
rekam-provision lab arm64-check [--json] [--keep] [--cache DIR] [--no-boot]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from provisioning.lab.arm64 import add_arm64_parser, run_arm64_command
from provisioning.lab.lab import Lab, MachineStatus
from provisioning.lab.messages import (
    MSG_ADDRESS,
    MSG_MACHINE,
    MSG_NO_LAB,
    MSG_NOTHING_TO_REMOVE,
    MSG_REACH,
    MSG_REHEARSAL_FAILED,
    MSG_REHEARSAL_PASSED,
    MSG_REMOVED,
)
from provisioning.lab.network import DEFAULT_PREFIX, LabNetwork
from provisioning.lab.rehearse import run_rehearsal
from provisioning.report import tr

LAB_HELP = "throwaway Debian machines (systemd, sshd) on this computer, to rehearse an install"


def add_lab_parser(areas: Any) -> None:
    """Add the ``lab`` area to ``rekam-provision``'s sub-parsers."""
    lab = areas.add_parser(
        "lab",
        help=LAB_HELP,
        description="Throwaway machines on this computer (root, Linux): each a Debian 12 "
        "system with systemd as PID 1 in its own namespaces, sshd with the lab's key, and "
        "an address on a private network the lab creates. The host gets no address on it; "
        "reach a machine with `ssh -F D/ssh_config NAME` (ProxyCommand through its "
        "namespace) or `lab shell NAME`.",
    )
    cmds = lab.add_subparsers(dest="command", metavar="{up,status,shell,down,rehearse,arm64-check}")
    up = cmds.add_parser("up", help="make the machines edge, booth1..N and boot them")
    _dir(up)
    up.add_argument("--booths", type=int, default=1, help="number of booths (default 1)")
    up.add_argument(
        "--cache",
        type=Path,
        help="where the root file system tarball is cached (default $REKAM_LAB_CACHE or "
        "~/.cache/rekam-lab)",
    )
    up.add_argument("--arch", help="Debian architecture of the machines (default: this host's)")
    up.add_argument("--booth-arch", help="Debian architecture of the booths only (e.g. arm64)")
    up.add_argument(
        "--ssh-pubkey",
        type=Path,
        help="public key allowed to log in as root and pi (default: D/id_ed25519, made once)",
    )
    status = cmds.add_parser("status", help="each machine's pid, address and systemd state")
    _dir(status)
    status.add_argument("--json", action="store_true", help="one JSON object")
    shell = cmds.add_parser("shell", help="a root shell (or a command) inside a machine")
    _dir(shell)
    shell.add_argument("machine", help="the machine: edge, booth1, ...")
    shell.add_argument("argv", nargs=argparse.REMAINDER, help="command to run instead of a shell")
    down = cmds.add_parser("down", help="stop the machines and delete everything of the lab")
    _dir(down)
    rehearse = cmds.add_parser(
        "rehearse",
        help="install a whole office on lab machines and record one resident",
        description="Lab up (an edge and one booth), office init and booth add against "
        "them, one scripted resident recorded on the booth and arriving at the edge, then "
        "lab down (unless --keep). A failure exits non-zero naming the step.",
    )
    _dir(rehearse)
    rehearse.add_argument("--json", action="store_true", help="last line: a JSON summary")
    rehearse.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    rehearse.add_argument("--cache", type=Path, help="root file system cache directory")
    add_arm64_parser(cmds)


def _dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, required=True, help="the lab's directory")
    parser.add_argument(
        "--name",
        default=DEFAULT_PREFIX,
        help=f"the lab's name, prefix of its namespaces (default {DEFAULT_PREFIX}); "
        "labs with different names can be up at once",
    )


def run_lab(args: argparse.Namespace, progress: Any = print) -> int:
    """Run one ``lab`` command; returns the exit status."""
    lang = getattr(args, "lang", "id")
    if args.command == "arm64-check":
        return run_arm64_command(args)
    if args.command == "rehearse":
        summary = run_rehearsal(
            args.dir, keep=args.keep, cache_dir=args.cache, name=args.name, lang=lang
        )
        _print_rehearsal(summary, as_json=args.json, lang=lang)
        return 0 if summary["ok"] else 1
    lab = Lab(
        args.dir,
        cache_dir=getattr(args, "cache", None),
        network=LabNetwork(prefix=args.name),
        arch=getattr(args, "arch", None),
        booth_arch=getattr(args, "booth_arch", None),
        progress=progress,
        lang=lang,
    )
    if args.command == "up":
        statuses = lab.up(args.booths, ssh_public_key=args.ssh_pubkey)
        print(_table(statuses, lang))
        print(f"\nssh -F {lab.ssh_config} edge    # " + tr(MSG_REACH, lang, directory=args.dir))
        return 0
    if args.command == "status":
        statuses = lab.status()
        if args.json:
            print(json.dumps({"machines": [asdict(s) for s in statuses]}))
        else:
            no_lab = tr(MSG_NO_LAB, lang, directory=args.dir)
            print(_table(statuses, lang) if statuses else no_lab)
        return 0
    if args.command == "shell":
        argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        return lab.shell(args.machine, argv or None)
    removed = lab.down()
    lines = [tr(MSG_REMOVED, lang, what=what) for what in removed]
    print("\n".join(lines) or tr(MSG_NOTHING_TO_REMOVE, lang))
    return 0


def _print_rehearsal(summary: dict[str, Any], *, as_json: bool, lang: str) -> None:
    """The rehearsal's outcome: one JSON line, or a line saying so (and, when a step failed,
    what each machine's journal said, on stderr)."""
    if as_json:
        print(json.dumps(summary))
    elif summary["ok"]:
        steps = ", ".join(f"{k} {v}s" for k, v in summary["steps"].items())
        print(tr(MSG_REHEARSAL_PASSED, lang, steps=steps))
    else:
        failed = tr(MSG_REHEARSAL_FAILED, lang, step=summary["failed_step"], error=summary["error"])
        print(failed, file=sys.stderr)
        for machine, text in summary.get("diagnosis", {}).items():
            print(f"== {machine}\n{text}", file=sys.stderr)


def _table(statuses: list[MachineStatus], lang: str) -> str:
    rows = [(tr(MSG_MACHINE, lang), "pid", tr(MSG_ADDRESS, lang), "systemd")]
    rows += [(s.name, str(s.pid or "-"), s.address, s.state) for s in statuses]
    width = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)) for r in rows)
